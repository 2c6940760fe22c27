"""A minimal Kafka client for the cluster tests: requests sent to one node directly, where the
client libraries would pick the node themselves (the controller, the partition leader):
DescribeQuorum v0, Metadata v7, CreateTopics v0, DescribeCluster v1, ElectLeaders v2. Only
127.0.0.0/8 is ever contacted."""

import hashlib
import socket
import struct

METADATA_TOPIC = b"__cluster_metadata"

def _request(address, api_key, version, body, flexible):
    host, port = address.rsplit(":", 1)
    assert host.startswith("127."), "test traffic stays on the loopback range"
    client_id = b"cluster-test"
    header = struct.pack(">hhih", api_key, version, 7, len(client_id)) + client_id
    if flexible:
        header += b"\x00"  # no tagged fields
    frame = header + body
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", _recv_exact(s, 4))[0]
        data = _recv_exact(s, size)
    r = _Reader(data)
    assert r.int32() == 7
    if flexible:
        r.tagged()
    return r


def _recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise OSError("connection closed")
        out += chunk
    return out


class _Reader:
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
        shift = value = 0
        while True:
            b = self.data[self.pos]
            self.pos += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def string(self):
        n = self.int16()
        if n < 0:
            return None
        self.pos += n
        return self.data[self.pos - n:self.pos].decode()

    def compact_string(self):
        n = self.uvarint() - 1
        self.pos += max(n, 0)
        return self.data[self.pos - n:self.pos].decode() if n >= 0 else None

    def tagged(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.pos += self.uvarint()

    def array(self, element):
        return [element() for _ in range(self.int32())]

    def compact_array(self, element):
        return [element() for _ in range(self.uvarint() - 1)]


def describe_quorum(address):
    """DescribeQuorum v0 of __cluster_metadata-0 from one node: (error, leader, epoch, hw,
    {voter: log end offset}); error 6 (NOT_LEADER_OR_FOLLOWER) from a node that does not lead."""
    return describe_quorum_observers(address)[:5]


def describe_quorum_observers(address):
    """DescribeQuorum v0 as describe_quorum, plus the observers: (error, leader, epoch, hw,
    {voter: log end offset}, {observer: log end offset})."""
    body = (b"\x02" + bytes([len(METADATA_TOPIC) + 1]) + METADATA_TOPIC +
            b"\x02" + struct.pack(">i", 0) + b"\x00" + b"\x00" + b"\x00")
    r = _request(address, 55, 0, body, flexible=True)
    top_error = r.int16()
    assert top_error == 0, "DescribeQuorum error %d from %s" % (top_error, address)
    assert r.uvarint() - 1 == 1
    r.compact_string()
    assert r.uvarint() - 1 == 1
    r.int32()
    error, leader, epoch, hw = r.int16(), r.int32(), r.int32(), r.int64()

    def replica():
        rid, leo = r.int32(), r.int64()
        r.tagged()
        return rid, leo
    voters = dict(r.compact_array(replica))
    observers = dict(r.compact_array(replica))
    return error, leader, epoch, hw, voters, observers


def describe_cluster(address, endpoint_type):
    """DescribeCluster v1 (KIP-919 EndpointType: 1 brokers, 2 controllers): (error,
    controller id, {node: "host:port"})."""
    body = b"\x00" + struct.pack(">b", endpoint_type) + b"\x00"
    r = _request(address, 60, 1, body, flexible=True)
    r.int32()  # throttle
    error = r.int16()
    r.compact_string()  # error message
    r.int8()  # endpoint type
    r.compact_string()  # cluster id
    controller = r.int32()

    def node():
        nid, host, port = r.int32(), r.compact_string(), r.int32()
        r.compact_string()  # rack
        r.tagged()
        return nid, "%s:%d" % (host, port)
    return error, controller, dict(r.compact_array(node))


def metadata(address):
    """Metadata v7 for every topic from one node: (brokers, controller id, topics)."""
    r = _request(address, 3, 7, struct.pack(">i", -1) + b"\x00", flexible=False)
    r.int32()  # throttle

    def broker():
        return r.int32(), r.string(), r.int32(), r.string()
    brokers = r.array(broker)
    r.string()  # cluster id
    controller = r.int32()

    def ints():
        return sorted(r.array(r.int32))

    def partition():
        return (r.int16(), r.int32(), r.int32(), r.int32(), ints(), ints(), ints())

    def topic():
        error, name, internal = r.int16(), r.string(), r.take(">?")
        return name, error, internal, sorted(r.array(partition), key=lambda p: p[1])
    topics = sorted(r.array(topic))
    return sorted(brokers), controller, topics


def digest(address, with_brokers):
    """A digest of what the node serves: per topic its partitions' leader, leader epoch,
    replicas, ISR and offline replicas; brokers too once every node lists them all."""
    brokers, _, topics = metadata(address)
    what = repr((brokers if with_brokers else None, topics)).encode()
    return hashlib.sha256(what).hexdigest(), {t[0] for t in topics}



def create_topic_v0(address, name, partitions, replication_factor):
    """CreateTopics v0 of one topic sent to this node: its error code (0: created)."""
    encoded = name.encode()
    body = (struct.pack(">i", 1) + struct.pack(">h", len(encoded)) + encoded +
            struct.pack(">ihii", partitions, replication_factor, 0, 0) + struct.pack(">i", 15000))
    r = _request(address, 19, 0, body, flexible=False)
    results = r.array(lambda: (r.string(), r.int16()))
    assert len(results) == 1 and results[0][0] == name, results
    return results[0][1]


def find_coordinator_v1(address, key, key_type=0):
    """FindCoordinator v1 sent to this node: (error, coordinator node id); key_type 0 is a
    group, 1 a transactional id."""
    encoded = key.encode()
    body = struct.pack(">h", len(encoded)) + encoded + struct.pack(">b", key_type)
    r = _request(address, 10, 1, body, flexible=False)
    r.int32()  # throttle
    error = r.int16()
    r.string()  # message
    node = r.int32()
    return error, node


def elect_leaders(address, election_type, partitions):
    """ElectLeaders v2 sent to this node (0 preferred, 1 unclean; partitions {topic: [index]},
    or None for every partition): (top-level error, {(topic, partition): error})."""
    def compact(b):
        return _uvarint(len(b) + 1) + b
    if partitions is None:
        body = struct.pack(">b", election_type) + b"\x00"
    else:
        body = struct.pack(">b", election_type) + _uvarint(len(partitions) + 1)
        for topic, indexes in partitions.items():
            body += compact(topic.encode()) + _uvarint(len(indexes) + 1)
            body += b"".join(struct.pack(">i", i) for i in indexes) + b"\x00"
    body += struct.pack(">i", 15000) + b"\x00"
    r = _request(address, 43, 2, body, flexible=True)
    r.int32()  # throttle
    top = r.int16()
    results = {}

    def topic():
        name = r.compact_string()

        def partition():
            index, error = r.int32(), r.int16()
            r.compact_string()  # message
            r.tagged()
            results[(name, index)] = error
        r.compact_array(partition)
        r.tagged()
    r.compact_array(topic)
    return top, results


def _uvarint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])
