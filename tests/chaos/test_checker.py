"""The checker on hand-written histories: a clean run passes, and each kind of violation is
caught and counted (a check that cannot fail proves nothing). Fast; no broker."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checker  # noqa: E402


class History:
    """Builds events the way the workers and readers write them."""

    def __init__(self):
        self.events = []
        self.t = 0.0

    def add(self, **e):
        self.t += 0.001
        self.events.append(dict(time=self.t, **e))
        return self

    def invoke(self, process, partition, value, idempotent=True):
        return self.add(process=process, type="invoke", f="append", partition=partition,
                        value=value, idempotent=idempotent)

    def done(self, process, partition, value, kind, offset=None):
        return self.add(process=process, type=kind, f="append", partition=partition,
                        value=value, offset=offset)

    def append(self, process, partition, value, kind="ok", offset=None, idempotent=True):
        self.invoke(process, partition, value, idempotent)
        return self.done(process, partition, value, kind, offset)

    def read(self, reader, partition, records, done=True):
        for offset, value in records:
            self.add(process=reader, type="ok", f="read", partition=partition, offset=offset,
                     value=value)
        end = records[-1][0] + 1 if records else 0
        return self.add(process=reader, type="ok" if done else "fail", f="read-done",
                        partition=partition, offset=end if done else None)


def clean():
    """Two producers on two partitions, one unknown write that landed and one that did not, a
    failed one, a nemesis kill; two readers that agree."""
    h = History()
    h.add(process="nemesis", type="info", f="kill", node=1)
    h.append("a", 0, "a/0/0", offset=0).append("b", 0, "b/0/0", offset=1)
    h.append("a", 0, "a/0/1", kind="unknown").append("a", 0, "a/0/2", offset=3)
    h.append("b", 1, "b/1/0", offset=0).append("b", 1, "b/1/1", kind="unknown")
    h.append("a", 1, "a/1/0", kind="fail").append("a", 1, "a/1/1", offset=1)
    reads = {0: [(0, "a/0/0"), (1, "b/0/0"), (2, "a/0/1"), (3, "a/0/2")],
             1: [(0, "b/1/0"), (1, "a/1/1")]}
    for reader in ("reader-confluent", "reader-kafka-python"):
        for p, records in reads.items():
            h.read(reader, p, records)
    return h


def verdict(h):
    return checker.check(h.events)


def violations(v):
    return {k: n for k, n in v["counts"].items() if k in checker.VIOLATIONS and n}


def test_clean_history_is_valid():
    v = verdict(clean())
    assert v["valid"], v
    assert v["counts"]["ok"] == 5 and v["counts"]["unknown"] == 2 and v["counts"]["fail"] == 1
    assert v["nemesis"] == {"kill": 1}
    assert violations(v) == {}


def read_as(h, records_by_partition, readers=("reader-confluent",)):
    for reader in readers:
        for p, records in records_by_partition.items():
            h.read(reader, p, records)
    return verdict(h)


def test_lost_acknowledged_write():
    h = History().append("a", 0, "a/0/0", offset=0).append("a", 0, "a/0/1", offset=1)
    v = read_as(h, {0: [(0, "a/0/0")]})
    assert not v["valid"] and violations(v) == {"lost": 1}
    assert v["examples"]["lost"][0]["value"] == "a/0/1"


def test_acknowledged_write_at_another_offset():
    h = History().append("a", 0, "a/0/0", offset=5)
    v = read_as(h, {0: [(0, "a/0/0")]})
    assert violations(v) == {"misplaced": 1}


def test_duplicated_write():
    h = History().append("a", 0, "a/0/0", offset=0).append("a", 0, "a/0/1", offset=1)
    v = read_as(h, {0: [(0, "a/0/0"), (1, "a/0/1"), (2, "a/0/1")]})
    assert violations(v) == {"duplicated": 1}


def test_unknown_write_present_twice_is_a_duplicate():
    h = History().append("a", 0, "a/0/0", kind="unknown")
    v = read_as(h, {0: [(0, "a/0/0"), (1, "a/0/0")]})
    assert violations(v) == {"duplicated": 1}


def batch(h, partition, base, last, producer_id, producer_epoch):
    return h.add(process="batches", type="ok", f="batch", partition=partition, base_offset=base,
                 last_offset=last, producer_id=producer_id, producer_epoch=producer_epoch,
                 base_sequence=0)


def resent_under_a_new_epoch(second_epoch):
    """a/0/0 and a/0/1 acknowledged in one batch of producer 7 epoch 0, then a/0/0 again after
    a/0/1 in a batch of the same producer under second_epoch."""
    h = History().append("a", 0, "a/0/0", offset=0).append("a", 0, "a/0/1", offset=1)
    batch(h, 0, 0, 1, 7, 0)
    batch(h, 0, 2, 2, 7, second_epoch)
    return read_as(h, {0: [(0, "a/0/0"), (1, "a/0/1"), (2, "a/0/0")]})


def test_a_value_the_client_sent_again_under_a_new_epoch_is_its_duplicate():
    v = resent_under_a_new_epoch(second_epoch=1)
    assert v["valid"], v
    assert v["counts"]["client_duplicated"] == 1
    assert v["examples"]["client_duplicated"][0]["writers"] == [(7, 0), (7, 1)]


def test_a_value_written_twice_under_one_epoch_is_the_brokers_duplicate():
    v = resent_under_a_new_epoch(second_epoch=0)
    assert violations(v) == {"duplicated": 1, "reordered": 1}
    assert v["counts"]["client_duplicated"] == 0


def test_a_duplicate_in_batches_of_two_producers_is_the_brokers():
    h = History().append("a", 0, "a/0/0", offset=0)
    batch(h, 0, 0, 0, 7, 0)
    batch(h, 0, 1, 1, 8, 1)
    v = read_as(h, {0: [(0, "a/0/0"), (1, "a/0/0")]})
    assert violations(v) == {"duplicated": 1}


def test_a_duplicate_without_batch_headers_is_a_violation():
    h = History().append("a", 0, "a/0/0", offset=0)
    batch(h, 0, 0, 0, 7, 0)  # the second copy's batch was never read
    v = read_as(h, {0: [(0, "a/0/0"), (1, "a/0/0")]})
    assert violations(v) == {"duplicated": 1}


def test_reordered_writes_of_one_producer():
    h = History().append("a", 0, "a/0/0", offset=1).append("a", 0, "a/0/1", offset=0)
    v = read_as(h, {0: [(0, "a/0/1"), (1, "a/0/0")]})
    assert violations(v) == {"reordered": 1}


def test_unknown_write_landing_late_is_reordering_only_for_idempotent_producers():
    def run(idempotent):
        h = History().append("a", 0, "a/0/0", kind="unknown", idempotent=idempotent)
        h.append("a", 0, "a/0/1", offset=0, idempotent=idempotent)
        return read_as(h, {0: [(0, "a/0/1"), (1, "a/0/0")]})

    assert violations(run(True)) == {"reordered": 1}
    assert violations(run(False)) == {}


def test_two_producers_interleaved_are_not_reordering():
    h = History().append("a", 0, "a/0/0", offset=0).append("b", 0, "b/0/0", offset=1)
    h.append("a", 0, "a/0/1", offset=2)
    assert violations(read_as(h, {0: [(0, "a/0/0"), (1, "b/0/0"), (2, "a/0/1")]})) == {}


def test_value_never_attempted():
    h = History().append("a", 0, "a/0/0", offset=0)
    v = read_as(h, {0: [(0, "a/0/0"), (1, "ghost")]})
    assert violations(v) == {"unexpected": 1}


def test_value_in_another_partition_is_unexpected():
    h = History().append("a", 0, "a/0/0", kind="unknown")
    v = read_as(h, {0: [], 1: [(0, "a/0/0")]})
    assert violations(v) == {"unexpected": 1}


def test_definitely_failed_write_that_was_read():
    h = History().append("a", 0, "a/0/0", kind="fail")
    v = read_as(h, {0: [(0, "a/0/0")]})
    assert violations(v) == {"failed_but_read": 1}


def test_read_not_to_the_end():
    h = History().append("a", 0, "a/0/0", kind="unknown")
    h.read("reader-confluent", 0, [], done=False)
    assert violations(verdict(h)) == {"incomplete_read": 1}


def test_no_final_read_at_all():
    v = verdict(History().append("a", 0, "a/0/0", offset=0))
    assert not v["valid"] and v["counts"]["incomplete_read"] == 1


def test_readers_that_disagree():
    h = History().append("a", 0, "a/0/0", offset=0).append("a", 0, "a/0/1", kind="unknown")
    h.read("reader-confluent", 0, [(0, "a/0/0"), (1, "a/0/1")])
    h.read("reader-kafka-python", 0, [(0, "a/0/0")])
    assert violations(verdict(h)) == {"readers_disagree": 1}


def test_offsets_that_go_backwards_in_a_read():
    h = History().append("a", 0, "a/0/0", kind="unknown").append("b", 0, "b/0/0", kind="unknown")
    v = read_as(h, {0: [(1, "a/0/0"), (0, "b/0/0")]})
    assert violations(v) == {"read_not_monotonic": 1}


def test_invoke_without_completion_counts_as_unknown():
    h = History().invoke("a", 0, "a/0/0")
    v = read_as(h, {0: [(0, "a/0/0")]})
    assert v["valid"] and v["counts"]["unknown"] == 1


def test_value_attempted_twice_is_a_malformed_history():
    h = History().invoke("a", 0, "x").invoke("b", 0, "x")
    with pytest.raises(checker.MalformedHistory):
        verdict(h)


def test_cli_exit_codes(tmp_path):
    import json
    import subprocess

    def run(h):
        path = tmp_path / "history.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in h.events))
        out = tmp_path / "verdict.json"
        code = subprocess.run([sys.executable, checker.__file__, str(path), "--out", str(out)],
                              stdout=subprocess.DEVNULL).returncode
        return code, json.loads(out.read_text())

    assert run(clean())[0] == 0
    bad = History().append("a", 0, "a/0/0", offset=0)
    bad.read("reader-confluent", 0, [])
    code, v = run(bad)
    assert code == 1 and v["counts"]["lost"] == 1


def test_availability_measures_heal_to_next_ok():
    h = History().append("a", 0, "a/0/0", offset=0)
    h.add(process="nemesis", type="info", f="kill", node=1)
    h.add(process="nemesis", type="info", f="started", node=1)
    h.t += 2.0
    h.append("a", 0, "a/0/1", offset=1)
    v = read_as(h, {0: [(0, "a/0/0"), (1, "a/0/1")]})
    assert v["availability"]["heals"] == 1 and v["availability"]["never_recovered"] == 0
    assert 2.0 <= v["availability"]["recovery_max_s"] < 2.01
    assert v["by_process"] == {"a": {"ok": 2}}


# --- The transactions workload ---

def txn(h, process, n, values, kind, offsets=None):
    """One transaction: values [(partition, value)], ending `kind` (ok carries offsets)."""
    h.add(process=process, type="invoke", f="txn", txn=n, values=[list(v) for v in values],
          commit=kind != "fail")
    fields = {"offsets": offsets} if kind == "ok" else {}
    return h.add(process=process, type=kind, f="txn", txn=n, **fields)


def txn_history(committed_reads, uncommitted_reads=None):
    """Transactions: t0 committed on partitions 0 and 1, t1 aborted, t2 unknown; then the
    read_committed reader's records and a read_uncommitted reader's (default: the committed
    ones plus the aborted t1 at the offsets the markers leave)."""
    h = History()
    txn(h, "t", 0, [(0, "t/0/0"), (1, "t/0/1")], "ok", {"t/0/0": 0, "t/0/1": 0})
    txn(h, "t", 1, [(0, "t/1/0"), (1, "t/1/1")], "fail")
    txn(h, "t", 2, [(0, "t/2/0"), (1, "t/2/1")], "unknown")
    if uncommitted_reads is None:
        uncommitted_reads = {p: sorted(committed_reads.get(p, []) + [(2, "t/1/%d" % p)])
                             for p in (0, 1)}
    for name, isolation, reads in (("reader-committed", "read_committed", committed_reads),
                                   ("reader-uncommitted", "read_uncommitted",
                                    uncommitted_reads)):
        h.add(process=name, type="info", f="read-start", isolation=isolation)
        for p in (0, 1):
            h.read(name, p, reads.get(p, []))
    return h


def test_transactions_committed_and_unknown_read_whole_aborted_hidden_is_valid():
    v = verdict(txn_history({0: [(0, "t/0/0"), (4, "t/2/0")], 1: [(0, "t/0/1"), (4, "t/2/1")]}))
    assert v["valid"], v
    assert v["transactions"] == {"ok": 1, "fail": 1, "unknown": 1}
    assert v["primary_reader"] == "reader-committed"


def test_a_committed_transaction_read_in_part_is_lost_and_partial():
    v = verdict(txn_history({0: [(0, "t/0/0")], 1: []}))
    assert violations(v) == {"lost": 1, "partial_txn": 1}


def test_an_aborted_transaction_read_committed_is_caught():
    reads = {0: [(0, "t/0/0"), (2, "t/1/0")], 1: [(0, "t/0/1"), (2, "t/1/1")]}
    v = verdict(txn_history(reads, reads))
    assert violations(v) == {"failed_but_read": 2}


def test_an_unknown_transaction_read_halfway_is_partial():
    v = verdict(txn_history({0: [(0, "t/0/0"), (4, "t/2/0")], 1: [(0, "t/0/1")]}))
    assert violations(v) == {"partial_txn": 1}


def test_a_committed_record_the_uncommitted_reader_misses_is_disagreement():
    committed = {0: [(0, "t/0/0")], 1: [(0, "t/0/1")]}
    v = verdict(txn_history(committed, {0: [(0, "t/0/0")], 1: []}))
    assert violations(v) == {"readers_disagree": 1}


# --- The groups workload ---

def group_history(consumes, commits, caught_up=True):
    """Appends a/0/0..a/0/3 at offsets 0-3 of partition 0 (read back by one reader), then the
    members' events in order: consumes (process, offset) and acknowledged commits (process,
    next offset)."""
    h = History()
    for i in range(4):
        h.append("a", 0, "a/0/%d" % i, offset=i)
    events = [("consume", c) for c in consumes] + [("commit", c) for c in commits]
    for kind, (process, offset, t) in sorted(events, key=lambda x: x[1][2]):
        if kind == "consume":
            h.add(process=process, type="ok", f="consume", partition=0, offset=offset,
                  value="a/0/%d" % offset)
        else:
            h.add(process=process, type="invoke", f="commit", offsets={"0": offset})
            h.add(process=process, type="ok", f="commit", offsets={"0": offset})
    h.add(process="nemesis", type="info", f="group-caught-up" if caught_up else "group-behind")
    h.read("reader-confluent", 0, [(i, "a/0/%d" % i) for i in range(4)])
    return h


def test_a_group_that_consumes_everything_once_and_commits_is_valid():
    v = verdict(group_history([("m1", 0, 1), ("m1", 1, 2), ("m2", 2, 5), ("m2", 3, 6)],
                              [("m1", 2, 3), ("m2", 4, 7)]))
    assert v["valid"], v
    assert v["group"] == {"consumed": 4, "redelivered": 0, "commits_acknowledged": 2}


def test_redelivery_of_uncommitted_records_is_allowed():
    # m1 consumed 0-2 but committed only 2; m2 takes over from 2 and is given 2 again.
    v = verdict(group_history([("m1", 0, 1), ("m1", 1, 2), ("m1", 2, 4), ("m2", 2, 5),
                               ("m2", 3, 6)], [("m1", 2, 3), ("m2", 4, 7)]))
    assert v["valid"], v
    assert v["group"]["redelivered"] == 1


def test_a_member_given_records_below_an_acknowledged_commit_is_a_lost_commit():
    v = verdict(group_history([("m1", 0, 1), ("m1", 1, 2), ("m1", 2, 3), ("m2", 1, 5),
                               ("m2", 2, 6), ("m2", 3, 7)], [("m1", 3, 4), ("m2", 4, 8)]))
    assert violations(v) == {"commit_lost": 2}  # offsets 1 and 2, below the commit of 3


def test_a_commit_past_records_nobody_consumed_is_a_skip():
    v = verdict(group_history([("m1", 0, 1), ("m1", 3, 2)], [("m1", 4, 3)]))
    assert violations(v) == {"group_skipped": 2}


def test_a_group_that_never_catches_up_is_incomplete():
    v = verdict(group_history([("m1", 0, 1)], [("m1", 1, 2)], caught_up=False))
    assert violations(v) == {"group_incomplete": 1}
