"""KIP-848 consumer groups over raw frames against a real `vltava serve`: ConsumerGroupHeartbeat
v0-1 and ConsumerGroupDescribe v0-1, written by hand with struct (test inputs, not the broker's
codec). Kafka's behaviour is the reference (KIP-848, KIP-1082; the JSON message specs).

Members are simulated as a Kafka client behaves: each heartbeat reports the partitions it owns
(TopicPartitions), and an assignment in the answer replaces what it owns at once (revoking
first, then taking the new ones). After every answer no partition is owned by two members.
The broker runs with a short group.consumer.session.timeout.ms so that a silent member is
removed within seconds."""

import json
import os
import socket
import struct
import subprocess
import time
import uuid

import pytest

import harness

API_OFFSET_COMMIT, API_OFFSET_FETCH, API_JOIN, API_LIST_GROUPS = 8, 9, 11, 16
API_CGH, API_CGD = 68, 69

NONE, UNKNOWN_MEMBER_ID, INCONSISTENT_GROUP_PROTOCOL = 0, 25, 23
INVALID_REQUEST, GROUP_ID_NOT_FOUND = 42, 69
FENCED_MEMBER_EPOCH, UNRELEASED_INSTANCE_ID, UNSUPPORTED_ASSIGNOR = 110, 111, 112
STALE_MEMBER_EPOCH = 113
LOADING = (14, 15)
# group.consumer.session.timeout.ms and group.consumer.heartbeat.interval.ms, shorter than
# Kafka's 45 s and 5 s so that a silent member goes within seconds.
SESSION_TIMEOUT_MS = 6000
HEARTBEAT_INTERVAL_MS = 1000
PARTITIONS = 12
HERE = os.path.dirname(os.path.abspath(__file__))

pytestmark = pytest.mark.skipif(harness.backend_name() != "vltava",
                                reason="KIP-848 raw frames: vltava only")


@pytest.fixture(scope="module")
def kbroker():
    b = harness.VltavaBroker(extra_sets=(
        "group.consumer.session.timeout.ms=%d" % SESSION_TIMEOUT_MS,
        "group.consumer.heartbeat.interval.ms=%d" % HEARTBEAT_INTERVAL_MS,
    ))
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def topic(kbroker):
    name = "kip848-%s" % uuid.uuid4().hex[:8]
    kbroker.create_topic(name, PARTITIONS)
    return name


# ---- encoding (flexible versions: compact strings and arrays, tagged fields) -----------------

def uvarint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def cstr(s):
    if s is None:
        return b"\x00"
    b = s.encode()
    return uvarint(len(b) + 1) + b


def carr(items):
    if items is None:
        return b"\x00"
    return uvarint(len(items) + 1) + b"".join(items)


TAGS = b"\x00"


def flexible_frame(api_key, version, correlation_id, body, client_id=b"kip848"):
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    header += TAGS
    return struct.pack(">i", len(header) + len(body)) + header + body


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0]

    def int8(self):
        return self.take(">b")

    def int16(self):
        return self.take(">h")

    def int32(self):
        return self.take(">i")

    def int64(self):
        return self.take(">q")

    def uvarint(self):
        shift = out = 0
        while True:
            b = self.data[self.pos]
            self.pos += 1
            out |= (b & 0x7F) << shift
            if not b & 0x80:
                return out
            shift += 7

    def uuid(self):
        v = self.data[self.pos:self.pos + 16]
        self.pos += 16
        return v

    def cstr(self):
        n = self.uvarint()
        if n == 0:
            return None
        v = self.data[self.pos:self.pos + n - 1].decode()
        self.pos += n - 1
        return v

    def str16(self):
        n = self.int16()
        if n < 0:
            return None
        v = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return v

    def carr(self, element):
        n = self.uvarint()
        return None if n == 0 else [element() for _ in range(n - 1)]

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.pos += self.uvarint()


def call(address, api_key, version, body, flexible=True):
    with socket.create_connection(harness.split_host_port(address), timeout=10) as s:
        if flexible:
            s.sendall(flexible_frame(api_key, version, 9, body))
        else:
            s.sendall(harness.frame(api_key, version, 9, body))
        cid, data = harness.recv_response(s)
    assert cid == 9
    r = Reader(data)
    if flexible and api_key != 18:
        r.tags()
    return r


def topic_partitions(owned):
    """{topic_id: set(partitions)} as TopicPartitions."""
    return [tid + carr([struct.pack(">i", p) for p in sorted(ps)]) + TAGS
            for tid, ps in sorted(owned.items())]


def heartbeat(address, group, member_id, epoch, version=1, names=None, regex=None,
              owned=None, instance_id=None, rebalance_timeout_ms=-1, assignor=None):
    body = cstr(group) + cstr(member_id) + struct.pack(">i", epoch) + cstr(instance_id)
    body += cstr(None) + struct.pack(">i", rebalance_timeout_ms)
    body += carr(None if names is None else [cstr(n) for n in names])
    if version >= 1:
        body += cstr(regex)
    body += cstr(assignor)
    body += carr(None if owned is None else topic_partitions(owned)) + TAGS
    deadline = time.monotonic() + 30
    while True:
        r = call(address, API_CGH, version, body)
        out = {"throttle": r.int32(), "error": r.int16(), "message": r.cstr(),
               "member_id": r.cstr(), "epoch": r.int32(), "interval": r.int32()}
        assignment = None
        if r.int8() >= 0:
            def tp():
                tid = r.uuid()
                ps = r.carr(r.int32)
                r.tags()
                return tid, set(ps)
            assignment = dict(r.carr(tp))
            r.tags()
        out["assignment"] = assignment
        if out["error"] not in LOADING or time.monotonic() > deadline:
            return out
        time.sleep(0.1)


def describe(address, group, version=1):
    r = call(address, API_CGD, version, carr([cstr(group)]) + b"\x00" + TAGS)
    r.int32()

    def assignment():
        def tp():
            v = (r.uuid(), r.cstr(), r.carr(r.int32))
            r.tags()
            return v
        v = r.carr(tp)
        r.tags()
        return v

    def member():
        m = {"member_id": r.cstr(), "instance_id": r.cstr(), "rack_id": r.cstr(),
             "epoch": r.int32(), "client_id": r.cstr(), "client_host": r.cstr(),
             "topics": r.carr(r.cstr), "regex": r.cstr(), "assignment": assignment(),
             "target": assignment()}
        if version >= 1:
            m["type"] = r.int8()
        r.tags()
        return m

    def group_():
        g = {"error": r.int16(), "message": r.cstr(), "group_id": r.cstr(), "state": r.cstr(),
             "epoch": r.int32(), "assignment_epoch": r.int32(), "assignor": r.cstr(),
             "members": r.carr(member), "ops": r.int32()}
        r.tags()
        return g

    return r.carr(group_)[0]


def list_groups(address, types=()):
    """ListGroups v5: [(group id, protocol type, state, type)]."""
    r = call(address, API_LIST_GROUPS, 5, carr([]) + carr([cstr(t) for t in types]) + TAGS)
    r.int32()
    assert r.int16() == NONE

    def g():
        v = (r.cstr(), r.cstr(), r.cstr(), r.cstr())
        r.tags()
        return v
    return r.carr(g)


# ---- a simulated member ----------------------------------------------------------------------

class Member:
    def __init__(self, address, group, topic, member_id=None):
        self.address, self.group, self.topic = address, group, topic
        self.member_id = member_id or str(uuid.uuid4())
        self.epoch = 0
        self.owned = {}

    def join(self, **kw):
        r = heartbeat(self.address, self.group, self.member_id, 0, names=[self.topic],
                      owned={}, rebalance_timeout_ms=10000, **kw)
        self._take(r)
        return r

    def beat(self):
        r = heartbeat(self.address, self.group, self.member_id, self.epoch, owned=self.owned)
        self._take(r)
        return r

    def leave(self):
        return heartbeat(self.address, self.group, self.member_id, -1)

    def _take(self, r):
        if r["error"] != NONE:
            return
        self.epoch = r["epoch"]
        if r["assignment"] is not None:
            self.owned = {t: ps for t, ps in r["assignment"].items() if ps}

    def count(self):
        return sum(len(ps) for ps in self.owned.values())


def assert_disjoint(members):
    seen = {}
    for m in members:
        for t, ps in m.owned.items():
            for p in ps:
                assert (t, p) not in seen, "partition %d owned by %s and %s" % (
                    p, seen[(t, p)], m.member_id)
                seen[(t, p)] = m.member_id
    return len(seen)


def converge(members, rounds=12):
    for _ in range(rounds):
        for m in members:
            r = m.beat()
            assert r["error"] == NONE, r
            assert_disjoint(members)
    return assert_disjoint(members)


# ---- tests -----------------------------------------------------------------------------------

def test_api_versions_advertise_68_and_69(kbroker):
    _, apis = harness.api_versions(kbroker.bootstrap)
    assert apis[API_CGH] == (0, 1)
    assert apis[API_CGD] == (0, 1)


def test_three_members_join_and_leave_twelve_partitions(kbroker, topic):
    group = "g-" + topic
    a, b, c = (Member(kbroker.bootstrap, group, topic) for _ in range(3))
    r = a.join()
    assert r["error"] == NONE and r["epoch"] == 1, r
    assert r["member_id"] == a.member_id  # v1: the client's own id
    assert r["interval"] == HEARTBEAT_INTERVAL_MS
    assert a.count() == PARTITIONS
    members = [a]
    for m in (b, c):
        assert m.join()["error"] == NONE
        members.append(m)
        assert_disjoint(members)
    assert converge(members) == PARTITIONS
    assert [m.count() for m in members] == [4, 4, 4]
    d = describe(kbroker.bootstrap, group)
    assert d["error"] == NONE and d["state"] == "Stable", d
    assert d["assignor"] == "uniform"
    assert sorted(m["member_id"] for m in d["members"]) == sorted(m.member_id for m in members)
    assert all(m["type"] == 1 and m["topics"] == [topic] for m in d["members"])
    assert all(m["epoch"] == d["assignment_epoch"] for m in d["members"])
    for m in d["members"]:
        assert [tp[1] for tp in m["assignment"]] == [topic]

    left = c.leave()
    assert left["error"] == NONE and left["epoch"] == -1, left
    members = [a, b]
    assert converge(members) == PARTITIONS
    assert [m.count() for m in members] == [6, 6]


def test_silent_member_loses_partitions_after_session_timeout(kbroker, topic):
    group = "g-" + topic
    a, b = Member(kbroker.bootstrap, group, topic), Member(kbroker.bootstrap, group, topic)
    a.join()
    b.join()
    assert converge([a, b]) == PARTITIONS
    assert b.count() == 6
    # b goes quiet; a keeps heartbeating and gets everything once b's session has expired.
    start = time.monotonic()
    while a.count() < PARTITIONS:
        assert time.monotonic() < start + SESSION_TIMEOUT_MS / 1000 + 20, "b's partitions stayed"
        assert a.beat()["error"] == NONE
        time.sleep(1)
    assert time.monotonic() - start >= SESSION_TIMEOUT_MS / 1000 - 2, "b expired too early"
    assert b.beat()["error"] == UNKNOWN_MEMBER_ID
    d = describe(kbroker.bootstrap, group)
    assert [m["member_id"] for m in d["members"]] == [a.member_id]


def test_fencing_and_bad_requests(kbroker, topic):
    group = "g-" + topic
    a = Member(kbroker.bootstrap, group, topic)
    a.join()
    addr = kbroker.bootstrap
    assert heartbeat(addr, group, a.member_id, a.epoch + 5)["error"] == FENCED_MEMBER_EPOCH
    assert heartbeat(addr, group, "nobody", 1)["error"] == UNKNOWN_MEMBER_ID
    assert heartbeat(addr, "no-such-group-" + topic, "x", 3)["error"] == GROUP_ID_NOT_FOUND
    r = heartbeat(addr, group, "x", 0, names=[topic])  # no rebalance timeout
    assert r["error"] == INVALID_REQUEST and r["message"], r
    assert heartbeat(addr, group, "", 0, names=[topic],
                     rebalance_timeout_ms=1000)["error"] == INVALID_REQUEST  # v1 needs an id
    assert heartbeat(addr, group, "x", -3)["error"] == INVALID_REQUEST
    assert heartbeat(addr, group, "x", 0, names=[topic], rebalance_timeout_ms=1000,
                     assignor="sticky")["error"] == UNSUPPORTED_ASSIGNOR
    # v0: the server names the member.
    r = heartbeat(addr, group, "", 0, version=0, names=[topic], rebalance_timeout_ms=1000,
                  owned={})
    assert r["error"] == NONE and r["member_id"], r
    # Static membership: a second instance with the same instance id waits for the first.
    s1 = heartbeat(addr, group, "s1", 0, names=[topic], rebalance_timeout_ms=1000,
                   instance_id="inst")
    assert s1["error"] == NONE
    s2 = heartbeat(addr, group, "s2", 0, names=[topic], rebalance_timeout_ms=1000,
                   instance_id="inst")
    assert s2["error"] == UNRELEASED_INSTANCE_ID
    assert heartbeat(addr, group, "s1", -2, instance_id="inst")["epoch"] == -2
    s2 = heartbeat(addr, group, "s2", 0, names=[topic], rebalance_timeout_ms=1000,
                   instance_id="inst")
    assert s2["error"] == NONE and s2["epoch"] == s1["epoch"], (s1, s2)


def test_regex_subscription_and_range_assignor(kbroker, topic):
    group = "g-" + topic
    addr = kbroker.bootstrap
    r = heartbeat(addr, group, "m1", 0, regex=topic[:10] + ".*", rebalance_timeout_ms=1000,
                  owned={}, assignor="range")
    assert r["error"] == NONE, r
    r = heartbeat(addr, group, "m2", 0, regex=topic[:10] + ".*", rebalance_timeout_ms=1000,
                  owned={}, assignor="range")
    d = describe(addr, group)
    assert d["assignor"] == "range"
    targets = {m["member_id"]: m["target"] for m in d["members"]}
    mine = [ps for t in targets["m1"] if t[1] == topic for ps in [t[2]]]
    assert mine == [[0, 1, 2, 3, 4, 5]], targets


def test_offsets_list_describe_and_classic_join(kbroker, topic):
    group = "g-" + topic
    addr = kbroker.bootstrap
    a = Member(addr, group, topic)
    a.join()
    # OffsetCommit v9 (flexible): the member epoch is the generation id.
    def commit(epoch, member_id):
        body = cstr(group) + struct.pack(">i", epoch) + cstr(member_id) + cstr(None)
        body += carr([cstr(topic) + carr([struct.pack(">iqi", 0, 42, -1) + cstr("") + TAGS])
                      + TAGS]) + TAGS
        r = call(addr, API_OFFSET_COMMIT, 9, body)
        r.int32()
        topics = r.carr(lambda: (r.cstr(), r.carr(lambda: (r.int32(), r.int16(), r.tags())[1]),
                                 r.tags())[1])
        return topics[0][0]
    assert commit(a.epoch, a.member_id) == NONE
    assert commit(a.epoch + 1, a.member_id) == STALE_MEMBER_EPOCH
    assert commit(a.epoch, "nobody") == UNKNOWN_MEMBER_ID
    # OffsetFetch v1 (non-flexible) reads it back.
    body = struct.pack(">h", len(group)) + group.encode() + struct.pack(">i", 1)
    body += struct.pack(">h", len(topic)) + topic.encode() + struct.pack(">ii", 1, 0)
    r = call(addr, API_OFFSET_FETCH, 1, body, flexible=False)
    assert r.int32() == 1 and r.str16() == topic and r.int32() == 1
    assert r.int32() == 0 and r.int64() == 42

    listed = {g[0]: g for g in list_groups(addr)}
    assert listed[group][1:] == ("consumer", "Stable", "consumer"), listed[group]
    assert group not in {g[0] for g in list_groups(addr, types=["classic"])}
    assert group in {g[0] for g in list_groups(addr, types=["Consumer"])}

    # A classic JoinGroup (v5) to a consumer group with members.
    body = struct.pack(">h", len(group)) + group.encode() + struct.pack(">ii", 10000, 10000)
    body += struct.pack(">h", 0) + struct.pack(">h", -1)  # member id "", no instance id
    body += struct.pack(">h", 8) + b"consumer" + struct.pack(">i", 1)
    body += struct.pack(">h", 5) + b"range" + struct.pack(">i", 0)
    r = call(addr, API_JOIN, 5, body, flexible=False)
    r.int32()
    assert r.int16() == INCONSISTENT_GROUP_PROTOCOL


def test_group_survives_a_restart(own_broker):
    addr = own_broker.bootstrap
    topic = "kip848-restart"
    own_broker.create_topic(topic, PARTITIONS)
    group = "g-restart"
    a, b = Member(addr, group, topic), Member(addr, group, topic)
    a.join()
    b.join()
    converge([a, b])
    before = describe(addr, group)
    time.sleep(1)  # the records are written in the background
    own_broker.restart()
    after = describe(addr, group)
    while after["error"] in LOADING:
        time.sleep(0.1)
        after = describe(addr, group)
    assert after["error"] == NONE, after
    for k in ("epoch", "assignment_epoch", "state"):
        assert after[k] == before[k], (k, before, after)
    assert sorted(m["member_id"] for m in after["members"]) == sorted(
        m["member_id"] for m in before["members"])
    # The members go on with the epochs they had, keeping their partitions.
    for m in (a, b):
        owned = dict(m.owned)
        r = m.beat()
        assert r["error"] == NONE, r
        assert m.owned == owned


JS_CLIENT = "@platformatic/kafka"


@pytest.mark.skipif(not os.path.isdir(os.path.join(HERE, "..", "js", "node_modules", JS_CLIENT)),
                    reason="run `npm ci` in tests/js for " + JS_CLIENT)
def test_platformatic_kafka_consumer_protocol(kbroker, topic):
    """A real client that speaks KIP-848: two @platformatic/kafka consumers with
    groupProtocol 'consumer' share the 12 partitions and read every record once between them."""
    n = 240
    group = "js-" + topic
    out = subprocess.run(
        ["node", os.path.join(HERE, "js", "kip848_consumer.mjs"), kbroker.bootstrap, topic, group,
         str(n), str(PARTITIONS)],
        capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, (out.stdout, out.stderr[-4000:])
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 2, out.stdout
    assert lines[0]["total"] >= n
    owned = [{(a["topic"], p) for a in line["assignments"] or [] for p in a["partitions"]}
             for line in lines]
    assert owned[0] and owned[1], owned  # the server split the partitions between them
    assert not owned[0] & owned[1], owned
    assert len(owned[0] | owned[1]) == PARTITIONS, owned
    d = describe(kbroker.bootstrap, group)
    assert d["error"] == NONE and len(d["members"]) in (0, 2), d  # closed consumers leave
