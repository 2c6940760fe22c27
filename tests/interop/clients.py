"""The five real Kafka clients of the interop suite behind one interface:

  produce(client, bootstrap, topic, message_set, codec) -> (first_ms, last_ms) wall-clock window
  consume(client, bootstrap, topic, partitions, n) -> [messages.Record]
  unsupported(client, codec) -> None, or why this client cannot use this codec here

Clients: kcat (CLI), rdkafka_c (rdkafka_roundtrip.c), confluent (confluent-kafka-python),
kafka_python, kafkajs (js/client.js). Every consumer reads by partition assignment, without a
consumer group."""

import atexit
import functools
import json
import os
import shutil
import subprocess
import tempfile
import time

import messages

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = ["kcat", "rdkafka_c", "confluent", "kafka_python", "kafkajs"]
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
TIMEOUT_S = 600
IDLE_S = 30  # a consumer that got nothing new for this long gives up (and the check fails)

_build_dir = tempfile.mkdtemp(prefix="vltava-interop-bin-")
atexit.register(shutil.rmtree, _build_dir, True)


@functools.lru_cache(maxsize=None)
def c_binary(name):
    """Compiles tests/interop/<name>.c against librdkafka once per process."""
    out = os.path.join(_build_dir, name)
    subprocess.run(
        ["gcc", "-O1", "-Wall", "-Wextra", "-Werror", "-o", out, os.path.join(HERE, name + ".c"),
         "-lrdkafka"],
        check=True,
    )
    return out


def run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=TIMEOUT_S)
    if p.returncode != 0:
        raise AssertionError(
            "%s exited %d\nstderr: %s"
            % (" ".join(cmd[:3]), p.returncode, p.stderr.decode()[-3000:])
        )
    return p.stdout.decode()


@functools.lru_cache(maxsize=None)
def _kafkajs_codecs():
    if not shutil.which("node"):
        return {"available": [], "missing": {c: "node is not installed" for c in CODECS}}
    if not os.path.isdir(os.path.join(HERE, "..", "js", "node_modules", "kafkajs")):
        return {"available": [], "missing": {c: "run `npm ci` in tests/js" for c in CODECS}}
    return json.loads(run(["node", os.path.join(HERE, "js", "client.js"), "codecs"]))


def unsupported(client, codec):
    if client == "kcat" and not shutil.which("kcat"):
        return "kcat is not installed"
    if client == "kafka_python":
        import kafka.codec as kc

        have = {"none": True, "gzip": True, "snappy": kc.has_snappy(), "lz4": kc.has_lz4(),
                "zstd": kc.has_zstd()}
        module = {"snappy": "snappy (python3-snappy)", "lz4": "lz4 (python3-lz4)",
                  "zstd": "zstandard (python3-zstandard)"}
        if not have[codec]:
            return "kafka-python needs the Python module %s for %s, not installed" % (
                module[codec], codec)
    if client == "kafkajs":
        codecs = _kafkajs_codecs()
        if codec not in codecs["available"]:
            return "kafkajs has no %s codec: %s" % (codec, codecs["missing"].get(codec, "?"))
    return None


# ---- producers -------------------------------------------------------------------------------

def _produce_kcat(bootstrap, topic, ms, codec):
    assert ms.kcat_style, "kcat cannot set per-message headers, timestamps or partitions"
    lines = "".join("%s\t%s\n" % (ms.key(i).decode(), ms.value(i).decode()) for i in range(ms.n))
    run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-z", codec, "-H", "src=kcat",
         "-X", "acks=all", "-X", "linger.ms=5", "-X", "batch.size=1000000"],
        stdin=lines.encode())


def _produce_rdkafka_c(bootstrap, topic, ms, codec):
    run([c_binary("rdkafka_roundtrip"), "produce", bootstrap, topic, str(ms.partitions), codec,
         str(ms.n), ms.tag, str(ms.base_ts)])


def _produce_confluent(bootstrap, topic, ms, codec):
    import confluent_kafka

    errors = []
    delivered = [0]

    def on_delivery(err, _msg):
        if err:
            errors.append(err)
        else:
            delivered[0] += 1

    p = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "compression.codec": codec,
                                  "acks": "all", "linger.ms": 5, "batch.size": 1000000})
    for i in range(ms.n):
        while True:
            try:
                p.produce(topic, value=ms.value(i), key=ms.key(i), partition=ms.partition(i),
                          timestamp=ms.timestamp(i),
                          headers=[(k.decode(), v) for k, v in ms.headers(i)],
                          on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    remaining = p.flush(120)
    assert remaining == 0 and not errors, "confluent: %d undelivered, errors %s" % (
        remaining, errors[:3])
    assert delivered[0] == ms.n


def _produce_kafka_python(bootstrap, topic, ms, codec):
    import kafka

    p = kafka.KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                            batch_size=1000000, compression_type=None if codec == "none" else codec)
    futures = [
        p.send(topic, value=ms.value(i), key=ms.key(i), partition=ms.partition(i),
               timestamp_ms=ms.timestamp(i), headers=[(k.decode(), v) for k, v in ms.headers(i)])
        for i in range(ms.n)
    ]
    p.flush(120)
    failed = [f.exception for f in futures if not f.succeeded()]
    p.close(10)
    assert not failed, "kafka-python: %d failed, e.g. %r" % (len(failed), failed[0])


def _produce_kafkajs(bootstrap, topic, ms, codec):
    run(["node", os.path.join(HERE, "js", "client.js"), "produce", bootstrap, topic,
         str(ms.partitions), codec, str(ms.n), ms.tag, str(ms.base_ts)])


def produce(client, bootstrap, topic, ms, codec):
    reason = unsupported(client, codec)
    assert reason is None, reason
    first = int(time.time() * 1000)
    globals()["_produce_" + client](bootstrap, topic, ms, codec)
    return first, int(time.time() * 1000)


# ---- consumers -------------------------------------------------------------------------------

def _consume_kcat(bootstrap, topic, partitions, n):
    # kcat prints raw bytes; every set's keys, values and headers are printable and hold no
    # space, comma or '=' (messages.py), so this format parses back exactly.
    out = run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
               "-f", "%p %o %T %k %s %h\n"])
    records = []
    for line in out.splitlines():
        p, o, ts, k, v, h = (line.split(" ") + [""])[:6]
        headers = ()
        if h:
            headers = tuple(tuple(x.encode() for x in kv.split("=", 1)) for kv in h.split(","))
        records.append(messages.Record(int(p), int(o), int(ts), k.encode(), v.encode(), headers))
    return records


def _consume_rdkafka_c(bootstrap, topic, partitions, n):
    return messages.parse_dump(
        run([c_binary("rdkafka_roundtrip"), "consume", bootstrap, topic, str(partitions), str(n)]))


def _consume_kafkajs(bootstrap, topic, partitions, n):
    return messages.parse_dump(
        run(["node", os.path.join(HERE, "js", "client.js"), "consume", bootstrap, topic,
             str(partitions), str(n)]))


def _consume_confluent(bootstrap, topic, partitions, n):
    import confluent_kafka as ck

    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-confluent",
                     "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    c.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(partitions)])
    records = []
    deadline, idle_until = time.time() + TIMEOUT_S, time.time() + IDLE_S
    while len(records) < n and time.time() < min(deadline, idle_until):
        for m in c.consume(num_messages=10000, timeout=0.5):
            idle_until = time.time() + IDLE_S
            if m.error():
                raise AssertionError("confluent consume: %s" % m.error())
            records.append(messages.Record(
                m.partition(), m.offset(), m.timestamp()[1], m.key() or b"", m.value() or b"",
                tuple((k.encode(), v or b"") for k, v in (m.headers() or []))))
    c.close()
    return records


def _consume_kafka_python(bootstrap, topic, partitions, n):
    import kafka

    c = kafka.KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                            auto_offset_reset="earliest")
    tps = [kafka.TopicPartition(topic, p) for p in range(partitions)]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    records = []
    deadline, idle_until = time.time() + TIMEOUT_S, time.time() + IDLE_S
    while len(records) < n and time.time() < min(deadline, idle_until):
        for tp_records in c.poll(timeout_ms=500, max_records=10000).values():
            idle_until = time.time() + IDLE_S
            for m in tp_records:
                records.append(messages.Record(
                    m.partition, m.offset, m.timestamp, m.key or b"", m.value or b"",
                    tuple((k.encode(), v or b"") for k, v in m.headers)))
    c.close()
    return records


def consume(client, bootstrap, topic, partitions, n):
    return globals()["_consume_" + client](bootstrap, topic, partitions, n)
