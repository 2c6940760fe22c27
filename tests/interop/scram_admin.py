"""AlterUserScramCredentials (51) and DescribeUserScramCredentials (50), v0 (flexible), sent by
hand: none of the suite's client libraries has these admin calls (Debian's librdkafka 2.0,
confluent-kafka 1.7, kafka-python 2.0, kafkajs 2). The client salts the password itself
(RFC 5802's Hi = PBKDF2-HMAC), as Kafka's admin client does; the broker derives the keys."""

import hashlib
import os
import socket
import struct

import harness

MECHANISMS = {"SCRAM-SHA-256": (1, "sha256"), "SCRAM-SHA-512": (2, "sha512")}
NONE, RESOURCE_NOT_FOUND, DUPLICATE_RESOURCE, UNACCEPTABLE_CREDENTIAL = 0, 91, 92, 93
UNSUPPORTED_SASL_MECHANISM, CLUSTER_AUTHORIZATION_FAILED = 33, 31


def _uvarint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def _compact_bytes(b):
    return _uvarint(len(b) + 1) + b


def _compact_string(s):
    return _compact_bytes(s.encode())


def _compact_array(items):
    return _uvarint(len(items) + 1) + b"".join(items)


class _Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def uvarint(self):
        shift = value = 0
        while True:
            b = self.data[self.pos]
            self.pos += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def compact_string(self):
        n = self.uvarint() - 1
        if n < 0:
            return None
        self.pos += n
        return self.data[self.pos - n:self.pos].decode()

    def tagged(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.pos += self.uvarint()

    def compact_array(self, element):
        return [element() for _ in range(self.uvarint() - 1)]


def _call(address, api_key, body):
    """One flexible v0 request (header v2) on a new PLAINTEXT connection; the response body."""
    client_id = b"interop"
    header = struct.pack(">hhih", api_key, 0, 11, len(client_id)) + client_id + b"\x00"
    frame = header + body
    with socket.create_connection(harness.split_host_port(address), timeout=30) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        cid, data = harness.recv_response(s)
    assert cid == 11
    r = _Reader(data)
    r.tagged()  # response header v1
    return r


def salted_password(mechanism, password, salt, iterations):
    return hashlib.pbkdf2_hmac(MECHANISMS[mechanism][1], password.encode(), salt, iterations)


def upsertion(user, mechanism, password, iterations=4096, salt=None):
    salt = salt or os.urandom(32)
    mtype = MECHANISMS[mechanism][0] if mechanism in MECHANISMS else mechanism
    digest = MECHANISMS[mechanism][1] if mechanism in MECHANISMS else "sha256"
    salted = hashlib.pbkdf2_hmac(digest, password.encode(), salt, max(iterations, 1))
    return (_compact_string(user) + struct.pack(">bi", mtype, iterations) + _compact_bytes(salt)
            + _compact_bytes(salted) + b"\x00")


def deletion(user, mechanism):
    mtype = MECHANISMS[mechanism][0] if mechanism in MECHANISMS else mechanism
    return _compact_string(user) + struct.pack(">b", mtype) + b"\x00"


def alter(address, deletions=(), upsertions=()):
    """{user: (error code, message)} of AlterUserScramCredentials."""
    body = _compact_array(list(deletions)) + _compact_array(list(upsertions)) + b"\x00"
    r = _call(address, 51, body)
    r.take(">i")  # throttle

    def result():
        user, code, message = r.compact_string(), r.take(">h"), r.compact_string()
        r.tagged()
        return user, (code, message)

    return dict(r.compact_array(result))


def set_password(address, user, mechanism, password, iterations=4096):
    got = alter(address, upsertions=[upsertion(user, mechanism, password, iterations)])
    assert got == {user: (NONE, None)}, got


def delete(address, user, mechanism):
    got = alter(address, deletions=[deletion(user, mechanism)])
    assert got == {user: (NONE, None)}, got


def describe(address, users=None):
    """(top-level error, {user: (error, [(mechanism type, iterations)])})."""
    if users is None:
        body = b"\x00\x00"  # null array, no tags
    else:
        body = _compact_array([_compact_string(u) + b"\x00" for u in users]) + b"\x00"
    r = _call(address, 50, body)
    r.take(">i")
    error = r.take(">h")
    r.compact_string()

    def info():
        m, it = r.take(">b"), r.take(">i")
        r.tagged()
        return m, it

    def result():
        user, code = r.compact_string(), r.take(">h")
        r.compact_string()
        infos = r.compact_array(info)
        r.tagged()
        return user, (code, infos)

    return error, dict(r.compact_array(result))
