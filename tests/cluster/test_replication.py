"""Replicated partitions with real processes: five combined nodes on 127.0.0.2-6 and one topic
with replication factor 3 on nodes 1-3 (min.insync.replicas=2). Five voters, not three, so that
killing two of the topic's three replicas leaves the controller quorum a majority: the
controller must be up to fence the dead brokers and shrink the ISR, as in Kafka (with the quorum
gone too, an acks=all produce can only time out).

1. An idempotent acks=all producer (confluent-kafka) writes; every replica's log is then the
   same bytes (the followers append the leader's batches as they are).
2. kill -9 of the leader: a new leader from the ISR; producing goes on; a kafka-python consumer
   reads every acknowledged message exactly once, in order.
3. kill -9 of a second replica: the last one's ISR falls below min.insync.replicas and an
   acks=all produce is refused with NOT_ENOUGH_REPLICAS.
4. Both come back: they catch up, rejoin the ISR (AlterPartition), producing resumes, and
   nothing acknowledged is lost; the three logs are identical again.

A second test is a rolling restart: each replica in turn stopped with SIGTERM and started again
under an acks=all producer. A broker leaving cleanly has the controller move its leaderships
first, so not one send fails, and every acknowledged message is read back once, in order; the
controller then gives leadership back to the preferred replica (auto.leader.rebalance.enable).

Every wait is a condition with a deadline."""

import glob
import os
import threading
import time

import pytest
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer, TopicPartition

import kraft
from wire import metadata

TOPIC = "replicated"
REPLICAS = [1, 2, 3]
WAIT_S = 45


@pytest.fixture
def five(binary, tmp_path):
    kraft.harness.install_teardown()
    # Leadership back to the preferred replica within a second of it being in sync again
    # (auto.leader.rebalance.enable, on by default; Kafka checks every 300 s).
    c = kraft.KraftCluster(binary, 5, str(tmp_path),
                           extra=["leader.imbalance.check.interval.seconds=1"])
    c.start()
    yield c
    codes = c.stop()
    assert all(code == 0 for code in codes.values()), codes


def create_topic(cluster):
    admin = AdminClient({"bootstrap.servers": cluster.node(4).address})
    topic = NewTopic(TOPIC, 1, replica_assignment=[REPLICAS],
                     config={"min.insync.replicas": "2"})
    admin.create_topics([topic])[TOPIC].result(15)
    return wait_state(cluster, "a leader with all three in sync",
                      lambda l, e, r, i: l in REPLICAS and i == REPLICAS)[0]


def partition_state(cluster):
    """(leader, leader epoch, replicas, isr) of the topic's partition, as a running node says."""
    for n in cluster.running():
        try:
            _, _, topics = metadata(n.address)
        except OSError:
            continue
        for name, error, _, parts in topics:
            if name == TOPIC and error == 0 and parts:
                _, _, leader, epoch, replicas, isr, _ = parts[0]
                return leader, epoch, replicas, isr
    return None


def wait_state(cluster, what, pred):
    def check():
        s = partition_state(cluster)
        return s if s is not None and pred(*s) else None
    return kraft.wait_for(what, check, WAIT_S)


def produce(cluster, values, extra=None):
    """Idempotent acks=all produce of `values`; the values acknowledged, in order."""
    conf = {"bootstrap.servers": ",".join(n.address for n in cluster.running()),
            "enable.idempotence": True, "acks": "all", "linger.ms": 5,
            "message.timeout.ms": 30000}
    conf.update(extra or {})
    p = Producer(conf)
    acked, failed = [], []

    def report(err, msg):
        (failed if err else acked).append((err, msg.value()) if err else msg.value())

    for v in values:
        p.produce(TOPIC, v, partition=0, on_delivery=report)
        p.poll(0)
    assert p.flush(60) == 0
    assert not failed, failed[:3]
    return acked


def consume_all(cluster, expected_count):
    c = KafkaConsumer(bootstrap_servers=[n.address for n in cluster.running()], group_id=None,
                      enable_auto_commit=False, auto_offset_reset="earliest")
    tp = TopicPartition(TOPIC, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    got = []
    deadline = time.time() + WAIT_S
    while len(got) < expected_count and time.time() < deadline:
        for records in c.poll(timeout_ms=500, max_records=10000).values():
            got.extend(r.value for r in records)
    c.close()
    return got


def log_bytes(node):
    files = sorted(glob.glob(os.path.join(node.dir, "%s-0" % TOPIC, "*.log")))
    out = b""
    for f in files:
        with open(f, "rb") as fh:
            out += fh.read()
    return out


def wait_identical_logs(cluster, nodes):
    def same():
        logs = [log_bytes(cluster.node(i)) for i in nodes]
        return len(logs[0]) > 0 and all(x == logs[0] for x in logs)
    kraft.wait_for("the logs of nodes %s to be identical" % nodes, same, WAIT_S)


def test_replicated_partition_survives_leader_loss(five):
    cluster = five
    leader = create_topic(cluster)

    # 1. acks=all with three in sync; the followers hold the same bytes.
    acked = produce(cluster, [b"a%04d" % i for i in range(300)])
    assert len(acked) == 300
    wait_identical_logs(cluster, REPLICAS)

    # 2. The leader dies: one of the other two (both in the ISR) leads.
    cluster.node(leader).kill9()
    survivors = [r for r in REPLICAS if r != leader]
    new_leader, _, _, _ = wait_state(
        cluster, "a new leader from the ISR",
        lambda l, e, r, i: l in survivors and leader not in i)
    acked += produce(cluster, [b"b%04d" % i for i in range(200)])
    got = consume_all(cluster, len(acked))
    assert got == acked, "read %d, acknowledged %d" % (len(got), len(acked))

    # 3. A second replica dies: the last one is alone in the ISR; acks=all is refused.
    other = [r for r in survivors if r != new_leader][0]
    cluster.node(other).kill9()
    wait_state(cluster, "an ISR of the leader alone",
               lambda l, e, r, i: l == new_leader and i == [new_leader])
    probe = Producer({"bootstrap.servers": cluster.node(new_leader).address, "acks": "all",
                      "retries": 0, "message.timeout.ms": 10000})
    errors = []
    probe.produce(TOPIC, b"refused", partition=0,
                  on_delivery=lambda err, msg: errors.append(err))
    probe.flush(15)
    assert len(errors) == 1 and errors[0] is not None, errors
    assert errors[0].code() == KafkaError.NOT_ENOUGH_REPLICAS, errors[0]

    # 4. Both come back, catch up and rejoin the ISR; producing resumes.
    for r in (leader, other):
        cluster.node(r).spawn()
    for r in (leader, other):
        cluster.node(r).wait_serving()
    wait_state(cluster, "all three back in the ISR", lambda l, e, r, i: i == REPLICAS)
    acked += produce(cluster, [b"c%04d" % i for i in range(200)])
    got = consume_all(cluster, len(acked))
    assert got == acked, "read %d, acknowledged %d" % (len(got), len(acked))
    wait_identical_logs(cluster, REPLICAS)


class SteadyProducer:
    """An idempotent acks=all producer sending one value every few ms from a thread until
    stopped; what was acknowledged and what failed, in order."""

    def __init__(self, cluster):
        self.p = Producer({"bootstrap.servers": ",".join(n.address for n in cluster.nodes[3:]),
                           "enable.idempotence": True, "acks": "all", "linger.ms": 2,
                           "message.timeout.ms": 60000})
        self.acked, self.failed = [], []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def report(self, err, msg):
        (self.failed if err else self.acked).append((err, msg.value()) if err else msg.value())

    def run(self):
        i = 0
        while not self.done.is_set():
            self.p.produce(TOPIC, b"r%06d" % i, partition=0, on_delivery=self.report)
            i += 1
            self.p.poll(0.005)

    def stop(self):
        self.done.set()
        self.thread.join()
        assert self.p.flush(60) == 0
        return self.acked, self.failed


def test_rolling_restart_fails_no_send(five):
    cluster = five
    create_topic(cluster)
    producer = SteadyProducer(cluster)
    try:
        for r in REPLICAS:
            # The replica leaves cleanly (the controller moves its leadership first) and comes
            # back; the next one goes only once all three are in sync again, as an operator's
            # rolling restart waits for under-replicated partitions to clear.
            count = len(producer.acked)
            assert cluster.node(r).stop() == 0
            wait_state(cluster, "a leader other than %d" % r, lambda l, e, rs, i: l != r and l >= 0)
            cluster.node(r).spawn()
            cluster.node(r).wait_serving()
            wait_state(cluster, "all three back in the ISR", lambda l, e, rs, i: i == REPLICAS)
            if r == REPLICAS[0]:  # the preferred replica: the controller hands leadership back
                wait_state(cluster, "replica %d leading again" % r, lambda l, e, rs, i: l == r)
            kraft.wait_for("sends acknowledged after node %d's restart" % r,
                           lambda: len(producer.acked) > count + 50, WAIT_S)
    finally:
        acked, failed = producer.stop()
    assert not failed, failed[:3]
    assert len(acked) > 150
    wait_state(cluster, "replica %d still leading" % REPLICAS[0],
               lambda l, e, rs, i: l == REPLICAS[0])
    got = consume_all(cluster, len(acked))
    assert got == acked, "read %d, acknowledged %d" % (len(got), len(acked))
    wait_identical_logs(cluster, REPLICAS)
