"""The history of a run as JSON lines (README.md, "The history").

Each process of a run (a worker, a reader, the nemesis) appends its own events to its own file,
one line each, flushed per line so a killed worker loses at most the line it was writing;
`merge()` joins the files into one history ordered by time."""

import glob
import json
import os
import threading
import time


class Writer:
    """Appends events of one process; thread-safe (client callbacks run on client threads)."""

    def __init__(self, path, process):
        self.process = process
        self._file = open(path, "a", buffering=1)
        self._lock = threading.Lock()

    def event(self, type, f, **fields):
        e = dict(time=round(time.time(), 6), process=self.process, type=type, f=f, **fields)
        line = json.dumps(e, sort_keys=True) + "\n"
        with self._lock:
            self._file.write(line)
        return e

    def close(self):
        with self._lock:
            self._file.close()


def merge(parts_glob, out_path):
    """Joins the per-process files into out_path ordered by time; returns the event count. A
    torn last line (its process killed mid-write) is left out."""
    events = []
    for path in sorted(glob.glob(parts_glob)):
        with open(path) as f:
            for line in f:
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:
                    if line.endswith("\n"):
                        raise
    events.sort(key=lambda e: e["time"])
    tmp = out_path + ".tmp"
    with open(tmp, "w") as f:
        for e in events:
            f.write(json.dumps(e, sort_keys=True) + "\n")
    os.replace(tmp, out_path)
    return len(events)
