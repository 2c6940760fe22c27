#!/usr/bin/python3
"""The chaos checker: a verdict on one run's history (README.md, "What the checker decides").

    tests/chaos/checker.py HISTORY.jsonl [--out verdict.json]

Reads the JSON-lines history of a run (appends as invoke then ok/fail/unknown, nemesis actions,
and the final read of every partition by one or more readers), prints the verdict as JSON and
exits 1 when any acknowledged write was lost, moved, duplicated or reordered, a value was read
that was never attempted or definitely failed, or the final read is incomplete or the readers
disagree. Stdlib only, so it runs anywhere the history is."""

import argparse
import json
import sys
from collections import defaultdict

# Counts that are violations: any of them above zero makes the run invalid.
VIOLATIONS = ("lost", "misplaced", "duplicated", "reordered", "unexpected", "failed_but_read",
              "incomplete_read", "readers_disagree", "read_not_monotonic", "partial_txn",
              "group_skipped", "commit_lost", "consumed_mismatch", "group_incomplete")
EXAMPLES_MAX = 20  # examples kept per kind of violation: enough to debug, bounded output


class MalformedHistory(Exception):
    """The history itself breaks its format (e.g. a value attempted twice): no verdict."""


class Write:
    """One attempted append: where it went, its place in its producer's order, how it ended."""

    def __init__(self, event, seq, idempotent):
        self.process = event["process"]
        self.partition = event["partition"]
        self.value = event["value"]
        self.seq = seq  # index among this process's invokes to this partition
        self.idempotent = idempotent
        self.outcome = "unknown"  # an invoke without a completion ends unknown (run cut off)
        self.offset = None


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def collect_writes(events):
    """Returns ({value: Write}, {(process, txn): [value]}) from the append invokes, the
    transactions' invokes (one Write per value, ending as its transaction ends) and their
    completions."""
    writes, txns, seqs = {}, {}, defaultdict(int)

    def attempt(process, partition, value, idempotent):
        if value in writes:
            raise MalformedHistory("value %r attempted twice" % value)
        key = (process, partition)
        event = {"process": process, "partition": partition, "value": value}
        writes[value] = Write(event, seqs[key], idempotent)
        seqs[key] += 1

    def complete(value, outcome, offset):
        w = writes.get(value)
        if w is None:
            raise MalformedHistory("%s of %r without an invoke" % (outcome, value))
        if w.outcome != "unknown" and outcome != w.outcome:
            raise MalformedHistory("%r completed twice (%s, %s)" % (value, w.outcome, outcome))
        w.outcome = outcome
        if outcome == "ok":
            w.offset = offset

    for e in events:
        if e.get("f") == "append":
            if e["type"] == "invoke":
                attempt(e["process"], e["partition"], e["value"], e.get("idempotent", True))
            else:
                complete(e["value"], e["type"], e.get("offset"))
        elif e.get("f") == "txn":
            key = (e["process"], e["txn"])
            if e["type"] == "invoke":
                if key in txns:
                    raise MalformedHistory("transaction %r invoked twice" % (key,))
                txns[key] = [v for _, v in e["values"]]
                for partition, value in e["values"]:
                    attempt(e["process"], partition, value, True)
            elif key not in txns:
                raise MalformedHistory("%s of transaction %r without an invoke" % (e["type"], key))
            else:
                offsets = e.get("offsets", {})
                for value in txns[key]:
                    complete(value, e["type"], offsets.get(value))
    return writes, txns


def collect_reads(events):
    """Returns {reader: {"records": {partition: [(offset, value)]}, "done": {partition: hw}}}
    from the final read; a partition without a read-done ok was not read to its end."""
    readers = {}
    for e in events:
        if e.get("f") not in ("read-start", "read", "read-done"):
            continue
        r = readers.setdefault(e["process"], {"records": defaultdict(list), "done": {},
                                              "isolation": "read_uncommitted"})
        if e["f"] == "read-start":
            r["isolation"] = e.get("isolation", "read_uncommitted")
        elif e["f"] == "read" and e["type"] == "ok":
            r["records"][e["partition"]].append((e["offset"], e["value"]))
        elif e["f"] == "read-done" and e["type"] == "ok":
            r["done"][e["partition"]] = e["offset"]
        elif e["f"] == "read-done":
            r["done"].setdefault(e["partition"], None)
    return readers


class Verdict:
    def __init__(self):
        self.counts = defaultdict(int)
        self.examples = defaultdict(list)

    def violation(self, kind, example, n=1):
        self.counts[kind] += n
        if len(self.examples[kind]) < EXAMPLES_MAX:
            self.examples[kind].append(example)

    def result(self, extra):
        counts = {k: self.counts[k]
                  for k in ("ok", "fail", "unknown", "client_duplicated") + VIOLATIONS}
        valid = not any(counts[k] for k in VIOLATIONS)
        return dict(valid=valid, counts=counts, examples=dict(self.examples), **extra)


def check_read_shape(verdict, name, reader, partitions):
    """Offsets strictly increase and every partition was read to its end."""
    for p in sorted(partitions):
        if reader["done"].get(p) is None:
            verdict.violation("incomplete_read", {"reader": name, "partition": p})
        offsets = [o for o, _ in reader["records"].get(p, [])]
        for a, b in zip(offsets, offsets[1:]):
            if b <= a:
                verdict.violation("read_not_monotonic",
                                  {"reader": name, "partition": p, "offsets": [a, b]})


def check_readers_agree(verdict, readers, primary, partitions):
    """Readers of one isolation level read the same records; every record a read_committed
    reader saw, a read_uncommitted reader saw at the same offset (it sees aborted ones too)."""
    base = readers[primary]
    for name, r in readers.items():
        if name == primary:
            continue
        for p in sorted(partitions):
            mine, theirs = r["records"].get(p, []), base["records"].get(p, [])
            if r["isolation"] == base["isolation"]:
                agree = mine == theirs
            elif base["isolation"] == "read_committed":
                agree = set(theirs) <= set(mine)
            else:
                agree = set(mine) <= set(theirs)
            if not agree:
                verdict.violation("readers_disagree",
                                  {"readers": [primary, name], "partition": p})


def check_atomicity(verdict, writes, txns, where):
    """A transaction's values are read all or none (committed ones all, aborted none: those
    are lost / failed_but_read); an unknown one may go either way, but not halfway."""
    for (process, txn), values in txns.items():
        seen = [v for v in values if where.get(v)]
        if seen and len(seen) != len(values):
            verdict.violation("partial_txn", {"process": process, "txn": txn,
                                              "outcome": writes[values[0]].outcome,
                                              "read": seen, "missing": sorted(
                                                  set(values) - set(seen))})


def collect_batches(events):
    """{partition: sorted [(base_offset, last_offset, producer_id, producer_epoch)]} from the
    batch headers read after the run (batch_headers.py), or None when there are none."""
    batches = defaultdict(list)
    for e in events:
        if e.get("f") == "batch" and e["type"] == "ok":
            batches[e["partition"]].append((e["base_offset"], e["last_offset"],
                                            e["producer_id"], e["producer_epoch"]))
    return {p: sorted(set(b)) for p, b in batches.items()} if batches else None


def writer_of(batches, partition, offset):
    """(producer_id, producer_epoch) of the batch holding offset, or None."""
    for base, last, pid, epoch in batches.get(partition, ()):
        if base <= offset <= last:
            return pid, epoch
    return None


def client_epoch_duplicate(batches, places):
    """True when every copy of a value sits in a batch of one producer id, each under another
    producer epoch: the client bumped its epoch (KIP-360) and sent the value again; idempotence
    is per epoch, so no broker (Kafka's neither) can tell it from a new write. A value twice
    under one epoch is the broker's duplicate."""
    if batches is None:
        return False
    writers = [writer_of(batches, p, o) for p, o in places]
    if None in writers or any(pid < 0 for pid, _ in writers):
        return False
    return len({pid for pid, _ in writers}) == 1 and len({e for _, e in writers}) == len(writers)


def occurrences(records):
    """{value: [(partition, offset)]} over one reader's records."""
    where = defaultdict(list)
    for p, recs in records.items():
        for offset, value in recs:
            where[value].append((p, offset))
    return where


def check_values(verdict, writes, where, batches):
    """Each write against where the final read found it. Returns the later copies of values the
    client wrote again under a new producer epoch {(partition, offset)}: counted as
    client_duplicated, not a violation, and left out of the order check."""
    resent = set()
    for value, places in where.items():
        w = writes.get(value)
        if w is None or any(p != w.partition for p, _ in places):
            verdict.violation("unexpected", {"value": value, "at": places})
        if len(places) > 1 and client_epoch_duplicate(batches, places):
            verdict.counts["client_duplicated"] += 1
            if len(verdict.examples["client_duplicated"]) < EXAMPLES_MAX:
                verdict.examples["client_duplicated"].append(
                    {"value": value, "at": places,
                     "writers": [writer_of(batches, p, o) for p, o in places]})
            resent |= set(sorted(places)[1:])
        elif len(places) > 1:
            verdict.violation("duplicated", {"value": value, "at": places,
                                             "writers": [writer_of(batches or {}, p, o)
                                                         for p, o in places]})
    for w in writes.values():
        verdict.counts[w.outcome] += 1
        places = where.get(w.value, [])
        if w.outcome == "ok" and not places:
            verdict.violation("lost", {"value": w.value, "partition": w.partition,
                                       "offset": w.offset, "process": w.process})
        elif w.outcome == "ok" and w.offset is not None and (w.partition, w.offset) not in places:
            verdict.violation("misplaced", {"value": w.value, "acked": [w.partition, w.offset],
                                            "at": places})
        elif w.outcome == "fail" and places:
            verdict.violation("failed_but_read", {"value": w.value, "at": places})
    return resent


def check_order(verdict, writes, records, resent):
    """Per producer and partition, values appear in the order they were sent. A producer that
    is not idempotent may have an unknown write land late (a request on a closed connection), so
    only its acknowledged writes are ordered; copies the client sent again under a new producer
    epoch (resent) are out of order by the client's doing."""
    for p, recs in records.items():
        last = {}  # process -> (seq, value) of the last of its values seen in this partition
        for offset, value in recs:
            w = writes.get(value)
            if w is None or w.partition != p or (not w.idempotent and w.outcome != "ok"):
                continue
            if (p, offset) in resent:
                continue
            prev = last.get(w.process)
            if prev is not None and w.seq < prev[0]:  # equal: a duplicate, counted there
                verdict.violation("reordered", {"partition": p, "offset": offset,
                                                "value": value, "after": prev[1]})
            if prev is None or w.seq > prev[0]:
                last[w.process] = (w.seq, value)


NEMESIS_ACTIONS = ("kill", "start", "pause", "resume", "partition", "flap", "heal-partition",
                   "disk-full", "disk-freed", "slow-disk", "disk-fast",
                   "lose-tail")
# A node is back (or reachable again): from here on, acks=all writes should succeed.
HEALS = ("started", "resume", "heal-partition", "disk-freed", "disk-fast")


def nemesis_summary(events):
    actions = defaultdict(int)
    for e in events:
        if e.get("process") == "nemesis" and e.get("f") in NEMESIS_ACTIONS:
            actions[e["f"]] += 1
    return dict(actions)


def availability(events):
    """Seconds from each fault's heal to the next acknowledged write (not a violation: how long
    the fault kept writes from succeeding after it ended), and the longest time without one."""
    waits, pending, last_ok, longest_gap = [], [], None, 0.0
    for e in events:
        if e.get("process") == "nemesis" and e.get("f") in HEALS:
            pending.append(e["time"])
        elif e.get("f") in ("append", "txn") and e["type"] == "ok":
            waits += [e["time"] - t for t in pending]
            pending = []
            if last_ok is not None:
                longest_gap = max(longest_gap, e["time"] - last_ok)
            last_ok = e["time"]
    result = {"heals": len(waits) + len(pending), "never_recovered": len(pending),
              "longest_without_ok_s": round(longest_gap, 3)}
    if waits:
        result.update(recovery_max_s=round(max(waits), 3),
                      recovery_mean_s=round(sum(waits) / len(waits), 3))
    return result


def client_fatal(events):
    """Errors a client could not go on from (not a verdict on the data, but a run with one
    fails: with a healthy broker they should not happen)."""
    return [{"process": e["process"], "error": e.get("error")} for e in events
            if e.get("f") == "fatal"][:EXAMPLES_MAX]


def by_process(writes):
    counts = defaultdict(lambda: defaultdict(int))
    for w in writes.values():
        counts[w.process][w.outcome] += 1
    return {p: dict(c) for p, c in sorted(counts.items())}


def check_group(verdict, events, records):
    """The consumer group's view against the log (the groups workload):
    group_skipped      a record below the group's highest acknowledged commit of its
                       partition that no member was ever given: committed past, never consumed;
    commit_lost        a member given a record below an offset whose commit was acknowledged
                       before: the group restarted from an older offset, so the coordinator lost
                       an acknowledged commit (or accepted a commit from an old generation);
    consumed_mismatch  a member given a value the log does not hold at that offset;
    group_incomplete   after the faults healed, the group's commits never reached the end.
    Members may be given a record more than once (at least once); `group` counts that."""
    consumed, acked = defaultdict(set), defaultdict(list)  # partition -> offsets; -> (t, off)
    caught_up = None
    redelivered = given = commits = 0
    for e in events:
        if e.get("f") == "commit" and e["type"] == "ok":
            commits += 1
            for p, o in e["offsets"].items():
                acked[int(p)].append((e["time"], o))
        elif e.get("f") in ("group-caught-up", "group-behind"):
            caught_up = e["f"] == "group-caught-up"
    log_at = {p: dict(recs) for p, recs in records.items()}
    highest = {p: 0 for p in acked}
    for e in events:  # in time order: each consume against the commits acknowledged before it
        if e.get("f") == "commit" and e["type"] == "ok":
            for p, o in e["offsets"].items():
                highest[int(p)] = max(highest.get(int(p), 0), o)
        if e.get("f") != "consume":
            continue
        p, o = e["partition"], e["offset"]
        given += 1
        if o in consumed[p]:
            redelivered += 1
        consumed[p].add(o)
        if log_at.get(p, {}).get(o) != e["value"]:
            verdict.violation("consumed_mismatch", {"partition": p, "offset": o,
                                                    "value": e["value"], "process": e["process"],
                                                    "log": log_at.get(p, {}).get(o)})
        if o < highest.get(p, 0):
            verdict.violation("commit_lost", {"partition": p, "offset": o, "process": e["process"],
                                              "acknowledged_commit": highest[p]})
    for p, commits_of_p in acked.items():
        top = max(o for _, o in commits_of_p)
        for o, value in sorted(log_at.get(p, {}).items()):
            if o < top and o not in consumed[p]:
                verdict.violation("group_skipped", {"partition": p, "offset": o, "value": value,
                                                    "acknowledged_commit": top})
    if caught_up is False:
        verdict.violation("group_incomplete", {"why": "the group's commits did not reach the "
                                                      "end of the log after the faults healed"})
    return {"consumed": given, "redelivered": redelivered, "commits_acknowledged": commits}


def txn_outcomes(writes, txns):
    counts = defaultdict(int)
    for values in txns.values():
        counts[writes[values[0]].outcome] += 1
    return dict(counts)


def check(events):
    """The verdict (a dict) for one run's events."""
    writes, txns = collect_writes(events)
    readers = collect_reads(events)
    verdict = Verdict()
    partitions = {w.partition for w in writes.values()}
    facts = {"nemesis": nemesis_summary(events), "availability": availability(events),
             "by_process": by_process(writes), "client_fatal": client_fatal(events)}
    if txns:
        facts["transactions"] = txn_outcomes(writes, txns)
    if not readers:
        verdict.violation("incomplete_read", {"reader": None, "why": "no final read"})
        return verdict.result(dict(facts, readers=[]))
    # Values are judged by what a read_committed reader saw when there is one: aborted
    # transactions' values are in the log, and only a committed read hides them.
    committed = sorted(n for n, r in readers.items() if r["isolation"] == "read_committed")
    primary = committed[0] if committed else sorted(readers)[0]
    for r in readers.values():
        partitions |= set(r["records"]) | set(r["done"])
    for name, r in sorted(readers.items()):
        check_read_shape(verdict, name, r, partitions)
    check_readers_agree(verdict, readers, primary, partitions)
    records = readers[primary]["records"]
    where = occurrences(records)
    batches = collect_batches(events)
    resent = check_values(verdict, writes, where, batches)
    check_atomicity(verdict, writes, txns, where)
    check_order(verdict, writes, records, resent)
    if any(e.get("f") == "consume" for e in events):
        facts["group"] = check_group(verdict, events, records)
    return verdict.result(dict(facts, readers=sorted(readers), primary_reader=primary))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("history")
    ap.add_argument("--out", help="also write the verdict JSON here")
    args = ap.parse_args()
    try:
        verdict = check(load(args.history))
    except MalformedHistory as e:
        print(json.dumps({"valid": False, "malformed": str(e)}))
        return 2
    text = json.dumps(verdict, indent=1, sort_keys=True)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0 if verdict["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
