"""A producer with acks=all keeps sending while the broker is stopped with SIGTERM (and, in the
second case, killed with SIGKILL) and started again on the same port and data: every message
the broker acknowledged is there afterwards. Unacknowledged messages may or may not be."""

import threading
import time

import pytest

PARTITIONS = 3


def produce_until(bootstrap, topic, stop, acked, errors):
    import confluent_kafka

    def on_delivery(err, msg):
        if err:
            errors.append(err)
        else:
            acked.add(int(msg.key()))

    # Retries across the restart: the producer rides it out instead of failing messages.
    p = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 2,
                                  "message.timeout.ms": 120000, "retry.backoff.ms": 100,
                                  "reconnect.backoff.max.ms": 500})
    i = 0
    while not stop.is_set():
        try:
            p.produce(topic, key=b"%d" % i, value=b"restart-%d" % i, partition=i % PARTITIONS,
                      on_delivery=on_delivery)
            i += 1
        except BufferError:
            pass
        p.poll(0.001)
    assert p.flush(150) == 0, "messages still undelivered 150 s after the restart"
    return i


def consume_all_keys(bootstrap, topic):
    """Keys of every record up to each partition's high watermark, values checked."""
    import confluent_kafka as ck

    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-restart",
                     "enable.auto.commit": False})
    ends = {p: c.get_watermark_offsets(ck.TopicPartition(topic, p), timeout=30)[1]
            for p in range(PARTITIONS)}
    c.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(PARTITIONS)])
    keys, pos = set(), {p: 0 for p in range(PARTITIONS)}
    deadline = time.time() + 300
    while any(pos[p] < ends[p] for p in ends):
        assert time.time() < deadline, "consumed up to %s of %s" % (pos, ends)
        for m in c.consume(num_messages=10000, timeout=0.5):
            assert not m.error(), m.error()
            assert m.value() == b"restart-%s" % m.key(), "record %r = %r" % (m.key(), m.value())
            keys.add(int(m.key()))
            pos[m.partition()] = m.offset() + 1
    c.close()
    return keys


@pytest.mark.process
@pytest.mark.parametrize("kill9", [False, True], ids=["sigterm", "kill9"])
def test_acked_messages_survive_restart(own_broker, topic_name, kill9):
    own_broker.create_topic(topic_name, PARTITIONS)
    stop = threading.Event()
    acked, errors, sent = set(), [], []
    t = threading.Thread(target=lambda: sent.append(
        produce_until(own_broker.bootstrap, topic_name, stop, acked, errors)))
    t.start()
    try:
        time.sleep(3)
        before = len(acked)
        assert before > 0, "nothing acknowledged before the restart"
        own_broker.restart(kill9=kill9)
        time.sleep(3)
    finally:
        stop.set()
        t.join(200)
    assert sent, "the producer thread failed"
    assert len(acked) > before, "nothing acknowledged after the restart"
    # Delivery errors are allowed (they were never acknowledged), but there should be few.
    keys = consume_all_keys(own_broker.bootstrap, topic_name)
    lost = sorted(acked - keys)
    assert not lost, "%d acknowledged messages lost, e.g. %s (errors: %s)" % (
        len(lost), lost[:10], errors[:3])
