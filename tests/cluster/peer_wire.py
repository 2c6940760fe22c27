"""Requests a misbehaving peer sends to a node's CONTROLLER listener, encoded by hand (Kafka's
layouts, src/protocol/schema/*.api): Vote v0, BeginQuorumEpoch v0 and BrokerRegistration v0.
The tests use them to show that what comes from outside the quorum, from an old epoch or from
another cluster is refused with Kafka's error codes and changes nothing."""

import struct
import uuid

from wire import METADATA_TOPIC, _request


def _compact_string(s):
    if s is None:
        return b"\x00"
    b = s.encode()
    return _uvarint(len(b) + 1) + b


def _uvarint(n):
    out = b""
    while True:
        if n < 0x80:
            return out + bytes([n])
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7


def _string(s):
    b = s.encode() if s is not None else None
    return struct.pack(">h", -1) if b is None else struct.pack(">h", len(b)) + b


def vote_v0(controller_address, cluster_id, candidate_id, candidate_epoch, last_epoch=0,
            last_offset=0):
    """(top-level error, partition error, vote granted) for a vote asked by `candidate_id`."""
    body = (_compact_string(cluster_id) +
            _uvarint(2) + _compact_string(METADATA_TOPIC.decode()) +
            _uvarint(2) + struct.pack(">iiiiq", 0, candidate_epoch, candidate_id, last_epoch,
                                      last_offset) + b"\x00" +
            b"\x00" + b"\x00")
    r = _request(controller_address, 52, 0, body, flexible=True)
    top = r.int16()
    if r.uvarint() - 1 < 1:
        return top, None, False
    r.compact_string()
    assert r.uvarint() - 1 == 1
    r.int32()
    error, _leader, _epoch, granted = r.int16(), r.int32(), r.int32(), r.take(">?")
    return top, error, granted


def begin_quorum_epoch_v0(controller_address, cluster_id, leader_id, leader_epoch):
    """(top-level error, partition error) for `leader_id` announcing that it leads an epoch."""
    body = (_string(cluster_id) + struct.pack(">i", 1) + _string(METADATA_TOPIC.decode()) +
            struct.pack(">i", 1) + struct.pack(">iii", 0, leader_id, leader_epoch))
    r = _request(controller_address, 53, 0, body, flexible=False)
    top = r.int16()
    topics = r.int32()
    if topics < 1:
        return top, None
    r.string()
    assert r.int32() == 1
    r.int32()
    return top, r.int16()


def broker_registration_v0(controller_address, broker_id, cluster_id, host, port, rack=None):
    """(error, broker epoch) for a broker registering with a new incarnation id."""
    body = (struct.pack(">i", broker_id) + _compact_string(cluster_id) + uuid.uuid4().bytes +
            _uvarint(2) + _compact_string("PLAINTEXT") + _compact_string(host) +
            struct.pack(">Hh", port, 0) + b"\x00" +
            _uvarint(1) +  # no features
            _compact_string(rack) + b"\x00")
    r = _request(controller_address, 62, 0, body, flexible=True)
    r.int32()  # throttle
    return r.int16(), r.int64()


def principal_data(principal_type, name, version=0):
    """Kafka's DefaultPrincipalData as an Envelope carries it: int16 version, then v0 (compact
    strings, TokenAuthenticated false, no tagged fields)."""
    return (struct.pack(">h", version) + _compact_string(principal_type) +
            _compact_string(name) + b"\x00\x00")


def create_topics_v0_frame(name, correlation_id=41):
    """A client's CreateTopics v0 request (header v1, no size prefix): one topic, 1 partition,
    replication factor 1."""
    client_id = b"enveloped-client"
    header = struct.pack(">hhih", 19, 0, correlation_id, len(client_id)) + client_id
    body = (struct.pack(">i", 1) + _string(name) + struct.pack(">ihii", 1, 1, 0, 0) +
            struct.pack(">i", 10000))
    return header + body


def _compact_bytes(b):
    return b"\x00" if b is None else _uvarint(len(b) + 1) + b


def envelope_v0(controller_address, request_data, principal, host_bytes):
    """(error, inner response frame or None) for an Envelope a node would send."""
    body = (_compact_bytes(request_data) + _compact_bytes(principal) + _compact_bytes(host_bytes) +
            b"\x00")
    r = _request(controller_address, 58, 0, body, flexible=True)
    n = r.uvarint()
    data = None if n == 0 else r.take("%ds" % (n - 1))
    return r.int16(), data


def create_topics_v0_response(frame):
    """(correlation id, {topic: error}) of a CreateTopics v0 response frame."""
    correlation_id, count = struct.unpack(">ii", frame[:8])
    out, at = {}, 8
    for _ in range(count):
        (n,) = struct.unpack(">h", frame[at:at + 2])
        name = frame[at + 2:at + 2 + n].decode()
        (error,) = struct.unpack(">h", frame[at + 2 + n:at + 4 + n])
        out[name] = error
        at += 4 + n
    return correlation_id, out


def api_versions_v0(address):
    """(error, {api key: (min, max)}) as this listener advertises them."""
    r = _request(address, 18, 0, b"", flexible=False)
    error = r.int16()
    keys = {}
    for _ in range(r.int32()):
        key, low, high = r.int16(), r.int16(), r.int16()
        keys[key] = (low, high)
    return error, keys
