"""Group administration through three admin implementations: confluent-kafka-python (list_groups,
committed offsets), kafka-python's KafkaAdminClient and kafkajs admin (listGroups, describeGroups,
fetchOffsets, resetOffsets, deleteGroups): groups listed with their state and members, committed
offsets listed, offsets reset, groups deleted (NON_EMPTY_GROUP for a group with members,
GROUP_ID_NOT_FOUND for none) and gone afterwards with their offsets."""

import json
import os
import subprocess

import pytest

import groups
import harness

HERE = os.path.dirname(os.path.abspath(__file__))
PARTITIONS = 3
N = 30
PER = N // PARTITIONS
NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND = 68, 69
MOCK_NO_GROUP_ADMIN = "no ListGroups, DescribeGroups or DeleteGroups in librdkafka 2.0's mock"


def consume_and_leave(broker, topic, group, keys):
    """A member that reads every key, commits, and leaves: the group is Empty with offsets."""
    m = groups.Member("confluent", broker.bootstrap, topic, group, commit="after")
    try:
        groups.wait_consumed([m], keys, 60, group)
        m.wait(lambda m: m.committed() == {p: PER for p in range(PARTITIONS)}, 30, "commits")
        m.close()
    finally:
        m.stop()


@pytest.fixture(scope="module")
def state(gbroker):
    """A topic, an Empty group `idle` with committed offsets, a Stable group `busy` whose one
    member holds every partition."""
    topic = groups.new_group("groups-admin")
    gbroker.create_topic(topic, PARTITIONS)
    keys = groups.produce_keys(gbroker.bootstrap, topic, PARTITIONS, 0, N)
    idle, busy = groups.new_group("idle"), groups.new_group("busy")
    consume_and_leave(gbroker, topic, idle, keys)
    m = groups.Member("confluent", gbroker.bootstrap, topic, busy, commit="after")
    try:
        groups.wait_covering([m], PARTITIONS, 60)
        groups.wait_consumed([m], keys, 60)
        yield {"topic": topic, "keys": keys, "idle": idle, "busy": busy, "member": m}
    finally:
        m.stop()


def kafkajs_admin(broker, op, **args):
    p = subprocess.run(["node", os.path.join(HERE, "js", "group_consumer.js"), "admin",
                        broker.bootstrap, op, json.dumps(args)], capture_output=True, timeout=120)
    assert p.returncode == 0, "kafkajs admin %s: %s" % (op, p.stderr.decode()[-2000:])
    return json.loads(p.stdout.decode().splitlines()[-1])


def kafka_python_admin(broker):
    from kafka.admin import KafkaAdminClient

    return KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=30000)


def committed_confluent(broker, group, topic):
    import confluent_kafka as ck

    c = ck.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
    try:
        tps = c.committed([ck.TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=30)
        return {tp.partition: tp.offset for tp in tps}
    finally:
        c.close()


def list_groups(client, broker):
    """{group id: (protocol type, state or None)} as `client` lists them."""
    if client == "confluent":
        from confluent_kafka.admin import AdminClient

        got = AdminClient({"bootstrap.servers": broker.bootstrap}).list_groups(timeout=30)
        return {g.id: (g.protocol_type, g.state) for g in got}
    if client == "kafka_python":
        admin = kafka_python_admin(broker)
        try:
            return {g: (t, None) for g, t in admin.list_consumer_groups()}
        finally:
            admin.close()
    return {g["groupId"]: (g["protocolType"], None)
            for g in kafkajs_admin(broker, "list")["groups"]}


def describe(client, broker, group):
    """(state, protocol, [(member id, sorted assigned partitions)])"""
    if client == "confluent":
        from confluent_kafka.admin import AdminClient

        (g,) = AdminClient({"bootstrap.servers": broker.bootstrap}).list_groups(group, timeout=30)
        return g.state, g.protocol, [(m.id, None) for m in g.members]
    if client == "kafka_python":
        admin = kafka_python_admin(broker)
        try:
            (g,) = admin.describe_consumer_groups([group])
        finally:
            admin.close()
        members = []
        for m in g.members:
            parts = sorted(p for _, ps in m.member_assignment.assignment for p in ps)
            members.append((m.member_id, parts))
        return g.state, g.protocol, members
    (g,) = kafkajs_admin(broker, "describe", groups=[group])["groups"]
    return g["state"], g["protocol"], [(m["memberId"], None) for m in g["members"]]


def committed(client, broker, group, topic):
    if client == "confluent":
        return committed_confluent(broker, group, topic)
    if client == "kafka_python":
        admin = kafka_python_admin(broker)
        try:
            got = admin.list_consumer_group_offsets(group)
        finally:
            admin.close()
        return {tp.partition: om.offset for tp, om in got.items() if tp.topic == topic}
    (t,) = kafkajs_admin(broker, "fetch", group=group, topic=topic)
    return {p["partition"]: int(p["offset"]) for p in t["partitions"]}


CLIENTS = ["confluent", "kafka_python", "kafkajs"]


@pytest.mark.mock_xfail(MOCK_NO_GROUP_ADMIN)
@pytest.mark.parametrize("client", CLIENTS)
def test_list_groups(gbroker, state, client):
    got = list_groups(client, gbroker)
    for g, want_state in ((state["idle"], "Empty"), (state["busy"], "Stable")):
        assert g in got, "%s not listed: %s" % (g, sorted(got))
        assert got[g][0] == "consumer", got[g]
        assert got[g][1] in (None, want_state), (g, got[g])


@pytest.mark.mock_xfail(MOCK_NO_GROUP_ADMIN)
@pytest.mark.parametrize("client", CLIENTS)
def test_describe_groups(gbroker, state, client):
    st, protocol, members = describe(client, gbroker, state["busy"])
    assert st == "Stable" and protocol == "roundrobin" and len(members) == 1, (st, protocol,
                                                                               members)
    if members[0][1] is not None:
        assert members[0][1] == list(range(PARTITIONS)), members
    st, _, members = describe(client, gbroker, state["idle"])
    assert st == "Empty" and members == [], (st, members)


@pytest.mark.parametrize("client", CLIENTS)
def test_list_committed_offsets(request, gbroker, state, client):
    if client == "kafka_python" and harness.backend_name() == "mock":
        request.node.add_marker(pytest.mark.xfail(
            reason="librdkafka mock: kafka-python's admin asks OffsetFetch for all topics (null "
                   "topics), which the mock answers with a null topics array", strict=False))
    want = {p: PER for p in range(PARTITIONS)}
    assert committed(client, gbroker, state["idle"], state["topic"]) == want


@pytest.mark.mock_xfail(MOCK_NO_GROUP_ADMIN)
def test_kafkajs_reset_offsets_then_group_reads_again(gbroker, state):
    group = groups.new_group("reset")
    consume_and_leave(gbroker, state["topic"], group, state["keys"])
    kafkajs_admin(gbroker, "reset", group=group, topic=state["topic"], earliest=True)
    m = groups.Member("confluent", gbroker.bootstrap, state["topic"], group, commit="after")
    try:
        groups.wait_consumed([m], state["keys"], 60, "after the reset")
        m.close()
    finally:
        m.stop()
    assert sorted(m.keys()) == sorted(state["keys"])


@pytest.mark.mock_xfail(MOCK_NO_GROUP_ADMIN)
@pytest.mark.parametrize("client", ["kafka_python", "kafkajs"])
def test_delete_groups(gbroker, state, client):
    group = groups.new_group("delete")
    consume_and_leave(gbroker, state["topic"], group, state["keys"])
    missing = groups.new_group("never-existed")
    asked = [group, state["busy"], missing]
    if client == "kafka_python":
        admin = kafka_python_admin(gbroker)
        try:
            res = {g: (0 if e is None or e.errno == 0 else e.errno)
                   for g, e in admin.delete_consumer_groups(asked)}
        finally:
            admin.close()
    else:
        res = {g: 0 for g in asked}
        res.update({r["groupId"]: r["errorCode"]
                    for r in (kafkajs_admin(gbroker, "delete", groups=asked) or [])
                    if isinstance(r, dict)})
    assert res == {group: 0, state["busy"]: NON_EMPTY_GROUP, missing: GROUP_ID_NOT_FOUND}, res
    assert group not in list_groups("kafka_python", gbroker)
    assert state["busy"] in list_groups("kafka_python", gbroker)
    assert set(committed_confluent(gbroker, group, state["topic"]).values()) == {-1001}
