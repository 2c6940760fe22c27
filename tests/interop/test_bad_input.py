"""Bad input over a raw socket. Each time the broker answers with Kafka's error or closes only
that connection, and keeps serving a second, well-behaved client; it never crashes. Frames are
written by hand with struct: they are test inputs, not the broker's codec."""

import socket
import struct
import time

import pytest

import harness

pytestmark = pytest.mark.raw

API_PRODUCE, API_METADATA, API_API_VERSIONS = 0, 3, 18
UNSUPPORTED_VERSION, CORRUPT_MESSAGE, INVALID_RECORD = 35, 2, 87


def connect(broker):
    return socket.create_connection(harness.split_host_port(broker.bootstrap), timeout=10)


def assert_serving(broker):
    """A well-behaved client on a new connection is answered, and the broker still runs."""
    assert broker.alive(), "the broker process died"
    error_code, apis = harness.api_versions(broker.bootstrap)
    assert error_code == 0 and API_API_VERSIONS in apis


def assert_closed(sock, timeout_s=10):
    """The broker closes this connection (EOF or reset), without answering."""
    sock.settimeout(timeout_s)
    try:
        data = sock.recv(65536)
    except ConnectionResetError:
        return
    except socket.timeout:
        raise AssertionError("connection still open %d s after the bad frame" % timeout_s)
    assert data == b"", "expected the connection closed, got %d bytes: %r" % (len(data), data[:64])


def test_negative_frame_size(broker):
    with connect(broker) as s:
        s.sendall(struct.pack(">i", -1) + b"\x00" * 16)
        assert_closed(s)
    assert_serving(broker)


@pytest.mark.parametrize("size", [0x7FFFFFFF, 200 << 20], ids=["int32max", "200MiB"])
def test_huge_frame_size(broker, size):
    # Larger than socket.request.max.bytes (100 MiB): refused before any allocation.
    with connect(broker) as s:
        s.sendall(struct.pack(">i", size) + b"\x00" * 64)
        assert_closed(s)
    assert_serving(broker)


@pytest.mark.parametrize("header", [b"", b"\x00", b"\x00\x12\x00", b"\x00\x12\x00\x00\x00\x00"],
                         ids=["empty", "1byte", "3bytes", "6bytes"])
def test_truncated_header(broker, header):
    # A complete frame whose request header is cut short (a v1 header needs at least 10 bytes).
    with connect(broker) as s:
        s.sendall(struct.pack(">i", len(header)) + header)
        assert_closed(s)
    assert_serving(broker)


def test_unknown_api_key(broker):
    with connect(broker) as s:
        s.sendall(harness.frame(9999, 0, 1))
        assert_closed(s)
    assert_serving(broker)


def test_unsupported_api_versions_version(broker):
    # Kafka answers ApiVersions of a version it does not know with UNSUPPORTED_VERSION in a v0
    # body that lists the ApiVersions versions it has, so the client can retry with one.
    with connect(broker) as s:
        s.sendall(harness.frame(API_API_VERSIONS, 127, 42))
        cid, body = harness.recv_response(s)
        assert cid == 42
        error_code, apis = harness.parse_api_versions_v0(body)
        assert error_code == UNSUPPORTED_VERSION
        assert apis.get(API_API_VERSIONS, (1, -1))[0] == 0
        # The connection stays usable: a proper ApiVersions v0 on it is answered.
        s.sendall(harness.frame(API_API_VERSIONS, 0, 43))
        cid, body = harness.recv_response(s)
        assert cid == 43 and harness.parse_api_versions_v0(body)[0] == 0
    assert_serving(broker)


def test_unsupported_version_other_api(broker):
    # Any other API at a version the broker lacks: Kafka closes the connection.
    with connect(broker) as s:
        s.sendall(harness.frame(API_METADATA, 999, 5, body=b"\x00\x00\x00\x00"))
        assert_closed(s)
    assert_serving(broker)


# ---- Produce with a bad record batch --------------------------------------------------------

def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def record_batch(records_blob, record_count=1, crc=None):
    """A magic-2 batch header around `records_blob`; the CRC is right unless `crc` is given."""
    now = int(time.time() * 1000)
    after_crc = struct.pack(">hiqqqhii", 0, record_count - 1, now, now, -1, -1, -1,
                            record_count) + records_blob
    if crc is None:
        crc = crc32c(after_crc)
    body = struct.pack(">ibI", -1, 2, crc) + after_crc  # leader epoch, magic, crc
    return struct.pack(">qi", 0, len(body)) + body  # base offset, batch length


def produce_request(topic, records, version):
    """Produce v3-v8 (the non-flexible versions): transactional id, acks, timeout, topics."""
    name = topic.encode()
    body = struct.pack(">hhi", -1, 1, 10000)  # null transactional id, acks=1, timeout
    body += struct.pack(">ih", 1, len(name)) + name
    body += struct.pack(">iii", 1, 0, len(records)) + records  # one partition: 0
    return body


def produce_partition_error(broker, topic, records):
    _, apis = harness.api_versions(broker.bootstrap)
    lo, hi = apis[API_PRODUCE]
    version = min(hi, 8)
    assert version >= max(lo, 3), "broker Produce versions %d-%d" % (lo, hi)
    with connect(broker) as s:
        s.sendall(harness.frame(API_PRODUCE, version, 77, produce_request(topic, records, version)))
        cid, body = harness.recv_response(s)
    assert cid == 77
    (topics,) = struct.unpack(">i", body[:4])
    (name_len,) = struct.unpack(">h", body[4:6])
    assert topics == 1 and body[6:6 + name_len] == topic.encode()
    partitions, index, error_code = struct.unpack(">iih", body[6 + name_len:16 + name_len])
    assert partitions == 1 and index == 0
    return error_code


@pytest.fixture
def produce_topic(broker, topic_name):
    broker.create_topic(topic_name, 1)
    return topic_name


def test_produce_batch_with_bad_crc(broker, produce_topic):
    batch = record_batch(b"\x10\x00\x00\x00\x02a\x02b\x00", crc=0xDEADBEEF)
    assert produce_partition_error(broker, produce_topic, batch) == CORRUPT_MESSAGE
    assert_serving(broker)


def test_produce_garbage_records_with_good_crc(broker, produce_topic):
    # The CRC matches, but the one record inside claims more bytes than there are.
    batch = record_batch(b"\x7e\x00\xff\xff\xff\xff\x0f\x01\x02\x03")
    error_code = produce_partition_error(broker, produce_topic, batch)
    assert error_code in (CORRUPT_MESSAGE, INVALID_RECORD)
    assert_serving(broker)


def test_produce_random_garbage(broker, produce_topic):
    garbage = bytes((i * 131 + 7) % 251 for i in range(300))
    assert produce_partition_error(broker, produce_topic, garbage) in (CORRUPT_MESSAGE,
                                                                       INVALID_RECORD)
    assert_serving(broker)


def test_slow_client_one_byte_per_second(broker):
    # A complete ApiVersions v0 request, sent one byte a second (14 s); meanwhile others are
    # served, and at the end the slow client gets its answer too.
    request = harness.frame(API_API_VERSIONS, 0, 99, client_id=b"")
    with connect(broker) as s:
        for i, byte in enumerate(request):
            s.sendall(bytes([byte]))
            if i % 4 == 0:
                assert_serving(broker)
            time.sleep(1)
        s.settimeout(10)
        cid, body = harness.recv_response(s)
        assert cid == 99 and harness.parse_api_versions_v0(body)[0] == 0
    assert_serving(broker)
