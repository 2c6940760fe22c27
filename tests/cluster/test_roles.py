"""process.roles with real processes: three controller-only nodes (the voters, CONTROLLER
listener only) on 127.0.0.2-4 and three broker-only nodes (observers of the quorum, PLAINTEXT
only) on 127.0.0.5-7. The brokers register and every broker lists the three of them and no
controller; a 6-partition RF=1 topic spreads over the brokers; librdkafka (confluent-kafka) and
kafka-python produce and read back; DescribeQuorum sent to a broker is forwarded to the
active controller; DescribeCluster (KIP-919) describes brokers on a broker listener and the
controllers on a controller listener. kill -9 of the active controller: the other two elect a
successor, CreateTopics sent to a broker works again, the brokers stay unfenced, DescribeQuorum
shows 3 voters and 3 observers, and once the controller is back every node holds the same
metadata log (every voter's and observer's log end offset is the high watermark, nothing in
flight) and every broker serves the same Metadata digest. Every wait is a condition with a
deadline."""

import collections
import os
import subprocess
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KpTopicPartition

import kraft
from wire import describe_cluster, describe_quorum_observers, digest, metadata

WAIT_S = 30
CONTROLLERS = {1, 2, 3}
BROKERS = {4, 5, 6}
UNSUPPORTED_ENDPOINT_TYPE = 115


def wait_for(what, check, timeout_s=WAIT_S):
    return kraft.wait_for(what, check, timeout_s)


@pytest.fixture
def split(binary, tmp_path):
    kraft.harness.install_teardown()
    c = kraft.KraftCluster(binary, 3, str(tmp_path), brokers=3)
    c.start()
    yield c
    codes = c.stop()
    assert all(code == 0 for code in codes.values()), codes


def brokers_of(node):
    return {b[0] for b in metadata(node.address)[0]}


def leaders_of(node, topic):
    for name, error, _, partitions in metadata(node.address)[2]:
        if name == topic and error == 0:
            return {p[1]: p[2] for p in partitions}
    return None


def active_quorum(cluster):
    """DescribeQuorum from the controller that leads, as it answers on its CONTROLLER listener:
    (leader, epoch, hw, voters, observers), or None while none does."""
    for n in cluster.running():
        if not n.is_controller:
            continue
        error, leader, epoch, hw, voters, observers = describe_quorum_observers(
            n.controller_address)
        if error == 0 and leader == n.id:
            return leader, epoch, hw, voters, observers
    return None


def all_brokers_listed(brokers):
    return all(brokers_of(b) == BROKERS for b in brokers)


def create_topic(node, name, partitions):
    admin = AdminClient({"bootstrap.servers": node.address})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(20)


def produce_and_read_back(bootstrap, topic, partitions):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    acked = []
    for i in range(120):
        producer.produce(topic, key=b"k%d" % i, value=b"v%d" % i,
                         on_delivery=lambda err, msg: acked.append(err))
    assert producer.flush(30) == 0
    assert acked == [None] * 120
    kp = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for f in [kp.send(topic, value=b"w%d" % i, partition=i % partitions) for i in range(60)]:
        f.get(timeout=30)
    kp.close()

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "roles-readers",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    seen = set()
    deadline = time.time() + WAIT_S
    while len(seen) < 180 and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is not None and m.error() is None:
            seen.add(m.value())
    consumer.close()
    assert len(seen) == 180
    kc = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                       enable_auto_commit=False, consumer_timeout_ms=10000)
    kc.assign([KpTopicPartition(topic, p) for p in range(partitions)])
    kc.seek_to_beginning()
    assert {m.value for m in kc} == seen
    kc.close()


def test_controllers_and_brokers_in_separate_processes(split):
    controllers = [n for n in split.nodes if n.id in CONTROLLERS]
    brokers = [n for n in split.nodes if n.id in BROKERS]
    assert all(not c.is_broker for c in controllers) and all(not b.is_controller for b in brokers)

    # Every broker lists the three brokers, and no controller; the ControllerId clients get is
    # a broker they can reach (it forwards their admin requests).
    wait_for("every broker to list the three brokers", lambda: all_brokers_listed(brokers))
    for b in brokers:
        assert metadata(b.address)[1] in BROKERS
    md = AdminClient({"bootstrap.servers": brokers[0].address}).list_topics(timeout=10)
    assert set(md.brokers) == BROKERS and md.controller_id in BROKERS

    # The quorum: three voters, the brokers its observers.
    leader, epoch, _, voters, observers = wait_for(
        "a quorum that describes 3 voters and 3 observers",
        lambda: (lambda q: q if q and set(q[4]) == BROKERS else None)(active_quorum(split)))
    assert leader in CONTROLLERS and set(voters) == CONTROLLERS
    # A broker forwards DescribeQuorum to the active controller, as Kafka's do.
    error, via_broker, _, _, voters, observers = describe_quorum_observers(brokers[0].address)
    assert (error, via_broker, set(voters), set(observers)) == (0, leader, CONTROLLERS, BROKERS)

    # So `vltava cluster quorum` (kafka-metadata-quorum.sh describe --status) works from a broker.
    shown = subprocess.run([split.nodes[0].binary, "cluster", "quorum", "-b", brokers[1].address],
                           check=True, capture_output=True, text=True).stdout
    assert "CurrentVoters:         [1,2,3]" in shown and "CurrentObservers:      [4,5,6]" in shown

    # DescribeCluster (KIP-919): brokers describe brokers, controllers (on their controller
    # listener) the controllers and the active one; the other endpoint type is refused.
    error, controller, nodes = describe_cluster(brokers[0].address, 1)
    assert error == 0 and set(nodes) == BROKERS and controller in BROKERS
    assert describe_cluster(brokers[0].address, 2)[0] == UNSUPPORTED_ENDPOINT_TYPE
    error, controller, nodes = describe_cluster(controllers[0].controller_address, 2)
    assert error == 0 and controller == leader
    assert nodes == {c.id: c.controller_address for c in controllers}
    assert describe_cluster(controllers[0].controller_address, 1)[0] == UNSUPPORTED_ENDPOINT_TYPE

    # A 6-partition RF=1 topic over the three brokers; two clients write and read it back.
    create_topic(brokers[1], "spread", 6)
    leaders = wait_for("leaders of every partition",
                       lambda: (lambda m: m if m and len(m) == 6 else None)(
                           leaders_of(brokers[0], "spread")))
    assert collections.Counter(leaders.values()) == {4: 2, 5: 2, 6: 2}, leaders
    produce_and_read_back(brokers[2].address, "spread", 6)
    # The partitions, and the consumer offsets the readers' group created, live on the brokers:
    # a controller's data directory holds the metadata log and nothing else of topics.
    for c in controllers:
        hosted = [d for d in os.listdir(c.dir) if d.startswith(("spread", "__consumer_offsets"))]
        assert hosted == [], (c.id, hosted)

    # kill -9 the active controller: the other two elect a successor in a later epoch.
    split.node(leader).kill9()
    new_leader, new_epoch, _, _, _ = wait_for(
        "a new active controller",
        lambda: (lambda q: q if q and q[0] != leader else None)(active_quorum(split)))
    assert new_leader in CONTROLLERS and new_epoch > epoch
    create_topic(brokers[0], "after-failover", 3)
    wait_for("every broker to know the new topic",
             lambda: all(leaders_of(b, "after-failover") for b in brokers))
    # The brokers kept heartbeating to the new controller: none was fenced.
    assert all_brokers_listed(brokers)

    # The old controller returns; afterwards every node holds the same log, applied.
    split.node(leader).spawn()
    split.node(leader).wait_serving()

    def settled():
        q = active_quorum(split)
        if not q:
            return None
        _, _, hw, voters, observers = q
        ends = list(voters.values()) + list(observers.values())
        if set(voters) == CONTROLLERS and set(observers) == BROKERS and set(ends) == {hw}:
            return q
        return None
    wait_for("every voter and observer at the high watermark", settled)
    digests = wait_for(
        "every broker to serve the same Metadata",
        lambda: (lambda d: d if len({x for x, _ in d}) == 1 else None)(
            [digest(b.address, True) for b in brokers]))
    assert {"spread", "after-failover"} <= digests[0][1]
