"""Transactions (issue 7) with real clients against a vltava process.

- Visibility: committed transactions are seen by read_committed and read_uncommitted readers,
  aborted ones only by read_uncommitted (confluent-kafka-python; kafka-python, which has no
  read_committed before 2.1, reads uncommitted and also shows each commit/abort marker).
- Three producers' transactions interleaved record by record on one partition, some aborted:
  read_committed drops exactly the aborted ranges.
- Fencing: a second producer with the same transactional.id fences the first, whose next
  operation fails fatally; the first one's open transaction is aborted. A producer that keeps
  its transaction open past transaction.timeout.ms finds it aborted.
- Raw requests: FindCoordinator key_type 1, InitProducerId epoch bumps, INVALID_TRANSACTION_
  TIMEOUT above transaction.max.timeout.ms, __transaction_state's partition count;
  ListTransactions (state and producer id filters, unknown states) and DescribeTransactions
  (state, timeout, partitions, TRANSACTIONAL_ID_NOT_FOUND) of ongoing, committed and idle ids.
- A hung transaction (producer killed -9 inside it) is aborted after transaction.timeout.ms and
  a read_committed consumer then reads past it.
- Consume-transform-produce (txn_clients.py processor): killed -9 at random points 20 times and
  restarted, twice frozen (SIGSTOP) while a successor takes over and then resumed as a zombie
  that must be fenced; a read_committed reader of the output sees every input message exactly
  once, in input order per partition.
- Broker kill -9 while a producer commits 3-partition transactions in a loop: afterwards every
  transaction is visible on all partitions or on none, and every acknowledged commit entirely;
  an open transaction still times out after a broker kill -9, another commits after one; the
  processor above keeps copying exactly once while the broker is killed -9 under it.
- kafkajs (js/transactions.js): the same consume-transform-produce with sendOffsets, killed -9.

Readers stop at a sentinel: after the writers are done, a plain producer appends one sentinel
to every partition; a read_committed reader that reached it has seen everything before it (no
waiting on quiet periods). Everything here needs vltava (process control, broker settings).
Until the broker has a transaction coordinator, InitProducerId with a transactional.id answers
TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53) and every test here skips, saying so."""

import collections
import json
import os
import random
import signal
import struct
import subprocess
import time

import pytest

import harness
import test_idempotence
from txn_clients import TxnChild

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = os.environ.get("NODE", "node")
SENTINEL = b"__end__"

pytestmark = pytest.mark.process

# The timed-out-transaction check runs every 500 ms (Kafka: 10 s), so a hung transaction with a
# 3 s timeout is aborted within ~3.5 s; groups start without the 3 s initial rebalance delay.
# kafkajs has no static membership: a 2 s session (Kafka's floor is 6 s) lets the group drop a
# killed kafkajs processor sooner.
# A small __transaction_state (Kafka: 50 partitions) and a 60 s transaction.max.timeout.ms
# (Kafka: 15 min) that the raw checks below test against.
TXN_STATE_PARTITIONS = 4
MAX_TIMEOUT_MS = 60000
TXN_SETS = ("transaction.abort.timed.out.transaction.cleanup.interval.ms=500",
            "group.initial.rebalance.delay.ms=100", "group.min.session.timeout.ms=1000",
            "transaction.state.log.num.partitions=%d" % TXN_STATE_PARTITIONS,
            "transaction.max.timeout.ms=%d" % MAX_TIMEOUT_MS)


def start_txn_broker():
    """A vltava broker with TXN_SETS; skips the test when the broker has no transaction
    coordinator yet (or does not know these settings)."""
    refused = None
    try:
        b = harness.VltavaBroker(extra_sets=TXN_SETS)
    except AssertionError as e:
        if "transaction." not in str(e):
            raise
        refused = str(e).splitlines()[-1]
        b = harness.VltavaBroker()
    error, _, _ = test_idempotence.init_producer_id(b.bootstrap, "txn-probe")
    if error != 0 or refused:
        b.stop()
        if error != 0:
            pytest.skip("no transaction coordinator on this broker yet: InitProducerId with a "
                        "transactional.id answers %d" % error)
        pytest.skip("the broker refuses the transaction settings %s: %s" % (TXN_SETS, refused))
    return b


@pytest.fixture(scope="module")
def tbroker():
    b = start_txn_broker()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def own_tbroker():
    b = start_txn_broker()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def children():
    started = []
    yield started
    for c in started:
        c.close()


# ---- helpers ----------------------------------------------------------------------------------

def producer(bootstrap, **extra):
    import confluent_kafka as ck

    conf = {"bootstrap.servers": bootstrap, "linger.ms": 1}
    conf.update({k.replace("_", "."): v for k, v in extra.items()})
    return ck.Producer(conf)


def txn_producer(bootstrap, tid, timeout_ms=20000):
    p = producer(bootstrap, transactional_id=tid, transaction_timeout_ms=timeout_ms)
    p.init_transactions(60)
    return p


def append_sentinels(bootstrap, topic, partitions):
    p = producer(bootstrap, acks="all", enable_idempotence=True)
    for part in range(partitions):
        p.produce(topic, value=SENTINEL, partition=part)
    assert p.flush(60) == 0


def read_confluent(bootstrap, topic, partitions, isolation, timeout_s=60, start=None,
                   offsets=False, **conf):
    """Values per partition up to each partition's sentinel, with a confluent consumer of the
    given isolation.level (sentinels excluded), from `start` (default: the beginning); with
    offsets=True, (offset, value) pairs. `conf`: more consumer settings (dots as "_")."""
    import confluent_kafka as ck

    settings = {"bootstrap.servers": bootstrap, "group.id": "txn-reader",
                "enable.auto.commit": False, "isolation.level": isolation}
    settings.update({k.replace("_", "."): v for k, v in conf.items()})
    c = ck.Consumer(settings)
    c.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING if start is None else start)
              for p in range(partitions)])
    out = {p: [] for p in range(partitions)}
    done = set()
    deadline = time.time() + timeout_s
    try:
        while len(done) < partitions:
            assert time.time() < deadline, "%s: sentinels of %s only; read %s" % (
                isolation, sorted(done), {p: len(v) for p, v in out.items()})
            for m in c.consume(num_messages=10000, timeout=0.5):
                assert not m.error(), m.error()
                if m.value() == SENTINEL:
                    done.add(m.partition())
                elif m.partition() not in done:
                    out[m.partition()].append((m.offset(), m.value()) if offsets else m.value())
    finally:
        c.close()
    return out


def read_kafka_python(bootstrap, topic, partitions, sentinels=1, timeout_s=60):
    """(values, markers) per partition up to the n-th sentinel with kafka-python (read_uncommitted:
    2.0.2 has no isolation_level). It hands out the records of control batches like data: a
    4-byte key (version 0, type 0 abort / 1 commit) and a 6-byte value; those are returned
    apart as "commit"/"abort"."""
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                      auto_offset_reset="earliest")
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    values = {p: [] for p in range(partitions)}
    markers = {p: [] for p in range(partitions)}
    seen = collections.Counter()
    done = set()
    deadline = time.time() + timeout_s
    try:
        while len(done) < partitions:
            assert time.time() < deadline, "kafka-python: sentinels of %s only" % sorted(done)
            for tp, records in c.poll(timeout_ms=500).items():
                for r in records:
                    if tp.partition in done:
                        continue
                    if r.value == SENTINEL:
                        seen[tp.partition] += 1
                        if seen[tp.partition] == sentinels:
                            done.add(tp.partition)
                    elif r.key in (b"\0\0\0\0", b"\0\0\0\1") and len(r.value or b"") == 6:
                        markers[tp.partition].append("commit" if r.key[3] else "abort")
                    else:
                        values[tp.partition].append(r.value)
    finally:
        c.close()
    return values, markers


def fenced(err):
    import confluent_kafka as ck

    return err.fatal() or err.code() in (ck.KafkaError._FENCED, ck.KafkaError.PRODUCER_FENCED,
                                         ck.KafkaError.INVALID_PRODUCER_EPOCH)


def new_id(prefix):
    return "%s-%s" % (prefix, os.urandom(4).hex())


# ---- the coordinator over a raw socket --------------------------------------------------------

def init_producer_id_raw(address, transactional_id, timeout_ms):
    """InitProducerId v1 with a transactional id; returns (error, producer id, epoch)."""
    t = transactional_id.encode()
    body = struct.pack(">h", len(t)) + t + struct.pack(">i", timeout_ms)
    with test_idempotence.connect(address) as s:
        s.sendall(harness.frame(22, 1, 31, body))
        cid, resp = harness.recv_response(s)
    assert cid == 31
    _throttle, error, pid, epoch = struct.unpack(">ihqh", resp[:16])
    return error, pid, epoch


def find_coordinator_raw(address, key, key_type):
    """FindCoordinator v1; returns (error, node id, host, port)."""
    k = key.encode()
    body = struct.pack(">h", len(k)) + k + struct.pack(">b", key_type)
    with test_idempotence.connect(address) as s:
        s.sendall(harness.frame(10, 1, 32, body))
        cid, resp = harness.recv_response(s)
    assert cid == 32
    _throttle, error, msg_len = struct.unpack(">ihh", resp[:8])
    pos = 8 + max(msg_len, 0)
    node, host_len = struct.unpack(">ih", resp[pos:pos + 6])
    host = resp[pos + 6:pos + 6 + host_len].decode()
    (port,) = struct.unpack(">i", resp[pos + 6 + host_len:pos + 10 + host_len])
    return error, node, host, port


def add_partitions_raw(address, transactional_id, pid, epoch, topic, partitions):
    """AddPartitionsToTxn v1; returns {partition: error}."""
    i, t = transactional_id.encode(), topic.encode()
    body = (struct.pack(">h", len(i)) + i + struct.pack(">qhi", pid, epoch, 1) +
            struct.pack(">h", len(t)) + t + struct.pack(">i", len(partitions)) +
            b"".join(struct.pack(">i", p) for p in partitions))
    with test_idempotence.connect(address) as s:
        s.sendall(harness.frame(24, 1, 33, body))
        cid, resp = harness.recv_response(s)
    assert cid == 33
    _throttle, n_topics, name_len = struct.unpack(">iih", resp[:10])
    assert n_topics == 1
    pos = 10 + name_len
    (n,) = struct.unpack(">i", resp[pos:pos + 4])
    out = {}
    for k in range(n):
        p, e = struct.unpack(">ih", resp[pos + 4 + 6 * k:pos + 10 + 6 * k])
        out[p] = e
    return out


def test_partition_outside_the_transaction_refused(tbroker, topic_name):
    """KIP-890 verification over the wire: a transactional batch opens a transaction only on
    a partition the coordinator has in it (48 INVALID_TXN_STATE otherwise, nothing written),
    and transactional records name their transactional id (53)."""
    tbroker.create_topic(topic_name, 2)
    tid = new_id("verify")
    error, pid, epoch = init_producer_id_raw(tbroker.bootstrap, tid, 10000)
    assert error == 0
    assert add_partitions_raw(tbroker.bootstrap, tid, pid, epoch, topic_name, [0]) == {0: 0}
    batch = lambda seq: test_idempotence.record_batch(pid, epoch, seq, [b"v%d" % seq],
                                                      transactional=True)
    with test_idempotence.connect(tbroker.bootstrap) as s:
        assert test_idempotence.produce_v3(s, 1, topic_name, 1, batch(0),
                                           transactional_id=tid)[0] == 48
        assert test_idempotence.produce_v3(s, 2, topic_name, 0, batch(0))[0] == 53
        assert test_idempotence.produce_v3(s, 3, topic_name, 0, batch(0),
                                           transactional_id=tid) == (0, 0)
    assert test_idempotence.end_offset(tbroker.bootstrap, topic_name, 1) == 0  # nothing written


def test_find_coordinator_and_epoch_bump(tbroker):
    tid = new_id("raw")
    error, node, host, port = find_coordinator_raw(tbroker.bootstrap, tid, 1)
    assert (error, "%s:%d" % (host, port)) == (0, tbroker.bootstrap), node
    first = init_producer_id_raw(tbroker.bootstrap, tid, 10000)
    assert first[0] == 0 and first[1] >= 0 and first[2] == 0, first
    # The same transactional.id again: same producer id, next epoch (fencing the first).
    assert init_producer_id_raw(tbroker.bootstrap, tid, 10000) == (0, first[1], 1)
    other = init_producer_id_raw(tbroker.bootstrap, new_id("raw"), 10000)
    assert other[0] == 0 and other[1] != first[1], other


def test_timeout_above_max_refused(tbroker):
    error, pid, _ = init_producer_id_raw(tbroker.bootstrap, new_id("max"), MAX_TIMEOUT_MS + 1)
    assert (error, pid) == (50, -1)  # INVALID_TRANSACTION_TIMEOUT
    assert init_producer_id_raw(tbroker.bootstrap, new_id("max"), MAX_TIMEOUT_MS)[0] == 0


def test_transaction_state_topic(tbroker):
    from confluent_kafka.admin import AdminClient

    txn_producer(tbroker.bootstrap, new_id("state"))
    topics = AdminClient({"bootstrap.servers": tbroker.bootstrap}).list_topics(
        "__transaction_state", timeout=30).topics
    t = topics.get("__transaction_state")
    assert t is not None and not t.error, t and t.error
    assert len(t.partitions) == TXN_STATE_PARTITIONS


# Flexible versions (DescribeTransactions, ListTransactions): request header v2, compact
# strings and arrays (unsigned varint length + 1), tagged fields (none, a single 0 byte).

def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def compact_str(s):
    b = s.encode()
    return uvarint(len(b) + 1) + b


def flexible_call(address, api_key, version, body):
    client = b"interop"
    header = struct.pack(">hhih", api_key, version, 41, len(client)) + client + b"\0"
    with test_idempotence.connect(address) as s:
        s.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
        cid, resp = harness.recv_response(s)
    assert cid == 41
    return Reader(resp[1:])  # response header v1: the correlation id, then tagged fields (0)


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def fixed(self, fmt):
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v

    def uvarint(self):
        shift = v = 0
        while True:
            b = self.data[self.pos]
            self.pos += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v

    def string(self):
        n = self.uvarint() - 1
        v = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return v

    def array(self, item):
        return [item() for _ in range(self.uvarint() - 1)]

    def tags(self):
        assert self.uvarint() == 0, "unexpected tagged fields"


def list_transactions(address, states=(), producer_ids=()):
    body = (uvarint(len(states) + 1) + b"".join(compact_str(x) for x in states) +
            uvarint(len(producer_ids) + 1) + b"".join(struct.pack(">q", p) for p in producer_ids)
            + b"\0")
    r = flexible_call(address, 66, 0, body)
    r.fixed(">i")
    error = r.fixed(">h")
    unknown = r.array(r.string)

    def state():
        tid, pid, st = r.string(), r.fixed(">q"), r.string()
        r.tags()
        return tid, (pid, st)
    states_out = dict(r.array(state))
    r.tags()
    return error, unknown, states_out


def describe_transactions(address, ids):
    body = uvarint(len(ids) + 1) + b"".join(compact_str(x) for x in ids) + b"\0"
    r = flexible_call(address, 65, 0, body)
    r.fixed(">i")

    def topic():
        name, parts = r.string(), r.array(lambda: r.fixed(">i"))
        r.tags()
        return name, sorted(parts)

    def state():
        out = {"error": r.fixed(">h"), "id": r.string(), "state": r.string(),
               "timeout_ms": r.fixed(">i"), "start_ms": r.fixed(">q"), "pid": r.fixed(">q"),
               "epoch": r.fixed(">h"), "topics": dict(r.array(topic))}
        r.tags()
        return out
    states = r.array(state)
    r.tags()
    return {s["id"]: s for s in states}


def test_list_and_describe_transactions(tbroker, topic_name):
    _, apis = harness.api_versions(tbroker.bootstrap)
    if 65 not in apis or 66 not in apis:
        pytest.skip("the broker does not advertise DescribeTransactions (65) and "
                    "ListTransactions (66) yet")
    tbroker.create_topic(topic_name, 2)
    ongoing_id, done_id, idle_id = new_id("ongoing"), new_id("done"), new_id("idle")
    ongoing = txn_producer(tbroker.bootstrap, ongoing_id, timeout_ms=45000)
    ongoing.begin_transaction()
    ongoing.produce(topic_name, value=b"a", partition=0)
    ongoing.produce(topic_name, value=b"b", partition=1)
    assert ongoing.flush(60) == 0
    done = txn_producer(tbroker.bootstrap, done_id)
    done.begin_transaction()
    done.produce(topic_name, value=b"c", partition=0)
    done.commit_transaction(60)
    txn_producer(tbroker.bootstrap, idle_id)

    # EndTxn may answer at PrepareCommit, before the markers are written: wait for the rest.
    deadline = time.time() + 30
    while True:
        error, unknown, listed = list_transactions(tbroker.bootstrap)
        assert (error, unknown) == (0, [])
        if listed[done_id][1] != "PrepareCommit" or time.time() > deadline:
            break
        time.sleep(0.1)
    assert listed[ongoing_id][1] == "Ongoing" and listed[idle_id][1] == "Empty"
    assert listed[done_id][1] == "CompleteCommit"
    error, unknown, listed = list_transactions(tbroker.bootstrap, ["Ongoing", "Bogus"])
    assert (error, unknown) == (0, ["Bogus"])
    assert ongoing_id in listed and done_id not in listed and idle_id not in listed
    error, _, listed = list_transactions(tbroker.bootstrap,
                                         producer_ids=[listed[ongoing_id][0]])
    assert error == 0 and list(listed) == [ongoing_id]

    described = describe_transactions(tbroker.bootstrap, [ongoing_id, done_id, "no-such-id"])
    o = described[ongoing_id]
    assert (o["error"], o["state"], o["timeout_ms"], o["epoch"]) == (0, "Ongoing", 45000, 0)
    assert o["topics"] == {topic_name: [0, 1]} and o["start_ms"] > 0
    assert (described[done_id]["error"], described[done_id]["state"]) == (0, "CompleteCommit")
    assert described["no-such-id"]["error"] == 105  # TRANSACTIONAL_ID_NOT_FOUND
    ongoing.abort_transaction(60)


# ---- a. visibility ----------------------------------------------------------------------------

def test_aborted_invisible_to_read_committed(tbroker, topic_name):
    tbroker.create_topic(topic_name, 2)
    p = txn_producer(tbroker.bootstrap, new_id("vis"))
    expected_committed = {0: [], 1: []}
    expected_all = {0: [], 1: []}
    plan = ["commit", "abort", "commit", "abort", "abort", "commit"]
    for t, outcome in enumerate(plan):
        p.begin_transaction()
        for j in range(10):
            v = b"%s-%d-%d" % (outcome.encode(), t, j)
            p.produce(topic_name, value=v, partition=j % 2)
            expected_all[j % 2].append(v)
            if outcome == "commit":
                expected_committed[j % 2].append(v)
        if outcome == "commit":
            p.commit_transaction(60)
        else:
            assert p.flush(60) == 0  # written to the log, then aborted
            p.abort_transaction(60)
    append_sentinels(tbroker.bootstrap, topic_name, 2)

    assert read_confluent(tbroker.bootstrap, topic_name, 2, "read_committed") == \
        expected_committed
    assert read_confluent(tbroker.bootstrap, topic_name, 2, "read_uncommitted") == expected_all
    values, markers = read_kafka_python(tbroker.bootstrap, topic_name, 2)
    assert values == expected_all
    # Every transaction touched both partitions, so each holds one marker per transaction.
    assert markers == {0: plan, 1: plan}


@pytest.mark.skip(reason="kafka-python 2.0.2 (Debian 12, scripts/deps) has no isolation_level: "
                         "it always reads uncommitted (2.1 added read_committed)")
def test_kafka_python_read_committed():
    pass


def test_interleaved_transactions_of_three_producers(tbroker, topic_name):
    """Three producers' transactions interleave record by record on one partition, some commit
    and some abort: read_committed must drop exactly the aborted producers' records, each
    range of them between others' records."""
    tbroker.create_topic(topic_name, 1)
    producers = [txn_producer(tbroker.bootstrap, new_id("mix%d" % k)) for k in range(3)]
    expected, written = [], []
    for rnd in range(6):
        for p in producers:
            p.begin_transaction()
        for j in range(4):
            for k, p in enumerate(producers):
                v = b"r%d-p%d-%d" % (rnd, k, j)
                p.produce(topic_name, value=v, partition=0)
                assert p.flush(60) == 0  # one record at a time: they interleave in the log
                written.append((k, v))
        commits = {k for k in range(3) if (rnd + k) % 3 != 0}  # one of three aborts per round
        for k, p in enumerate(producers):
            if k in commits:
                p.commit_transaction(60)
            else:
                p.abort_transaction(60)
        expected += [v for k, v in written if k in commits]
        written = []
    append_sentinels(tbroker.bootstrap, topic_name, 1)
    assert read_confluent(tbroker.bootstrap, topic_name, 1, "read_committed") == {0: expected}
    # Fetches of a few records each: most start inside some transaction, whose abort must still
    # be reported (an aborted transaction that began before the fetch offset).
    assert read_confluent(tbroker.bootstrap, topic_name, 1, "read_committed",
                          message_max_bytes=1000, fetch_max_bytes=1000,
                          max_partition_fetch_bytes=1) == {0: expected}
    # Consumers that start in the middle of the log.
    everything = read_confluent(tbroker.bootstrap, topic_name, 1, "read_uncommitted",
                                offsets=True)[0]
    committed = set(expected)
    for o, _ in everything[5::23]:
        want = [v for oo, v in everything if oo >= o and v in committed]
        got = read_confluent(tbroker.bootstrap, topic_name, 1, "read_committed", start=o)
        assert got == {0: want}, "read_committed from offset %d" % o


def test_transaction_timed_out_under_a_live_producer(tbroker, topic_name):
    """The coordinator aborts a transaction its producer keeps open past transaction.timeout.ms:
    the late commit fails, nothing of it is visible, and the producer can go on (after an
    abort when librdkafka calls the error abortable) or is fenced."""
    import confluent_kafka as ck

    tbroker.create_topic(topic_name, 1)
    p = txn_producer(tbroker.bootstrap, new_id("late"), timeout_ms=2000)
    p.begin_transaction()
    p.produce(topic_name, value=b"late-0", partition=0)
    assert p.flush(60) == 0
    # Aborted by the coordinator (after 2 s + at most 0.5 s): its marker moves the LSO past it.
    deadline = time.time() + 30
    while list_offsets_read_committed(tbroker.bootstrap, topic_name) == 0:
        assert time.time() < deadline, "the timed-out transaction still holds the LSO"
        time.sleep(0.2)
    with pytest.raises(ck.KafkaException) as e:
        p.commit_transaction(30)
    err = e.value.args[0]
    expected = []
    if err.txn_requires_abort():
        p.abort_transaction(30)
        p.begin_transaction()
        p.produce(topic_name, value=b"next-0", partition=0)
        p.commit_transaction(60)
        expected = [b"next-0"]
    else:
        assert fenced(err), err
    append_sentinels(tbroker.bootstrap, topic_name, 1)
    assert read_confluent(tbroker.bootstrap, topic_name, 1, "read_committed") == {0: expected}


# ---- b. fencing -------------------------------------------------------------------------------

def test_second_producer_fences_first(tbroker, topic_name):
    import confluent_kafka as ck

    tbroker.create_topic(topic_name, 1)
    tid = new_id("fence")
    first = txn_producer(tbroker.bootstrap, tid)
    first.begin_transaction()
    first.produce(topic_name, value=b"zombie-0", partition=0)
    assert first.flush(60) == 0
    second = txn_producer(tbroker.bootstrap, tid)  # bumps the epoch, aborts first's transaction
    second.begin_transaction()
    second.produce(topic_name, value=b"second-0", partition=0)
    second.commit_transaction(60)

    first.produce(topic_name, value=b"zombie-1", partition=0)
    with pytest.raises(ck.KafkaException) as e:
        first.commit_transaction(30)
    assert fenced(e.value.args[0]), "not fenced: %s" % e.value.args[0]
    append_sentinels(tbroker.bootstrap, topic_name, 1)
    assert read_confluent(tbroker.bootstrap, topic_name, 1, "read_committed") == \
        {0: [b"second-0"]}
    # zombie-1 never reached the log: the broker refused the old epoch.
    assert b"zombie-1" not in read_confluent(tbroker.bootstrap, topic_name, 1,
                                             "read_uncommitted")[0]


# ---- c. a hung transaction is aborted after its timeout ---------------------------------------

def list_offsets_read_committed(address, topic, partition=0):
    """ListOffsets v2, isolation READ_COMMITTED, latest: the last stable offset."""
    t = topic.encode()
    body = (struct.pack(">ibi", -1, 1, 1) + struct.pack(">h", len(t)) + t +
            struct.pack(">iiq", 1, partition, -1))
    with test_idempotence.connect(address) as s:
        s.sendall(harness.frame(2, 2, 21, body))
        cid, resp = harness.recv_response(s)
    assert cid == 21
    (name_len,) = struct.unpack(">h", resp[8:10])
    pos = 10 + name_len + 4
    _part, error, _ts, offset = struct.unpack(">ihqq", resp[pos:pos + 22])
    assert error == 0, "ListOffsets error %d" % error
    return offset


def test_hung_transaction_aborted_after_timeout(tbroker, topic_name, children):
    tbroker.create_topic(topic_name, 1)
    hung = TxnChild("hang", {"bootstrap": tbroker.bootstrap, "transactional_id": new_id("hung"),
                             "topic": topic_name, "n": 5, "transaction_timeout_ms": 3000})
    children.append(hung)
    hung.wait(lambda evs: any(e["e"] == "produced" for e in evs), 60, "produced")
    produced_at = time.time()
    # While the transaction is open the last stable offset stays at its first record (checked
    # only while clearly within the 3 s timeout).
    lso = list_offsets_read_committed(tbroker.bootstrap, topic_name)
    assert lso == 0 or time.time() - produced_at > 2.0, "LSO %d with a transaction open" % lso
    hung.kill9()
    p = producer(tbroker.bootstrap, acks="all", enable_idempotence=True)
    for j in range(3):
        p.produce(topic_name, value=b"after-%d" % j, partition=0)
    assert p.flush(60) == 0
    append_sentinels(tbroker.bootstrap, topic_name, 1)
    got = read_confluent(tbroker.bootstrap, topic_name, 1, "read_committed", timeout_s=30)
    assert got == {0: [b"after-%d" % j for j in range(3)]}
    # The abort marker went to the end of the log, after the first sentinel.
    append_sentinels(tbroker.bootstrap, topic_name, 1)
    values, markers = read_kafka_python(tbroker.bootstrap, topic_name, 1, sentinels=2)
    assert values == {0: [b"hung-%d" % j for j in range(5)] + [b"after-%d" % j for j in range(3)]}
    assert markers == {0: ["abort"]}
    # Everything is decided now: the last stable offset is the end of the log.
    assert list_offsets_read_committed(tbroker.bootstrap, topic_name) == 5 + 3 + 1 + 1 + 1


def test_open_transaction_aborted_after_broker_kill9(own_tbroker, topic_name, children):
    """The coordinator's state and the partitions' open transaction come back from the logs
    after kill -9: the hung transaction still times out and stops holding the LSO."""
    own_tbroker.create_topic(topic_name, 1)
    hung = TxnChild("hang", {"bootstrap": own_tbroker.bootstrap, "topic": topic_name, "n": 5,
                             "transactional_id": new_id("hung"), "transaction_timeout_ms": 3000})
    children.append(hung)
    hung.wait(lambda evs: any(e["e"] == "produced" for e in evs), 60, "produced")
    hung.kill9()
    own_tbroker.restart(kill9=True)
    p = producer(own_tbroker.bootstrap, acks="all", enable_idempotence=True)
    for j in range(3):
        p.produce(topic_name, value=b"after-%d" % j, partition=0)
    assert p.flush(60) == 0
    append_sentinels(own_tbroker.bootstrap, topic_name, 1)
    got = read_confluent(own_tbroker.bootstrap, topic_name, 1, "read_committed", timeout_s=30)
    assert got == {0: [b"after-%d" % j for j in range(3)]}
    append_sentinels(own_tbroker.bootstrap, topic_name, 1)
    values, markers = read_kafka_python(own_tbroker.bootstrap, topic_name, 1, sentinels=2)
    assert values == {0: [b"hung-%d" % j for j in range(5)] + [b"after-%d" % j for j in range(3)]}
    assert markers == {0: ["abort"]}


def test_commit_after_broker_kill9(own_tbroker, topic_name):
    """A transaction open across a broker kill -9 commits afterwards, on every partition."""
    import confluent_kafka as ck

    own_tbroker.create_topic(topic_name, 2)
    p = txn_producer(own_tbroker.bootstrap, new_id("across"))
    p.begin_transaction()
    expected = {0: [], 1: []}
    for j in range(10):
        p.produce(topic_name, value=b"v%d" % j, partition=j % 2)
        expected[j % 2].append(b"v%d" % j)
    assert p.flush(60) == 0
    own_tbroker.restart(kill9=True)
    for _ in range(10):
        try:
            p.commit_transaction(30)
            break
        except ck.KafkaException as e:
            assert e.args[0].retriable(), "commit after the restart failed: %s" % e.args[0]
    else:
        raise AssertionError("commit still retriable after 10 tries")
    append_sentinels(own_tbroker.bootstrap, topic_name, 2)
    assert read_confluent(own_tbroker.bootstrap, topic_name, 2, "read_committed") == expected


# ---- d. consume-transform-produce, processor killed -9 ----------------------------------------

CTP_MESSAGES = 2000
CTP_PARTITIONS = 3
CTP_KILLS = 20


def fill_input(bootstrap, topic, n, partitions):
    p = producer(bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    for i in range(n):
        p.produce(topic, key=b"k%d" % i, value=b"%d" % i, partition=i % partitions)
        if i % 1000 == 999:
            p.poll(0)
    assert p.flush(60) == 0


def assert_copied_exactly_once(got, n, partitions):
    for part in range(partitions):
        expected = [b"%d" % i for i in range(part, n, partitions)]
        values = got[part]
        if values != expected:
            counts = collections.Counter(values)
            dups = sorted(int(v) for v, k in counts.items() if k > 1)[:10]
            missing = sorted(int(v) for v in set(expected) - set(values))[:10]
            raise AssertionError("output partition %d: %d values of %d, duplicated %s, missing %s"
                                 % (part, len(values), len(expected), dups, missing))


def run_killed_processors(spawn, kills, rng, zombie_rounds=(), ready_timeout_s=60):
    """Starts processors one after another and kills each with -9: a quarter at a random moment
    of their start, the rest at a random moment after they said ready. In a zombie round the
    processor is frozen (SIGSTOP) instead, its successor started, and once the successor is
    ready the frozen one resumes: whatever it still does must be fenced (the exactly-once check
    of the output catches a zombie commit); it is killed after at most 10 s. Returns (kills
    inside a transaction, zombies that exited saying they were fenced)."""
    in_txn = zombies_fenced = 0
    proc = None
    for k in range(kills):
        proc = proc or spawn(k)
        if k not in zombie_rounds and rng.random() < 0.25:
            time.sleep(rng.uniform(0, 1.5))
        else:
            proc.wait(lambda evs: any(e["e"] == "ready" for e in evs), ready_timeout_s, "ready")
            time.sleep(rng.uniform(0, 0.8))
        if proc.proc.poll() is not None:
            raise AssertionError("processor %d exited %s by itself; stderr:\n%s" % (
                k, proc.proc.returncode, "".join(proc.stderr)[-3000:]))
        last = proc.last(("begin", "commit"))
        in_txn += bool(last and last["e"] == "begin")
        if k in zombie_rounds:
            proc.proc.send_signal(signal.SIGSTOP)
            successor = spawn(k + 1)
            successor.wait(lambda evs: any(e["e"] == "ready" for e in evs), ready_timeout_s,
                           "ready")
            time.sleep(rng.uniform(0.1, 0.5))
            proc.proc.send_signal(signal.SIGCONT)
            try:
                proc.proc.wait(10)
                zombies_fenced += any("fenced" in line.lower() for line in proc.stderr)
            except subprocess.TimeoutExpired:
                pass  # nothing left for it to do: nothing to fence
            proc.kill9()
            proc = successor
        else:
            proc.kill9()
            proc = None
    return in_txn, zombies_fenced


def committed_total(bootstrap, group, topic, partitions):
    import confluent_kafka as ck

    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                     "enable.auto.commit": False})
    try:
        tps = c.committed([ck.TopicPartition(topic, p) for p in range(partitions)], timeout=30)
    finally:
        c.close()
    return sum(max(tp.offset, 0) for tp in tps)


def finish_processor(proc, bootstrap, group, topic, n, partitions, timeout_s):
    """Waits until the group's committed offsets cover all n input messages (the processor
    working), then stops the processor cleanly."""
    deadline = time.time() + timeout_s
    while committed_total(bootstrap, group, topic, partitions) < n:
        assert proc.proc.poll() is None, "processor exited %s; stderr:\n%s" % (
            proc.proc.returncode, "".join(proc.stderr)[-3000:])
        assert time.time() < deadline, "input not all committed after %d s; last events %s" % (
            timeout_s, proc.events[-5:])
        time.sleep(0.5)
    proc.stop()


def test_consume_transform_produce_kill9(tbroker, topic_name, children):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    src, dst = topic_name + "-in", topic_name + "-out"
    tbroker.create_topic(src, CTP_PARTITIONS)
    tbroker.create_topic(dst, CTP_PARTITIONS)
    fill_input(tbroker.bootstrap, src, CTP_MESSAGES, CTP_PARTITIONS)
    cfg = {"bootstrap": tbroker.bootstrap, "input": src, "output": dst, "group": new_id("ctp"),
           "transactional_id": new_id("ctp"), "instance_id": "processor-1", "max_batch": 20,
           "per_message_ms": 2}

    def spawn(k):
        child = TxnChild("processor", dict(cfg, seed=seed + k))
        children.append(child)
        return child

    in_txn, fenced_zombies = run_killed_processors(spawn, CTP_KILLS, rng, zombie_rounds=(2, 7))
    print("consume-transform-produce: seed %d, %d of %d kills inside a transaction, %d of 2 "
          "zombies fenced" % (seed, in_txn, CTP_KILLS, fenced_zombies))
    finish_processor(spawn(CTP_KILLS + 2), tbroker.bootstrap, cfg["group"], src, CTP_MESSAGES,
                     CTP_PARTITIONS, 120)
    append_sentinels(tbroker.bootstrap, dst, CTP_PARTITIONS)
    got = read_confluent(tbroker.bootstrap, dst, CTP_PARTITIONS, "read_committed")
    try:
        assert_copied_exactly_once(got, CTP_MESSAGES, CTP_PARTITIONS)
    except AssertionError as e:
        raise AssertionError("seed %d, %d of %d kills inside a transaction: %s" % (
            seed, in_txn, CTP_KILLS, e))


def test_consume_transform_produce_broker_kill9(own_tbroker, topic_name, children):
    """The processor keeps running while the broker is killed -9 and restarted under it (input
    offsets committed through TxnOffsetCommit and output transactions recovered together)."""
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    src, dst = topic_name + "-in", topic_name + "-out"
    own_tbroker.create_topic(src, CTP_PARTITIONS)
    own_tbroker.create_topic(dst, CTP_PARTITIONS)
    fill_input(own_tbroker.bootstrap, src, CTP_MESSAGES, CTP_PARTITIONS)
    cfg = {"bootstrap": own_tbroker.bootstrap, "input": src, "output": dst,
           "group": new_id("ctpb"), "transactional_id": new_id("ctpb"),
           "instance_id": "processor-1", "max_batch": 20, "per_message_ms": 4, "seed": seed}
    proc = TxnChild("processor", cfg)
    children.append(proc)
    proc.wait(lambda evs: any(e["e"] == "ready" for e in evs), 60, "ready")
    for _ in range(3):
        time.sleep(rng.uniform(0.1, 1.0))
        before = proc.count("commit")
        own_tbroker.restart(kill9=True)
        proc.wait(lambda evs: sum(e["e"] == "commit" for e in evs) > before, 60,
                  "a commit after the broker restart")
    finish_processor(proc, own_tbroker.bootstrap, cfg["group"], src, CTP_MESSAGES,
                     CTP_PARTITIONS, 120)
    print("consume-transform-produce across broker kill -9: seed %d, aborted %s" % (
        seed, [e["m"][:120] for e in proc.of("abort")]))
    append_sentinels(own_tbroker.bootstrap, dst, CTP_PARTITIONS)
    got = read_confluent(own_tbroker.bootstrap, dst, CTP_PARTITIONS, "read_committed")
    try:
        assert_copied_exactly_once(got, CTP_MESSAGES, CTP_PARTITIONS)
    except AssertionError as e:
        raise AssertionError("seed %d: %s" % (seed, e))


# ---- kafkajs consume-transform-produce, processor killed -9 -----------------------------------

JS_MESSAGES = 1000
JS_KILLS = 6


def test_kafkajs_consume_transform_produce_kill9(tbroker, topic_name, children):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    src, dst = topic_name + "-in", topic_name + "-out"
    tbroker.create_topic(src, CTP_PARTITIONS)
    tbroker.create_topic(dst, CTP_PARTITIONS)
    fill_input(tbroker.bootstrap, src, JS_MESSAGES, CTP_PARTITIONS)
    cfg = {"bootstrap": tbroker.bootstrap, "input": src, "output": dst, "group": new_id("js"),
           "transactional_id": new_id("js"), "max_batch": 20, "session_ms": 2000,
           "per_message_ms": 3}

    def spawn(_k):
        child = TxnChild("kafkajs", cfg, cmd=[NODE, os.path.join(HERE, "js", "transactions.js"),
                                              json.dumps(cfg)])
        children.append(child)
        return child

    in_txn, _ = run_killed_processors(spawn, JS_KILLS, rng)
    print("kafkajs consume-transform-produce: seed %d, %d of %d kills inside a transaction" % (
        seed, in_txn, JS_KILLS))
    finish_processor(spawn(JS_KILLS), tbroker.bootstrap, cfg["group"], src, JS_MESSAGES,
                     CTP_PARTITIONS, 120)
    append_sentinels(tbroker.bootstrap, dst, CTP_PARTITIONS)
    got = read_confluent(tbroker.bootstrap, dst, CTP_PARTITIONS, "read_committed")
    try:
        assert_copied_exactly_once(got, JS_MESSAGES, CTP_PARTITIONS)
    except AssertionError as e:
        raise AssertionError("seed %d, %d of %d kills inside a transaction: %s" % (
            seed, in_txn, JS_KILLS, e))


# ---- e. broker kill -9 while transactions commit ----------------------------------------------

def test_broker_kill9_during_commits(own_tbroker, topic_name, children):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    partitions, per = 3, 4
    own_tbroker.create_topic(topic_name, partitions)
    committer = TxnChild("committer", {"bootstrap": own_tbroker.bootstrap, "topic": topic_name,
                                       "transactional_id": new_id("commit"),
                                       "partitions": partitions, "per": per})
    children.append(committer)
    committer.wait(lambda evs: sum(e["e"] == "commit" for e in evs) >= 3, 60, "3 commits")
    recovery_s = []
    for _ in range(6):
        time.sleep(rng.uniform(0, 0.5))
        before = committer.count("commit")
        own_tbroker.restart(kill9=True)
        restarted = time.time()
        committer.wait(lambda evs: sum(e["e"] == "commit" for e in evs) >= before + 3, 90,
                       "3 commits after the restart")
        recovery_s.append(round(time.time() - restarted, 1))
    committer.stop()
    print("broker kill -9 during commits: seed %d, s to 3 commits after each restart %s, "
          "errors %s" % (seed, recovery_s, [e["m"][:100] for e in committer.of("error")][:5]))
    acked = {e["i"] for e in committer.of("commit")}
    append_sentinels(own_tbroker.bootstrap, topic_name, partitions)
    got = read_confluent(own_tbroker.bootstrap, topic_name, partitions, "read_committed")
    seen = collections.defaultdict(list)
    for part, values in got.items():
        for v in values:
            i, p, j = (int(x) for x in v.split(b":"))
            assert p == part, "value %r in partition %d" % (v, part)
            seen[i].append((p, j))
    full = sorted((p, j) for p in range(partitions) for j in range(per))
    partial = {i: sorted(v) for i, v in seen.items() if sorted(v) != full}
    assert not partial, "seed %d: transactions seen in part or twice: %s" % (
        seed, dict(list(partial.items())[:5]))
    lost = sorted(acked - set(seen))
    assert not lost, "seed %d: acknowledged commits missing: %s" % (seed, lost[:10])
    aborted = {e["i"] for e in committer.of("abort")}
    assert not aborted & set(seen), "seed %d: aborted transactions visible: %s" % (
        seed, sorted(aborted & set(seen))[:10])
