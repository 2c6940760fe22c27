"""Group requests a client should not send, over a raw socket, and Kafka's error codes for each:
JoinGroup with an empty group id, an empty protocol type or no protocols, protocols the group
does not share, a session timeout out of bounds, the first join without a member id (KIP-394);
Heartbeat/SyncGroup/OffsetCommit with an illegal generation or an unknown member; OffsetCommit
to a partition or topic that does not exist (refused per partition, the rest stored); and
static membership (KIP-345) over the wire: a static member that rejoins with its instance id
keeps its assignment, the generation does not move, its old member id is fenced.

Frames are written by hand with struct (header v1, non-flexible versions): test inputs, not the
broker's codec. Kafka's behaviour is the reference (group-coordinator's GroupMetadataManager
and GroupCoordinatorService, KafkaApis.handleOffsetCommitRequest). The mock coordinator of
librdkafka implements little of this: what it cannot answer is marked vltava-only."""

import socket
import struct
import time

import pytest

import groups
import harness

API_OFFSET_COMMIT, API_OFFSET_FETCH, API_FIND_COORDINATOR = 8, 9, 10
API_JOIN, API_HEARTBEAT, API_LEAVE, API_SYNC = 11, 12, 13, 14

NONE, UNKNOWN_TOPIC_OR_PARTITION = 0, 3
ILLEGAL_GENERATION, INCONSISTENT_GROUP_PROTOCOL, INVALID_GROUP_ID = 22, 23, 24
UNKNOWN_MEMBER_ID, INVALID_SESSION_TIMEOUT, REBALANCE_IN_PROGRESS = 25, 26, 27
MEMBER_ID_REQUIRED, FENCED_INSTANCE_ID = 79, 82
# What a coordinator answers while __consumer_offsets is created or its partition loaded; clients
# retry, and so do these tests.
LOADING = (14, 15)  # COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE
LOAD_TIMEOUT_S = 30


def retry_loading(call, errors_of):
    """Calls call() until errors_of(result) holds something other than LOADING."""
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    while True:
        result = call()
        errs = errors_of(result)
        if not errs or not all(e in LOADING for e in errs) or time.monotonic() > deadline:
            return result
        time.sleep(0.1)

PARTITIONS = 3


def vltava_only(reason):
    """librdkafka's mock does not implement this part of the coordinator."""
    return pytest.mark.skipif(harness.backend_name() == "mock",
                              reason="librdkafka mock coordinator: " + reason)


@pytest.fixture(scope="module")
def topic(gbroker):
    name = "groups-protocol-%d" % int(time.time() * 1000)
    gbroker.create_topic(name, PARTITIONS)
    return name


# ---- encoding --------------------------------------------------------------------------------

def s16(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def ns16(s):
    return struct.pack(">h", -1) if s is None else s16(s)


def b32(b):
    return struct.pack(">i", -1) if b is None else struct.pack(">i", len(b)) + b


def arr(items):
    return struct.pack(">i", len(items)) + b"".join(items)


def subscription(topic):
    """ConsumerProtocol subscription v0: version, topics, user data."""
    return struct.pack(">h", 0) + arr([s16(topic)]) + b32(b"")


def assignment(topic, partitions):
    """ConsumerProtocol assignment v0: version, [topic, [partition]], user data."""
    return (struct.pack(">h", 0)
            + arr([s16(topic) + arr([struct.pack(">i", p) for p in partitions])]) + b32(b""))


class Reader:
    def __init__(self, data):
        self.d, self.i = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.i)
        self.i += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def str(self):
        n = self.take(">h")
        if n < 0:
            return None
        v = self.d[self.i:self.i + n].decode()
        self.i += n
        return v

    def bytes(self):
        n = self.take(">i")
        if n < 0:
            return None
        v = self.d[self.i:self.i + n]
        self.i += n
        return v

    def array(self, item):
        return [item(self) for _ in range(self.take(">i"))]


class Conn:
    """One connection to the coordinator (a single-node broker is every group's coordinator)."""

    def __init__(self, broker):
        self.sock = socket.create_connection(harness.split_host_port(broker.bootstrap),
                                             timeout=30)
        self.cid = 0
        self._found = set()

    def find_coordinator(self, key):
        """FindCoordinator v1 for a group: the error code (as clients do first: it is what
        makes a broker create __consumer_offsets)."""
        r = self.request(API_FIND_COORDINATOR, 1, s16(key) + struct.pack(">b", 0))
        r.take(">i")
        return r.take(">h")

    def ready(self, group):
        """Asks for the group's coordinator until it is there, once per group."""
        if group in self._found:
            return
        if group == "":
            self.ready("any-group")  # what the empty id gets answered is up to each test
        else:
            err = retry_loading(lambda: self.find_coordinator(group), lambda e: [e])
            assert err == NONE, "FindCoordinator(%r): error %d" % (group, err)
        self._found.add(group)

    def close(self):
        self.sock.close()

    def send(self, api, version, body):
        self.cid += 1
        self.sock.sendall(harness.frame(api, version, self.cid, body))
        return self.cid

    def receive(self, cid):
        got, body = harness.recv_response(self.sock)
        assert got == cid, "correlation id %d, want %d" % (got, cid)
        return Reader(body)

    def request(self, api, version, body):
        return self.receive(self.send(api, version, body))

    # JoinGroup v5: the last non-flexible version, with group.instance.id.
    def send_join(self, group, member_id="", instance=None, ptype="consumer", protocols=None,
                  session_ms=groups.SESSION_MS, rebalance_ms=10000):
        protos = protocols if protocols is not None else []
        body = (s16(group) + struct.pack(">ii", session_ms, rebalance_ms) + s16(member_id)
                + ns16(instance) + s16(ptype)
                + arr([s16(name) + b32(meta) for name, meta in protos]))
        return self.send(API_JOIN, 5, body)

    def receive_join(self, cid):
        r = self.receive(cid)
        out = {"throttle": r.take(">i"), "error": r.take(">h"), "generation": r.take(">i"),
               "protocol": r.str(), "leader": r.str(), "member_id": r.str()}
        out["members"] = r.array(lambda r: (r.str(), r.str(), r.bytes()))
        return out

    def join(self, group, **kw):
        self.ready(group)
        return retry_loading(lambda: self.receive_join(self.send_join(group, **kw)),
                             lambda r: [r["error"]])

    def join_member(self, group, **kw):
        """The two-step join of KIP-394: MEMBER_ID_REQUIRED gives the id to join with."""
        first = self.join(group, **kw)
        if first["error"] != MEMBER_ID_REQUIRED:
            return first
        assert first["member_id"], "MEMBER_ID_REQUIRED without a member id"
        kw["member_id"] = first["member_id"]
        return self.join(group, **kw)

    # SyncGroup v3.
    def send_sync(self, group, generation, member_id, assignments=(), instance=None):
        body = (s16(group) + struct.pack(">i", generation) + s16(member_id) + ns16(instance)
                + arr([s16(m) + b32(a) for m, a in assignments]))
        return self.send(API_SYNC, 3, body)

    def sync(self, group, generation, member_id, assignments=(), instance=None):
        self.ready(group)

        def once():
            r = self.receive(self.send_sync(group, generation, member_id, assignments, instance))
            return {"throttle": r.take(">i"), "error": r.take(">h"), "assignment": r.bytes()}

        return retry_loading(once, lambda r: [r["error"]])

    # Heartbeat v3.
    def heartbeat(self, group, generation, member_id, instance=None):
        self.ready(group)

        def once():
            r = self.request(API_HEARTBEAT, 3, s16(group) + struct.pack(">i", generation)
                             + s16(member_id) + ns16(instance))
            r.take(">i")
            return r.take(">h")

        return retry_loading(once, lambda e: [e])

    # OffsetCommit v2: {topic: {partition: offset}} -> {topic: {partition: error}}.
    def commit(self, group, offsets, generation=-1, member_id=""):
        self.ready(group)
        body = (s16(group) + struct.pack(">i", generation) + s16(member_id)
                + struct.pack(">q", -1)
                + arr([s16(t) + arr([struct.pack(">iq", p, o) + ns16("m%d" % o)
                                     for p, o in parts.items()])
                       for t, parts in offsets.items()]))
        def once():
            r = self.request(API_OFFSET_COMMIT, 2, body)
            return {t: dict(ps) for t, ps in r.array(
                lambda r: (r.str(), r.array(lambda r: (r.take(">i"), r.take(">h")))))}

        return retry_loading(once, lambda r: [e for ps in r.values() for e in ps.values()])

    # OffsetFetch v1: {topic: [partitions]} -> {topic: {partition: (offset, metadata, error)}}.
    def fetch(self, group, wanted):
        self.ready(group)
        body = s16(group) + arr([s16(t) + arr([struct.pack(">i", p) for p in ps])
                                 for t, ps in wanted.items()])
        def once():
            r = self.request(API_OFFSET_FETCH, 1, body)
            return {t: dict(ps) for t, ps in r.array(lambda r: (r.str(), r.array(
                lambda r: (r.take(">i"), (r.take(">q"), r.str(), r.take(">h"))))))}

        return retry_loading(once, lambda r: [v[2] for ps in r.values() for v in ps.values()])


@pytest.fixture
def conn(gbroker):
    c = Conn(gbroker)
    yield c
    c.close()


def stable_member(conn, group, topic, instance=None):
    """One member that joins a new group alone and syncs: returns (member id, generation)."""
    j = conn.join_member(group, instance=instance, protocols=[("range", subscription(topic))])
    assert j["error"] == NONE, j
    assert j["leader"] == j["member_id"] and len(j["members"]) == 1, j
    s = conn.sync(group, j["generation"], j["member_id"],
                  [(j["member_id"], assignment(topic, range(PARTITIONS)))], instance=instance)
    assert s["error"] == NONE, s
    return j["member_id"], j["generation"]


# ---- JoinGroup -------------------------------------------------------------------------------

@vltava_only("accepts any group id")
def test_join_with_empty_group_id(conn, topic):
    j = conn.join("", protocols=[("range", subscription(topic))])
    assert j["error"] == INVALID_GROUP_ID, j


@vltava_only("accepts any protocol type and protocol list")
@pytest.mark.parametrize("ptype,protocols", [("", [("range", b"")]), ("consumer", [])],
                         ids=["empty_protocol_type", "no_protocols"])
def test_join_new_group_without_a_protocol(conn, topic, ptype, protocols):
    j = conn.join(groups.new_group("noproto"), ptype=ptype, protocols=protocols)
    assert j["error"] == INCONSISTENT_GROUP_PROTOCOL, j


@vltava_only("does not check that a joining member shares the group's protocols")
@pytest.mark.parametrize("ptype,name", [("connect", "range"), ("consumer", "no-such-assignor")],
                         ids=["other_protocol_type", "no_common_protocol"])
def test_join_with_inconsistent_protocol(gbroker, conn, topic, ptype, name):
    group = groups.new_group("inconsistent")
    member, generation = stable_member(conn, group, topic)
    other = Conn(gbroker)
    try:
        j = other.join(group, ptype=ptype, protocols=[(name, subscription(topic))])
        assert j["error"] == INCONSISTENT_GROUP_PROTOCOL, j
    finally:
        other.close()
    # Refused without a trace: no rebalance for the member that is there.
    assert conn.heartbeat(group, generation, member) == NONE


@vltava_only("never answers MEMBER_ID_REQUIRED")
def test_first_join_requires_member_id(conn, topic):
    group = groups.new_group("kip394")
    j = conn.join(group, protocols=[("range", subscription(topic))])
    assert j["error"] == MEMBER_ID_REQUIRED and j["member_id"], j
    # Joining with the id it gave completes the join, with that id.
    k = conn.join(group, member_id=j["member_id"], protocols=[("range", subscription(topic))])
    assert k["error"] == NONE and k["member_id"] == j["member_id"], k


@vltava_only("does not bound session timeouts")
@pytest.mark.parametrize("session_ms", [1, 24 * 3600 * 1000], ids=["too_short", "too_long"])
def test_join_with_session_timeout_out_of_bounds(conn, topic, session_ms):
    # group.min.session.timeout.ms 6 s and group.max.session.timeout.ms 30 min by default.
    j = conn.join(groups.new_group("session"), session_ms=session_ms,
                  protocols=[("range", subscription(topic))])
    assert j["error"] == INVALID_SESSION_TIMEOUT, j


# ---- Heartbeat, SyncGroup, OffsetCommit from the wrong generation or member -----------------

def test_illegal_generation_and_unknown_member(conn, topic):
    group = groups.new_group("generation")
    member, generation = stable_member(conn, group, topic)
    assert conn.heartbeat(group, generation, member) == NONE
    assert conn.heartbeat(group, generation + 1, member) == ILLEGAL_GENERATION
    assert conn.sync(group, generation + 1, member)["error"] == ILLEGAL_GENERATION
    assert conn.commit(group, {topic: {0: 5}}, generation + 1, member) == {
        topic: {0: ILLEGAL_GENERATION}}
    if harness.backend_name() != "mock":  # the mock checks the generation only
        assert conn.heartbeat(group, generation, "no-such-member") == UNKNOWN_MEMBER_ID
        assert conn.commit(group, {topic: {0: 5}}, generation, "no-such-member") == {
            topic: {0: UNKNOWN_MEMBER_ID}}
        assert conn.heartbeat("", generation, member) == INVALID_GROUP_ID
    # None of the refused commits was stored; the member's own is.
    assert conn.fetch(group, {topic: [0]})[topic][0][0] == -1
    assert conn.commit(group, {topic: {0: 7}}, generation, member) == {topic: {0: NONE}}
    assert conn.fetch(group, {topic: [0]})[topic][0][:2] == (7, "m7")


# ---- OffsetCommit to partitions that do not exist -------------------------------------------

@vltava_only("stores offsets for any partition")
def test_commit_to_missing_partition_or_topic(conn, topic):
    group = groups.new_group("missing")
    got = conn.commit(group, {topic: {0: 11, PARTITIONS + 5: 12}, "no-such-topic-x": {0: 13}})
    assert got == {topic: {0: NONE, PARTITIONS + 5: UNKNOWN_TOPIC_OR_PARTITION},
                   "no-such-topic-x": {0: UNKNOWN_TOPIC_OR_PARTITION}}, got
    fetched = conn.fetch(group, {topic: [0, PARTITIONS + 5]})
    assert fetched[topic][0][:2] == (11, "m11"), fetched
    assert fetched[topic][PARTITIONS + 5][0] == -1, "stored for a missing partition: %s" % (
        fetched,)


def test_simple_commit_with_empty_group_id_is_kept(conn, topic):
    # Kafka accepts OffsetCommit/OffsetFetch for the empty group id, for old clients (only
    # JoinGroup, SyncGroup, Heartbeat, LeaveGroup refuse it).
    assert conn.commit("", {topic: {1: 21}}) == {topic: {1: NONE}}
    assert conn.fetch("", {topic: [1]})[topic][1][:2] == (21, "m21")


# ---- static membership over the wire ---------------------------------------------------------

@vltava_only("has no static membership (group.instance.id is ignored)")
def test_static_member_rejoin_keeps_generation_and_fences_old_id(gbroker, topic):
    group = groups.new_group("static-raw")
    a, b = Conn(gbroker), Conn(gbroker)
    try:
        sub = [("range", subscription(topic))]
        leader, gen1 = stable_member(b, group, topic)  # b: dynamic, the leader
        # a joins with an instance id; b learns of the rebalance by heartbeat and rejoins.
        a.ready(group)
        a_cid = a.send_join(group, instance="inst-a", protocols=sub)
        deadline = time.time() + 20
        while b.heartbeat(group, gen1, leader) != REBALANCE_IN_PROGRESS:
            assert time.time() < deadline, "no rebalance after a static member joined"
            time.sleep(0.05)
        jb = b.join(group, member_id=leader, protocols=sub)
        ja = a.receive_join(a_cid)
        assert ja["error"] == NONE and jb["error"] == NONE, (ja, jb)
        gen2 = jb["generation"]
        assert ja["generation"] == gen2 > gen1
        assert jb["leader"] == leader and len(jb["members"]) == 2, jb
        assert {m[1] for m in jb["members"]} == {None, "inst-a"}, jb["members"]
        a_id = ja["member_id"]
        plan = [(leader, assignment(topic, [0])), (a_id, assignment(topic, [1, 2]))]
        assert b.sync(group, gen2, leader, plan)["error"] == NONE
        sa = a.sync(group, gen2, a_id, instance="inst-a")
        assert sa["error"] == NONE and sa["assignment"] == plan[1][1], sa

        # a restarts: a new connection, no member id, the same instance id and protocols.
        a.close()
        a = Conn(gbroker)
        ja2 = a.join(group, instance="inst-a", protocols=sub)
        assert ja2["error"] == NONE, ja2
        assert ja2["generation"] == gen2, "a static rejoin started generation %d" % (
            ja2["generation"],)
        assert ja2["member_id"] != a_id
        sa2 = a.sync(group, gen2, ja2["member_id"], instance="inst-a")
        assert sa2["error"] == NONE and sa2["assignment"] == plan[1][1], sa2
        # No rebalance for the other member; the old incarnation is fenced.
        assert b.heartbeat(group, gen2, leader) == NONE
        assert a.heartbeat(group, gen2, a_id, instance="inst-a") == FENCED_INSTANCE_ID
        assert a.heartbeat(group, gen2, ja2["member_id"], instance="inst-a") == NONE
    finally:
        a.close()
        b.close()
