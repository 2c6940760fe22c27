"""AlterClientQuotas (49) and DescribeClientQuotas (48), v1 (flexible), sent by hand: none of
the suite's client libraries has these admin calls (Debian's librdkafka 2.0 / confluent-kafka
1.7, kafka-python 2.0.2, kafkajs 2)."""

import socket
import struct

import harness
from scram_admin import _compact_array, _compact_string, _Reader, _uvarint

NONE, INVALID_REQUEST, UNSUPPORTED_VERSION, CLUSTER_AUTHORIZATION_FAILED = 0, 42, 35, 31
EXACT, DEFAULT, ANY = 0, 1, 2


def _nullable_string(s):
    return _uvarint(0) if s is None else _compact_string(s)


def _call(address, api_key, body, version=1):
    client_id = b"interop-quota"
    header = struct.pack(">hhih", api_key, version, 21, len(client_id)) + client_id + b"\x00"
    frame = header + body
    with socket.create_connection(harness.split_host_port(address), timeout=30) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        cid, data = harness.recv_response(s)
    assert cid == 21
    r = _Reader(data)
    r.tagged()  # response header v1
    return r


def entity(**components):
    """An entity from keyword components (client_id= for client-id); None is the default."""
    return [(k.replace("_", "-"), v) for k, v in components.items()]


def alter(address, entries, validate_only=False):
    """entries: [(entity, {key: value or None to remove})]; returns [(error, message, entity)]."""
    def enc_entry(ent, ops):
        ents = [_compact_string(t) + _nullable_string(n) + b"\x00" for t, n in ent]
        enc_ops = [_compact_string(k) + struct.pack(">d?", 0.0 if v is None else float(v),
                                                    v is None) + b"\x00"
                   for k, v in ops.items()]
        return _compact_array(ents) + _compact_array(enc_ops) + b"\x00"

    body = (_compact_array([enc_entry(e, o) for e, o in entries])
            + struct.pack(">?", validate_only) + b"\x00")
    r = _call(address, 49, body)
    r.take(">i")

    def ent():
        t, n = r.compact_string(), r.compact_string()
        r.tagged()
        return t, n

    def result():
        code, message = r.take(">h"), r.compact_string()
        e = r.compact_array(ent)
        r.tagged()
        return code, message, e

    return r.compact_array(result)


def describe(address, components, strict=False):
    """components: [(type, match type, match)]; returns (error, message, {entity: {key: v}})
    with entities as sorted tuples of (type, name)."""
    comps = [_compact_string(t) + struct.pack(">b", m) + _nullable_string(s) + b"\x00"
             for t, m, s in components]
    r = _call(address, 48, _compact_array(comps) + struct.pack(">?", strict) + b"\x00")
    r.take(">i")
    error, message = r.take(">h"), r.compact_string()

    def ent():
        t, n = r.compact_string(), r.compact_string()
        r.tagged()
        return t, n

    def value():
        k = r.compact_string()
        v = r.take(">d")
        r.tagged()
        return k, v

    def entry():
        e = tuple(sorted(r.compact_array(ent), key=lambda x: x[0]))
        values = dict(r.compact_array(value))
        r.tagged()
        return e, values

    n = r.uvarint() - 1
    entries = None if n < 0 else dict(entry() for _ in range(n))
    return error, message, entries


def set_quota(address, ent, **values):
    got = alter(address, [(ent, values)])
    assert [g[:2] for g in got] == [(NONE, None)], got
