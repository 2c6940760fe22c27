"""Idempotent producers (issue 7): every message exactly once, in order.

- InitProducerId over a raw socket: fresh ids, never reused after kill -9 + restart (blocks of
  ids are recorded in the metadata log first); a transactional.id fails fast (53).
- Produce over a raw socket with hand-built record batches: a retried batch is answered with its
  ORIGINAL offsets and nothing is written twice; a sequence gap gets OUT_OF_ORDER_SEQUENCE_NUMBER
  (45); an older epoch gets INVALID_PRODUCER_EPOCH (47); dedup still works after SIGTERM +
  restart and after kill -9 + restart.
- librdkafka (confluent-kafka, enable.idempotence=true) and kafkajs (idempotent: true) behind
  proxy.py, which drops the connection instead of delivering some Produce responses (the broker
  wrote the batch, the client retries it) and delays others: the topic holds each message
  exactly once, in order per partition.
Everything here needs vltava (process control, or behaviour the mock lacks)."""

import os
import struct
import subprocess
import socket
import time

import pytest

import harness
from proxy import FaultyProxy

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = os.environ.get("NODE", "node")

pytestmark = pytest.mark.process

# ---- hand-made frames: CRC32C, varints, record batch v2, Produce v3, InitProducerId v1 ---------

_CRC_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(v):
    z = (v << 1) ^ (v >> 63)
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def record_batch(pid, epoch, seq, values, ts=None, transactional=False):
    ts = int(time.time() * 1000) if ts is None else ts
    attributes = 0x10 if transactional else 0
    records = b""
    for i, v in enumerate(values):
        body = (b"\x00" + varint(0) + varint(i) + varint(-1) + varint(len(v)) + v + varint(0))
        records += varint(len(body)) + body
    after_crc = struct.pack(">hiqqqhii", attributes, len(values) - 1, ts, ts, pid, epoch, seq,
                            len(values)) + records
    after_length = struct.pack(">ib", -1, 2) + struct.pack(">I", crc32c(after_crc)) + after_crc
    return struct.pack(">qi", 0, len(after_length)) + after_length


def produce_v3(sock, corr, topic, partition, batch, acks=-1, transactional_id=None):
    t = topic.encode()
    if transactional_id is None:
        tid = struct.pack(">h", -1)
    else:
        tid = struct.pack(">h", len(transactional_id)) + transactional_id.encode()
    body = (tid + struct.pack(">hii", acks, 30000, 1) + struct.pack(">h", len(t)) + t +
            struct.pack(">iii", 1, partition, len(batch)) + batch)
    sock.sendall(harness.frame(0, 3, corr, body))
    cid, resp = harness.recv_response(sock)
    assert cid == corr
    (n_topics,) = struct.unpack(">i", resp[:4])
    assert n_topics == 1
    (name_len,) = struct.unpack(">h", resp[4:6])
    pos = 6 + name_len
    (n_parts,) = struct.unpack(">i", resp[pos:pos + 4])
    assert n_parts == 1
    index, error, base_offset, _append_time = struct.unpack(">ihqq", resp[pos + 4:pos + 26])
    assert index == partition
    return error, base_offset


def init_producer_id(address, transactional_id=None):
    if transactional_id is None:
        body = struct.pack(">hi", -1, 60000)
    else:
        t = transactional_id.encode()
        body = struct.pack(">h", len(t)) + t + struct.pack(">i", 60000)
    with socket.create_connection(harness.split_host_port(address), timeout=10) as s:
        s.sendall(harness.frame(22, 1, 11, body))
        cid, resp = harness.recv_response(s)
    assert cid == 11
    _throttle, error, pid, epoch = struct.unpack(">ihqh", resp[:16])
    return error, pid, epoch


def connect(address):
    return socket.create_connection(harness.split_host_port(address), timeout=30)


def end_offset(bootstrap, topic, partition=0):
    import confluent_kafka as ck

    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-idempotence"})
    try:
        return c.get_watermark_offsets(ck.TopicPartition(topic, partition), timeout=30)[1]
    finally:
        c.close()


def read_values(bootstrap, topic, partitions):
    """Every value per partition, in offset order, up to each partition's end."""
    import confluent_kafka as ck

    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-idempotence",
                     "enable.auto.commit": False})
    ends = {p: c.get_watermark_offsets(ck.TopicPartition(topic, p), timeout=30)[1]
            for p in range(partitions)}
    c.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(partitions)])
    out = {p: [] for p in range(partitions)}
    pos = {p: 0 for p in range(partitions)}
    deadline = time.time() + 120
    while any(pos[p] < ends[p] for p in ends):
        assert time.time() < deadline, "consumed up to %s of %s" % (pos, ends)
        for m in c.consume(num_messages=10000, timeout=0.5):
            assert not m.error(), m.error()
            out[m.partition()].append(int(m.value()))
            pos[m.partition()] = m.offset() + 1
    c.close()
    return out


def assert_exactly_once_in_order(values, n, partitions):
    for p in range(partitions):
        expected = list(range(p, n, partitions))
        got = values[p]
        if got != expected:
            dups = len(got) - len(set(got))
            missing = sorted(set(expected) - set(got))[:10]
            raise AssertionError("partition %d: %d values, %d duplicates, missing %s, first "
                                 "out of place at %s" % (
                                     p, len(got), dups, missing,
                                     next((i for i, (a, b) in enumerate(zip(got, expected))
                                           if a != b), None)))


# ---- InitProducerId ---------------------------------------------------------------------------

def test_api_versions_advertise_init_producer_id(own_broker):
    error, apis = harness.api_versions(own_broker.bootstrap)
    assert error == 0
    assert apis.get(22) == (0, 5)


def test_init_producer_id_fresh_ids_never_reused(own_broker):
    seen = set()
    for _ in range(3):
        error, pid, epoch = init_producer_id(own_broker.bootstrap)
        assert (error, epoch) == (0, 0)
        assert pid >= 0 and pid not in seen
        seen.add(pid)
    own_broker.restart(kill9=True)
    error, pid, epoch = init_producer_id(own_broker.bootstrap)
    assert (error, epoch) == (0, 0)
    assert pid > max(seen), "id %d handed out again after kill -9 (had %s)" % (pid, seen)
    own_broker.restart(kill9=False)
    error, pid2, _ = init_producer_id(own_broker.bootstrap)
    assert error == 0 and pid2 > pid


# ---- sequence rules over a raw socket ---------------------------------------------------------

def test_raw_duplicate_gap_and_epoch(own_broker, topic_name):
    own_broker.create_topic(topic_name, 1)
    error, pid, epoch = init_producer_id(own_broker.bootstrap)
    assert error == 0
    with connect(own_broker.bootstrap) as s:
        first = record_batch(pid, epoch, 0, [b"a", b"b", b"c"])
        assert produce_v3(s, 1, topic_name, 0, first) == (0, 0)
        assert produce_v3(s, 2, topic_name, 0, record_batch(pid, epoch, 3, [b"d"])) == (0, 3)
        # The same bytes again (a client retry): success with the original offsets.
        assert produce_v3(s, 3, topic_name, 0, first) == (0, 0)
        assert produce_v3(s, 4, topic_name, 0, record_batch(pid, epoch, 3, [b"d"])) == (0, 3)
        # A gap, and an overlap that is not one of the last batches.
        assert produce_v3(s, 5, topic_name, 0, record_batch(pid, epoch, 9, [b"x"]))[0] == 45
        assert produce_v3(s, 6, topic_name, 0, record_batch(pid, epoch, 1, [b"x"]))[0] == 45
        # A new epoch must start at 0; then the old epoch is fenced.
        assert produce_v3(s, 7, topic_name, 0, record_batch(pid, 1, 4, [b"x"]))[0] == 45
        assert produce_v3(s, 8, topic_name, 0, record_batch(pid, 1, 0, [b"e"])) == (0, 4)
        assert produce_v3(s, 9, topic_name, 0, record_batch(pid, 0, 4, [b"x"]))[0] == 47
        # Batches without a producer id are untouched.
        assert produce_v3(s, 10, topic_name, 0, record_batch(-1, -1, -1, [b"f"])) == (0, 5)
    assert end_offset(own_broker.bootstrap, topic_name) == 6


@pytest.mark.parametrize("kill9", [False, True], ids=["sigterm", "kill9"])
def test_raw_dedup_survives_restart(own_broker, topic_name, kill9):
    own_broker.create_topic(topic_name, 1)
    _, pid, epoch = init_producer_id(own_broker.bootstrap)
    batches = [record_batch(pid, epoch, 2 * i, [b"%d" % (2 * i), b"%d" % (2 * i + 1)])
               for i in range(8)]
    with connect(own_broker.bootstrap) as s:
        for i, b in enumerate(batches):
            assert produce_v3(s, i + 1, topic_name, 0, b) == (0, 2 * i)
    own_broker.restart(kill9=kill9)
    with connect(own_broker.bootstrap) as s:
        # The last five batches are still known, with their offsets.
        for i in range(3, 8):
            assert produce_v3(s, 100 + i, topic_name, 0, batches[i]) == (0, 2 * i), i
        assert produce_v3(s, 200, topic_name, 0, record_batch(pid, epoch, 17, [b"x"]))[0] == 45
        assert produce_v3(s, 201, topic_name, 0, record_batch(pid, epoch, 16, [b"16"])) == (0, 16)
    assert end_offset(own_broker.bootstrap, topic_name) == 17


# ---- real clients behind a faulty proxy -------------------------------------------------------

@pytest.fixture
def proxied_broker():
    """A vltava broker advertising a FaultyProxy in front of it (every client connection goes
    through the proxy); yields (broker, proxy)."""
    proxy_port = harness.free_port()
    # The broker listens on its own port but tells clients the proxy's.
    b = harness.VltavaBroker(extra_sets=[
        "advertised.listeners=PLAINTEXT://127.0.0.1:%d" % proxy_port])
    proxy = FaultyProxy("127.0.0.1", b.port, api_keys=(0,), drop_every=7, delay_every=5,
                        delay_ms=300, listen_port=proxy_port)
    try:
        yield b, proxy
    finally:
        proxy.close()
        b.stop()


N_CLIENT = 20_000
PARTITIONS = 3


def test_librdkafka_idempotent_through_faults(proxied_broker, topic_name):
    import confluent_kafka

    broker, proxy = proxied_broker
    broker.create_topic(topic_name, PARTITIONS)
    errors = []

    def on_delivery(err, msg):
        if err:
            errors.append(err)

    p = confluent_kafka.Producer({
        "bootstrap.servers": proxy.address, "enable.idempotence": True, "linger.ms": 5,
        "batch.num.messages": 500, "message.timeout.ms": 120000, "retry.backoff.ms": 50,
        "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200,
        "socket.timeout.ms": 10000})
    for i in range(N_CLIENT):
        while True:
            try:
                p.produce(topic_name, key=b"%d" % i, value=b"%d" % i, partition=i % PARTITIONS,
                          on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    assert p.flush(150) == 0, "undelivered messages"
    assert not errors, errors[:5]
    assert proxy.dropped >= 3, "the proxy dropped only %d responses" % proxy.dropped
    proxy.calm()
    assert_exactly_once_in_order(read_values(broker.bootstrap, topic_name, PARTITIONS),
                                 N_CLIENT, PARTITIONS)


def test_kafkajs_idempotent_through_faults(proxied_broker, topic_name):
    broker, proxy = proxied_broker
    broker.create_topic(topic_name, PARTITIONS)
    n = 6000
    r = subprocess.run([NODE, os.path.join(HERE, "js", "idempotent_producer.js"), proxy.address,
                        topic_name, str(PARTITIONS), str(n), "200"],
                       capture_output=True, text=True, timeout=200)
    assert r.returncode == 0, r.stderr[-3000:]
    assert proxy.dropped >= 3, "the proxy dropped only %d responses" % proxy.dropped
    proxy.calm()
    assert_exactly_once_in_order(read_values(broker.bootstrap, topic_name, PARTITIONS), n,
                                 PARTITIONS)
