"""Committed offsets survive a broker restart (SIGTERM, and kill -9): a group commits, the broker
restarts on the same data, the offsets are there (OffsetFetch through two clients) and a consumer
of the group resumes right after the last commit. Needs a broker the suite can restart (vltava
backend only, as test_restart.py)."""

import time

import pytest

import groups
import harness

PARTITIONS = 6
FIRST, SECOND = 120, 60

pytestmark = pytest.mark.process


@pytest.fixture
def rbroker():
    b = harness.VltavaBroker(extra_sets=groups.BROKER_SETS)
    try:
        yield b
    finally:
        b.stop()


def offsets_confluent(bootstrap, group, topic):
    import confluent_kafka as ck

    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        tps = c.committed([ck.TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=60)
        return {tp.partition: tp.offset for tp in tps}
    finally:
        c.close()


def offsets_kafka_python(bootstrap, group, topic):
    import kafka.errors
    from kafka.admin import KafkaAdminClient

    # Right after a restart the coordinator may still be loading its partition: kafka-python's
    # admin raises the retriable error (COORDINATOR_LOAD_IN_PROGRESS...) instead of retrying.
    deadline = time.monotonic() + 60
    while True:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
        try:
            got = admin.list_consumer_group_offsets(group)
            return {tp.partition: om.offset for tp, om in got.items() if tp.topic == topic}
        except kafka.errors.KafkaError as e:
            if not getattr(e, "retriable", False) or time.monotonic() > deadline:
                raise
        finally:
            admin.close()
        time.sleep(0.2)


@pytest.mark.parametrize("client", ["confluent", "kafka_python", "kafkajs"])
@pytest.mark.parametrize("kill9", [False, True], ids=["sigterm", "kill9"])
def test_committed_offsets_survive_restart(rbroker, topic_name, members, client, kill9):
    rbroker.create_topic(topic_name, PARTITIONS)
    group = groups.new_group("restart")
    # Commits by one client, then a consumer of another client resumes: the offsets are the
    # broker's, not a client's cache.
    m = groups.Member("confluent", rbroker.bootstrap, topic_name, group, commit="after")
    members.append(m)
    held = groups.wait_covering([m], PARTITIONS, 60)
    first = groups.produce_keys(rbroker.bootstrap, topic_name, PARTITIONS, 0, FIRST)
    groups.wait_consumed([m], first, 60)
    per = FIRST // PARTITIONS
    m.wait(lambda m: all(m.committed().get(p) == per for p in held[m]), 30, "commits")
    m.close()
    want = {p: per for p in range(PARTITIONS)}
    assert offsets_confluent(rbroker.bootstrap, group, topic_name) == want

    rbroker.restart(kill9=kill9)
    rbroker.wait_for_topic(topic_name, PARTITIONS, timeout_s=60)
    assert offsets_confluent(rbroker.bootstrap, group, topic_name) == want
    assert offsets_kafka_python(rbroker.bootstrap, group, topic_name) == want

    second = groups.produce_keys(rbroker.bootstrap, topic_name, PARTITIONS, FIRST, SECOND)
    r = groups.Member(client, rbroker.bootstrap, topic_name, group, commit="after")
    members.append(r)
    groups.wait_consumed([r], second, 60, "resume after the restart")
    r.close()
    got = r.keys()
    assert sorted(got, key=lambda k: int(k[1:])) == second, (
        "after the restart the group read %d messages, %d of them from before the last "
        "commit" % (len(got), len(set(got) - set(second))))
    assert offsets_confluent(rbroker.bootstrap, group, topic_name) == {
        p: per + SECOND // PARTITIONS for p in range(PARTITIONS)}
