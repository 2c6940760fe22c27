"""Brokers of a three-node cluster (combined nodes on 127.0.0.2-4): each registers with the
active controller and every node lists all three; a topic's partitions spread over them; an
admin request sent to a node that is not the controller is forwarded to it; librdkafka
(confluent-kafka) and kafka-python, bootstrapped from one node, produce to and consume from a
12-partition topic whose leaders live on all three; consumer groups and transactions work with
their coordinators on other brokers than the one clients bootstrap from; a broker killed with kill -9 is fenced and
its partitions have no leader until it returns. Every wait is a condition with a deadline."""

import collections
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KpTopicPartition

import kraft
from wire import create_topic_v0, find_coordinator_v1, metadata

WAIT_S = 30


def wait_for(what, check, timeout_s=WAIT_S):
    return kraft.wait_for(what, check, timeout_s)


def brokers_of(node):
    brokers, _, _ = metadata(node.address)
    return {b[0]: "%s:%d" % (b[1], b[2]) for b in brokers}


def leaders_of(node, topic):
    """{partition: leader} of `topic` as the node's Metadata says."""
    _, _, topics = metadata(node.address)
    for name, error, _, partitions in topics:
        if name == topic and error == 0:
            return {p[1]: p[2] for p in partitions}
    return None


def controller_of(node):
    return metadata(node.address)[1]


def test_every_node_lists_every_registered_broker(three):
    nodes = three.running()
    expected = {n.id: n.address for n in nodes}
    for n in nodes:
        wait_for("node %d to list all three brokers" % n.id, lambda n=n: brokers_of(n) == expected)
    # librdkafka sees them too, and the controller among them.
    md = AdminClient({"bootstrap.servers": nodes[0].address}).list_topics(timeout=10)
    assert {b.id: "%s:%d" % (b.host, b.port) for b in md.brokers.values()} == expected
    assert md.controller_id in expected


def test_create_topics_sent_to_a_follower_is_forwarded_to_the_controller(three):
    nodes = three.running()
    controller = wait_for("a controller", lambda: (lambda c: c if c > 0 else None)(
        controller_of(nodes[0])))
    follower = next(n for n in nodes if n.id != controller)
    assert create_topic_v0(follower.address, "forwarded", 3, 1) == 0
    # Known to every node once committed; asking again is TOPIC_ALREADY_EXISTS (36), decided
    # by the controller as well.
    for n in nodes:
        wait_for("node %d to know the topic" % n.id,
                 lambda n=n: leaders_of(n, "forwarded") is not None)
    assert create_topic_v0(follower.address, "forwarded", 3, 1) == 36
    # A replication factor above the brokers there are: INVALID_REPLICATION_FACTOR (38).
    assert create_topic_v0(follower.address, "too-many-copies", 1, 4) == 38


def test_partitions_spread_and_two_clients_produce_and_consume_from_one_bootstrap(three):
    nodes = three.running()
    wait_for("three live brokers", lambda: len(brokers_of(nodes[0])) == 3)
    bootstrap = nodes[1].address
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("spread", 12, 1)])["spread"].result(15)
    leaders = wait_for("leaders of every partition",
                       lambda: (lambda m: m if m and len(m) == 12 else None)(
                           leaders_of(nodes[0], "spread")))
    per_broker = collections.Counter(leaders.values())
    assert per_broker == {1: 4, 2: 4, 3: 4}, leaders

    # librdkafka: 600 keyed messages, every one acknowledged.
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                         "enable.idempotence": True})
    acked = []
    for i in range(600):
        producer.produce("spread", key=b"k%d" % i, value=b"v%d" % i,
                         on_delivery=lambda err, msg: acked.append((err, msg.partition())))
    assert producer.flush(30) == 0
    assert all(err is None for err, _ in acked) and len(acked) == 600
    assert len({p for _, p in acked}) == 12  # every broker took some

    # kafka-python: 300 more, to explicit partitions.
    kp = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    futures = [kp.send("spread", key=b"p%d" % i, value=b"w%d" % i, partition=i % 12)
               for i in range(300)]
    for f in futures:
        f.get(timeout=30)
    kp.close()

    # Both read all 900 back, every partition from its own leader.
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "spread-readers",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.assign([TopicPartition("spread", p, 0) for p in range(12)])
    seen = set()
    deadline = time.time() + WAIT_S
    while len(seen) < 900 and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is not None and m.error() is None:
            seen.add(m.value())
    consumer.close()
    assert len(seen) == 900

    kc = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                       enable_auto_commit=False, consumer_timeout_ms=10000)
    kc.assign([KpTopicPartition("spread", p) for p in range(12)])
    kc.seek_to_beginning()
    values = {m.value for m in kc}
    kc.close()
    assert values == seen


def test_a_killed_broker_is_fenced_and_leads_again_when_it_returns(three):
    nodes = three.running()
    wait_for("three live brokers", lambda: len(brokers_of(nodes[0])) == 3)
    controller = wait_for("a controller", lambda: (lambda c: c if c > 0 else None)(
        controller_of(nodes[0])))
    victim = next(n for n in nodes if n.id != controller)
    witness = next(n for n in nodes if n.id == controller)
    admin = AdminClient({"bootstrap.servers": witness.address})
    admin.create_topics([NewTopic("fenced", 6, 1)])["fenced"].result(15)
    before = wait_for("leaders of every partition",
                      lambda: (lambda m: m if m and len(m) == 6 else None)(
                          leaders_of(witness, "fenced")))
    led = {p for p, leader in before.items() if leader == victim.id}
    assert led, before

    victim.kill9()
    # broker.session.timeout.ms is 3 s in these tests: then it is fenced, gone from the
    # brokers clients are told about, and its partitions have no leader (their only replica).
    wait_for("the victim to be fenced", lambda: victim.id not in brokers_of(witness))
    now = leaders_of(witness, "fenced")
    assert all(now[p] == -1 for p in led), now
    assert all(now[p] == before[p] for p in before if p not in led), now

    victim.spawn()
    victim.wait_serving()
    wait_for("the victim to lead its partitions again",
             lambda: all(leaders_of(witness, "fenced")[p] == victim.id for p in led))
    assert victim.id in brokers_of(witness)


def coordinator_of(node, key, key_type):
    def located():
        error, coordinator = find_coordinator_v1(node.address, key, key_type)
        return coordinator if error == 0 else None
    return wait_for("the coordinator of %r" % key, located)


def keys_on_other_brokers(node, prefix, key_type, count):
    """`count` keys whose coordinators are distinct brokers other than `node`... or at least
    not `node`, so every request to them crosses from the bootstrap broker."""
    found = {}
    for i in range(200):
        key = "%s-%d" % (prefix, i)
        c = coordinator_of(node, key, key_type)
        if c != node.id and c not in found.values():
            found[key] = c
        if len(found) == count:
            return found
    raise AssertionError("no %d keys with coordinators away from node %d" % (count, node.id))


def test_groups_with_coordinators_on_other_brokers(three):
    nodes = three.running()
    wait_for("three live brokers", lambda: len(brokers_of(nodes[0])) == 3)
    bootstrap_node = nodes[0]
    bootstrap = bootstrap_node.address
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("grouped", 6, 1)])["grouped"].result(15)
    wait_for("the topic", lambda: leaders_of(bootstrap_node, "grouped"))
    groups = keys_on_other_brokers(bootstrap_node, "readers", 0, 2)
    rdkafka_group, python_group = sorted(groups)

    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(100):
        producer.produce("grouped", key=b"%d" % i, value=b"v-%d" % i)
    assert producer.flush(30) == 0
    expected = {b"v-%d" % i for i in range(100)}

    # A librdkafka group reads them all and commits its offsets at its coordinator.
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": rdkafka_group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe(["grouped"])
    values = set()
    deadline = time.time() + WAIT_S
    while len(values) < 100 and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is not None and m.error() is None:
            values.add(m.value())
    consumer.commit(asynchronous=False)
    committed = consumer.committed([TopicPartition("grouped", p) for p in range(6)], timeout=10)
    consumer.close()
    assert values == expected
    assert sum(tp.offset for tp in committed if tp.offset > 0) == 100

    # A kafka-python group on another coordinator reads them too and commits.
    kc = KafkaConsumer("grouped", bootstrap_servers=bootstrap, group_id=python_group,
                       auto_offset_reset="earliest", enable_auto_commit=False,
                       consumer_timeout_ms=10000)
    seen = {m.value for m in kc}
    kc.commit()
    kc.close()
    assert seen == expected


def test_transactions_with_the_coordinator_on_another_broker(three):
    """The transaction coordinator lives on a broker other than the bootstrap one, and the
    transaction's partitions are led by all three: partitions led away from the coordinator
    are verified with AddPartitionsToTxn v4 (verify_only) and get their markers with
    WriteTxnMarkers, both broker to broker."""
    nodes = three.running()
    wait_for("three live brokers", lambda: len(brokers_of(nodes[0])) == 3)
    bootstrap_node = nodes[0]
    bootstrap = bootstrap_node.address
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("txn-spread", 6, 1)])["txn-spread"].result(15)
    leaders = wait_for("leaders of every partition",
                       lambda: (lambda m: m if m and len(m) == 6 and -1 not in m.values()
                                else None)(leaders_of(bootstrap_node, "txn-spread")))
    assert set(leaders.values()) == {1, 2, 3}, leaders
    (txn_id, coordinator), = keys_on_other_brokers(bootstrap_node, "tx", 1, 1).items()
    assert coordinator != bootstrap_node.id

    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id,
                         "acks": "all", "linger.ms": 5})
    producer.init_transactions(30)
    producer.begin_transaction()
    for i in range(100):
        producer.produce("txn-spread", key=b"c%d" % i, value=b"committed-%d" % i,
                         partition=i % 6)
    producer.commit_transaction(30)
    producer.begin_transaction()
    for i in range(50):
        producer.produce("txn-spread", key=b"a%d" % i, value=b"aborted-%d" % i, partition=i % 6)
    producer.flush(30)
    producer.abort_transaction(30)
    expected = {b"committed-%d" % i for i in range(100)}

    # read_committed: exactly the committed values, from every partition's own leader (the
    # abort's markers must have reached all of them, or the LSO would hold the reader back).
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "txn-readers",
                         "isolation.level": "read_committed",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "enable.partition.eof": True})
    consumer.assign([TopicPartition("txn-spread", p, 0) for p in range(6)])
    values = []
    eof = set()
    deadline = time.time() + WAIT_S
    while len(eof) < 6 and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is None:
            continue
        if m.error() is None:
            values.append(m.value())
            eof.discard(m.partition())
        elif m.error().code() == -191:  # _PARTITION_EOF: read up to the last stable offset
            eof.add(m.partition())
    consumer.close()
    assert len(eof) == 6, eof
    assert sorted(values) == sorted(expected)

    # kafka-python (read_uncommitted by default) sees the committed values among the rest.
    kc = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                       enable_auto_commit=False, consumer_timeout_ms=10000)
    kc.assign([KpTopicPartition("txn-spread", p) for p in range(6)])
    kc.seek_to_beginning()
    seen = {m.value for m in kc}
    kc.close()
    assert expected <= seen
