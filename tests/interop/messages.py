"""The message sets of the interop suite and their exact check.

Message i of a set tagged `tag` is a pure function of (tag, i), written the same way by every
producer (rdkafka_roundtrip.c and js/client.js repeat it), so any consumer's output can be
checked without knowing who produced it:
  key k<i>, value <tag>-<i>-<first i%17 letters of a..p>, headers id=<i> and, when i%4 == 0,
  n=<tag>, timestamp base_ts + i, partition i % partitions.
kcat cannot set a header, timestamp or partition per message: its sets ("kcat style") carry the
one header src=kcat, a timestamp the client takes from its clock, and the key's partition.

Consumers report records as lines "partition offset timestamp key_hex value_hex hk:hv,..."."""

import dataclasses
import time

FILLER = "abcdefghijklmnop"


@dataclasses.dataclass(frozen=True)
class Record:
    partition: int
    offset: int
    timestamp: int
    key: bytes
    value: bytes
    headers: tuple  # ((name bytes, value bytes), ...)


@dataclasses.dataclass(frozen=True)
class MessageSet:
    tag: str
    n: int
    partitions: int
    base_ts: int
    kcat_style: bool = False

    def key(self, i):
        return b"k%d" % i

    def value(self, i):
        return ("%s-%d-%s" % (self.tag, i, FILLER[: i % 17])).encode()

    def headers(self, i):
        if self.kcat_style:
            return ((b"src", b"kcat"),)
        h = ((b"id", str(i).encode()),)
        if i % 4 == 0:
            h += ((b"n", self.tag.encode()),)
        return h

    def timestamp(self, i):
        return self.base_ts + i

    def partition(self, i):
        return i % self.partitions


def new_set(tag, n, partitions, kcat_style=False):
    # Explicit timestamps a little in the past: inside any broker's accepted window.
    return MessageSet(tag, n, partitions, int(time.time() * 1000) - 600_000, kcat_style)


def parse_dump(text):
    records = []
    for line in text.splitlines():
        if not line:
            continue
        parts = line.split(" ")
        if len(parts) == 5:
            parts.append("")
        p, o, ts, k, v, h = parts
        headers = ()
        if h:
            pairs = (x.split(":") for x in h.split(","))
            headers = tuple((bytes.fromhex(a), bytes.fromhex(b)) for a, b in pairs)
        records.append(Record(int(p), int(o), int(ts), bytes.fromhex(k), bytes.fromhex(v), headers))
    return records


def format_record(r):
    h = ",".join("%s:%s" % (a.hex(), b.hex()) for a, b in r.headers)
    return "%d %d %d %s %s %s" % (r.partition, r.offset, r.timestamp, r.key.hex(), r.value.hex(), h)


def check(records, ms, produced_between=None):
    """Asserts `records` are exactly the set `ms`: each message once, byte-exact, in produce
    order within each partition with increasing offsets. Returns a short summary."""
    assert len(records) == ms.n, "consumed %d records, produced %d" % (len(records), ms.n)
    seen = [False] * ms.n
    last = {}  # partition -> (offset, index)
    for r in records:
        assert r.key[:1] == b"k" and r.key[1:].isdigit(), "unexpected key %r" % r.key
        i = int(r.key[1:])
        assert 0 <= i < ms.n and not seen[i], "index %d unexpected or duplicated" % i
        seen[i] = True
        want = (ms.key(i), ms.value(i), ms.headers(i))
        got = (r.key, r.value, r.headers)
        assert got == want, "message %d: got %r, want %r" % (i, got, want)
        if ms.kcat_style:
            lo, hi = produced_between
            assert lo - 1000 <= r.timestamp <= hi + 1000, (
                "message %d: timestamp %d outside the produce window" % (i, r.timestamp))
        else:
            assert r.timestamp == ms.timestamp(i), "message %d: timestamp %d" % (i, r.timestamp)
            assert r.partition == ms.partition(i), "message %d in partition %d" % (i, r.partition)
        if r.partition in last:
            po, pi = last[r.partition]
            assert r.offset > po, "partition %d: offset %d after %d" % (r.partition, r.offset, po)
            assert i > pi, "partition %d: message %d after %d (order)" % (r.partition, i, pi)
        last[r.partition] = (r.offset, i)
    assert all(seen)
    return "%d records in %d partitions" % (len(records), len(last))
