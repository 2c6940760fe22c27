"""Client quotas (issue 18; KIP-55, KIP-219, KIP-546): AlterClientQuotas and
DescribeClientQuotas with Kafka's semantics and error codes, kept across a restart; a producer
held to its producer_byte_rate by librdkafka (confluent-kafka) and by kafka-python, and a
consumer to its consumer_byte_rate, each seeing throttle_time_ms.

How the rate is measured: Kafka's quota window is 11 samples of 1 s, measured over at least 10
of them, so a saturating client first gets about (quota x 10 s) at once, then little until that
first sample leaves the window 11 s after it began, when the next burst comes. One period from
the client's first request, excluding the next burst, is about (quota x 10.x s) / 10.8 s: that
is what is compared with the quota here (security/README.md, "Quotas")."""

import time

import pytest

import harness
import quota_admin as qa

pytestmark = pytest.mark.process

QUOTA = 1 << 20  # 1 MiB/s
PERIOD_S = 10.8  # the measurement: one quota period, short of the next burst
TOLERANCE = 0.15


@pytest.fixture(scope="module")
def qbroker():
    b = harness.VltavaBroker()
    yield b
    b.stop()


def test_alter_and_describe(qbroker):
    a = qbroker.bootstrap
    alice, alice_app = qa.entity(user="alice"), qa.entity(user="alice", client_id="app")
    default_client = qa.entity(client_id=None)
    got = qa.alter(a, [
        (alice, {"producer_byte_rate": 1024, "consumer_byte_rate": 2048}),
        (alice_app, {"request_percentage": 12.5}),
        (default_client, {"producer_byte_rate": 4096}),
        (qa.entity(ip="10.0.0.1"), {"connection_creation_rate": 5}),
        # Refused, each alone, with Kafka's messages.
        ([], {"producer_byte_rate": 1}),
        (qa.entity(group="g"), {"producer_byte_rate": 1}),
        (qa.entity(user="bob"), {"frobs": 1}),
        (qa.entity(user="bob"), {"producer_byte_rate": 1.5}),
        (qa.entity(user="bob"), {"producer_byte_rate": 0}),
        (qa.entity(user="bob", ip="10.0.0.2"), {"producer_byte_rate": 1}),
        (qa.entity(ip="10.0.0.2"), {"producer_byte_rate": 1}),
        (qa.entity(user=""), {"producer_byte_rate": 1}),
    ])
    assert [g[:2] for g in got[:4]] == [(qa.NONE, None)] * 4
    assert got[1][2] == [("user", "alice"), ("client-id", "app")]  # the entity echoed
    assert got[4][:2] == (qa.INVALID_REQUEST, "Invalid empty client quota entity")
    assert got[5][:2] == (qa.INVALID_REQUEST, "Unhandled client quota entity type: group")
    assert got[6][:2] == (qa.INVALID_REQUEST, "Invalid configuration key frobs")
    assert got[7][:2] == (qa.INVALID_REQUEST,
                          "producer_byte_rate cannot be a fractional value.")
    assert got[8][:2] == (qa.INVALID_REQUEST, "Quota producer_byte_rate must be greater than 0")
    assert [g[0] for g in got[9:]] == [qa.INVALID_REQUEST] * 3
    # validate_only checks and writes nothing.
    got = qa.alter(a, [(qa.entity(user="carol"), {"producer_byte_rate": 9})], validate_only=True)
    assert got[0][:2] == (qa.NONE, None)

    def describe(components, strict=False):
        error, message, entries = qa.describe(a, components, strict)
        assert (error, message) == (qa.NONE, None)
        return entries

    everything = describe([])
    assert everything == {
        (("user", "alice"),): {"producer_byte_rate": 1024.0, "consumer_byte_rate": 2048.0},
        (("client-id", "app"), ("user", "alice")): {"request_percentage": 12.5},
        (("client-id", None),): {"producer_byte_rate": 4096.0},
        (("ip", "10.0.0.1"),): {"connection_creation_rate": 5.0},
    }
    assert set(describe([("user", qa.EXACT, "alice")])) == {
        (("user", "alice"),), (("client-id", "app"), ("user", "alice"))}
    assert set(describe([("user", qa.EXACT, "alice")], strict=True)) == {(("user", "alice"),)}
    assert set(describe([("client-id", qa.DEFAULT, None)])) == {(("client-id", None),)}
    assert set(describe([("client-id", qa.ANY, None)], strict=True)) == {(("client-id", None),)}
    assert describe([], strict=True) == {}
    # Bad filters: the whole response's error, no entries.
    assert qa.describe(a, [("user", qa.EXACT, None)])[0::2] == (qa.INVALID_REQUEST, None)
    assert qa.describe(a, [("ip", qa.ANY, None), ("user", qa.ANY, None)])[0] == \
        qa.INVALID_REQUEST
    assert qa.describe(a, [("group", qa.ANY, None)])[0] == qa.UNSUPPORTED_VERSION
    # Removal; the values outlive a restart (the metadata log).
    got = qa.alter(a, [(alice, {"consumer_byte_rate": None}),
                       (qa.entity(ip="10.0.0.1"), {"connection_creation_rate": None})])
    assert [g[:2] for g in got] == [(qa.NONE, None)] * 2
    qbroker.restart()
    assert describe([("user", qa.ANY, None)]) == {
        (("user", "alice"),): {"producer_byte_rate": 1024.0},
        (("client-id", "app"), ("user", "alice")): {"request_percentage": 12.5}}
    assert describe([("ip", qa.ANY, None)]) == {}
    qa.alter(a, [(alice, {"producer_byte_rate": None}),
                 (alice_app, {"request_percentage": None}),
                 (default_client, {"producer_byte_rate": None})])
    assert describe([]) == {}


def within(rate, quota=QUOTA):
    return abs(rate / quota - 1) <= TOLERANCE


def test_librdkafka_producer_is_held_to_its_quota(qbroker, topic_name):
    import confluent_kafka as ck

    qbroker.create_topic(topic_name, 1)
    qa.set_quota(qbroker.bootstrap, qa.entity(client_id="quota-rdkafka"),
                 producer_byte_rate=QUOTA)
    throttles = []
    acked = []
    p = ck.Producer({"bootstrap.servers": qbroker.bootstrap, "client.id": "quota-rdkafka",
                     "linger.ms": 5, "batch.num.messages": 10, "queue.buffering.max.kbytes": 4096,
                     "throttle_cb": lambda ev: throttles.append(ev.throttle_time)})
    value = b"x" * 10_000

    def delivered(err, msg):
        if err is None:
            acked.append((time.monotonic(), len(msg.value())))

    start = time.monotonic()
    while time.monotonic() - start < PERIOD_S:
        try:
            p.produce(topic_name, value, on_delivery=delivered)
        except BufferError:
            p.poll(0.01)
        p.poll(0)
    p.purge()
    p.flush(5)
    sent = sum(n for t, n in acked if t - start < PERIOD_S)
    rate = sent / PERIOD_S
    print("librdkafka: %.0f B/s against %d (%.3f), %d throttle events, max %.3f s" % (
        rate, QUOTA, rate / QUOTA, len(throttles), max(throttles, default=0)))
    assert within(rate), rate / QUOTA
    assert throttles and max(throttles) > 0.5  # seen through librdkafka's throttle_cb


def test_kafka_python_producer_is_held_to_its_quota(qbroker, topic_name):
    import kafka

    qbroker.create_topic(topic_name, 1)
    qa.set_quota(qbroker.bootstrap, qa.entity(user="ANONYMOUS", client_id="quota-kp"),
                 producer_byte_rate=QUOTA)
    acked = []
    p = kafka.KafkaProducer(bootstrap_servers=qbroker.bootstrap, client_id="quota-kp",
                            linger_ms=5, buffer_memory=2 << 20, max_block_ms=60_000,
                            batch_size=100_000)
    value = b"y" * 10_000
    start = time.monotonic()
    while time.monotonic() - start < PERIOD_S:
        p.send(topic_name, value).add_callback(
            lambda md: acked.append((time.monotonic(), len(value))))
    throttle_max = p.metrics()["producer-metrics"]["produce-throttle-time-max"]
    p.close(timeout=0)
    sent = sum(n for t, n in acked if t - start < PERIOD_S)
    rate = sent / PERIOD_S
    print("kafka-python: %.0f B/s against %d (%.3f), throttle max %.0f ms" % (
        rate, QUOTA, rate / QUOTA, throttle_max))
    assert within(rate), rate / QUOTA
    assert throttle_max > 500


def test_librdkafka_consumer_is_held_to_its_quota(qbroker, topic_name):
    import confluent_kafka as ck

    qbroker.create_topic(topic_name, 1)
    p = ck.Producer({"bootstrap.servers": qbroker.bootstrap, "linger.ms": 20})
    value = b"z" * 10_000
    for _ in range(2500):  # 25 MB, more than the consumer may read in one period
        while True:
            try:
                p.produce(topic_name, value)
                break
            except BufferError:
                p.poll(0.05)
    assert p.flush(30) == 0
    qa.set_quota(qbroker.bootstrap, qa.entity(client_id="quota-consumer"),
                 consumer_byte_rate=QUOTA)
    throttles = []
    c = ck.Consumer({"bootstrap.servers": qbroker.bootstrap, "client.id": "quota-consumer",
                     "group.id": "quota-" + topic_name, "auto.offset.reset": "earliest",
                     "enable.auto.commit": False,
                     "throttle_cb": lambda ev: throttles.append(ev.throttle_time)})
    c.assign([ck.TopicPartition(topic_name, 0, 0)])  # no group join to wait for
    got = []
    start = None
    deadline = time.monotonic() + 30
    while start is None or time.monotonic() - start < PERIOD_S:
        m = c.poll(0.1)
        if m is None or m.error():
            assert start is not None or time.monotonic() < deadline, "nothing consumed"
            continue
        now = time.monotonic()
        if start is None:
            start = now
        got.append((now, len(m.value())))
    c.close()
    rate = sum(n for t, n in got if t - start < PERIOD_S) / PERIOD_S
    print("librdkafka consumer: %.0f B/s against %d (%.3f), %d throttle events" % (
        rate, QUOTA, rate / QUOTA, len(throttles)))
    assert within(rate), rate / QUOTA
    assert throttles and max(throttles) > 0.5
