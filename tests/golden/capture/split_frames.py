#!/usr/bin/python3
"""Splits a loopback capture of Kafka traffic into request/response frame fixtures.

Usage: split_frames.py CAPTURE.pcap BROKER_PORTS OUT_DIR

Reads TCP payloads with tshark, reassembles each connection's two byte streams, cuts them at
the 4-byte size prefixes, pairs responses with requests by correlation id, and writes each
distinct frame (size prefix removed) as OUT_DIR/<api_key>-v<version>-<n>.{request,response}.bin.
"""
import collections
import hashlib
import os
import struct
import subprocess
import sys


def read_streams(pcap, ports):
    fields = ["tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.payload"]
    cmd = ["tshark", "-r", pcap, "-Y", "tcp.len > 0", "-T", "fields"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    streams = collections.defaultdict(lambda: {"up": bytearray(), "down": bytearray()})
    for line in out.splitlines():
        stream, src, dst, payload = line.split("\t")
        data = bytes.fromhex(payload.replace(":", ""))
        if int(dst) in ports:
            streams[stream]["up"] += data
        elif int(src) in ports:
            streams[stream]["down"] += data
    return streams


def frames(buf):
    pos = 0
    while pos + 4 <= len(buf):
        (size,) = struct.unpack_from(">i", buf, pos)
        if size < 0 or pos + 4 + size > len(buf):
            return  # a connection cut mid-frame: drop the tail
        yield bytes(buf[pos + 4 : pos + 4 + size])
        pos += 4 + size


def main():
    pcap, ports_arg, out_dir = sys.argv[1:4]
    ports = {int(p) for p in ports_arg.split(",")}
    os.makedirs(out_dir, exist_ok=True)
    seen = set()
    counts = collections.Counter()
    for stream in read_streams(pcap, ports).values():
        by_correlation = {}
        for req in frames(stream["up"]):
            key, version, correlation = struct.unpack_from(">hhi", req, 0)
            by_correlation[correlation] = (key, version)
            write(out_dir, key, version, "request", req, seen, counts)
        for resp in frames(stream["down"]):
            (correlation,) = struct.unpack_from(">i", resp, 0)
            if correlation in by_correlation:
                key, version = by_correlation[correlation]
                write(out_dir, key, version, "response", resp, seen, counts)
    print(f"{out_dir}: {sum(counts.values())} distinct frames")


def write(out_dir, key, version, kind, frame, seen, counts):
    digest = hashlib.sha256(frame).digest()
    if digest in seen:
        return
    seen.add(digest)
    n = counts[(key, version, kind)]
    counts[(key, version, kind)] += 1
    with open(os.path.join(out_dir, f"{key}-v{version}-{n}.{kind}.bin"), "wb") as f:
        f.write(frame)


if __name__ == "__main__":
    main()
