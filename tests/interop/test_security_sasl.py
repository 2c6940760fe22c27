"""SASL (issue 18) on SASL_PLAINTEXT and SASL_SSL listeners: kcat, confluent-kafka-python,
kafka-python (bare tokens after SaslHandshake v0) and kafkajs produce and consume with PLAIN,
SCRAM-SHA-256 and SCRAM-SHA-512; a wrong password, an unknown user and a mechanism the
listener does not enable are refused with Kafka's errors; frames out of order or oversized,
an exchange abandoned half way and a thousand failed logins in a row close those connections
and nothing else. The SCRAM users are created through AlterUserScramCredentials on the
broker's PLAINTEXT listener (scram_admin.py), so they live in its metadata log."""

import socket
import struct
import time

import pytest

import harness
import scram_admin
import secure

pytestmark = pytest.mark.process

CLIENTS = ["kcat", "confluent", "kafka_python", "kafkajs"]
MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
USERS = {"PLAIN": ("alice", "alice-secret"), "SCRAM-SHA-256": ("bob", "bob-secret"),
         "SCRAM-SHA-512": ("carol", "carol-secret")}
PLAIN_JAAS = ('org.apache.kafka.common.security.plain.PlainLoginModule required '
              'user_alice="alice-secret" user_dave="dave-secret";')
LISTENERS = {"SASL_PLAINTEXT": "SASL_PLAINTEXT", "SASL_SSL": "SASL_SSL",
             "PLAINONLY": "SASL_PLAINTEXT"}

HANDSHAKE, AUTHENTICATE, METADATA = 17, 36, 3
UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE, SASL_AUTHENTICATION_FAILED = 33, 34, 58


@pytest.fixture(scope="module")
def pki():
    p = secure.Pki()
    yield p
    p.cleanup()


@pytest.fixture(scope="module")
def sasl_broker(pki):
    sets = ["sasl.enabled.mechanisms=" + ",".join(MECHANISMS),
            "listener.name.plainonly.sasl.enabled.mechanisms=PLAIN",
            "ssl.keystore.type=PEM",
            "ssl.keystore.location=" + pki.keystore]
    for listener in LISTENERS:
        sets.append("listener.name.%s.plain.sasl.jaas.config=%s" % (listener.lower(), PLAIN_JAAS))
    b = secure.SecureBroker(LISTENERS, sets)
    for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
        user, password = USERS[mechanism]
        scram_admin.set_password(b.bootstrap, user, mechanism, password)
    yield b
    b.stop()


def settings(pki, protocol, mechanism, user=None, password=None):
    u, p = USERS[mechanism]
    s = {"security.protocol": protocol, "sasl.mechanism": mechanism,
         "sasl.username": user or u, "sasl.password": password or p}
    if protocol == "SASL_SSL":
        s["ssl.ca.location"] = pki.ca[0]
    return s


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "SASL_SSL"])
@pytest.mark.parametrize("client", CLIENTS)
def test_produce_and_consume(sasl_broker, pki, topic_name, client, protocol, mechanism):
    if client == "kafkajs" and secure.kafkajs_missing():
        pytest.skip(secure.kafkajs_missing())
    sasl_broker.create_topic(topic_name, 1)
    n = 300
    got = secure.produce_consume(client, sasl_broker.address(protocol), topic_name, n,
                                 settings(pki, protocol, mechanism))
    assert got == [secure.value(i) for i in range(n)]


# ---- clients refused ----------------------------------------------------------------------------

def confluent_refused(address, conf):
    """The error confluent-kafka reports for a metadata request with `conf` (None: served)."""
    import confluent_kafka as ck
    from confluent_kafka.admin import AdminClient

    errors = []
    admin = AdminClient(dict(conf, **{"bootstrap.servers": address,
                                      "error_cb": lambda e: errors.append(e)}))
    try:
        admin.list_topics(timeout=5)
        return None
    except ck.KafkaException as e:
        admin.poll(1)  # delivers the authentication error to error_cb
        return " ".join(str(x) for x in errors) or str(e)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_wrong_password_and_unknown_user_with_librdkafka(sasl_broker, pki, mechanism):
    address = sasl_broker.address("SASL_PLAINTEXT")
    good = settings(pki, "SASL_PLAINTEXT", mechanism)
    assert confluent_refused(address, good) is None
    wrong = confluent_refused(address, dict(good, **{"sasl.password": "nope"}))
    assert wrong and "Authentication" in wrong, wrong
    unknown = confluent_refused(address, dict(good, **{"sasl.username": "mallory"}))
    assert unknown and "Authentication" in unknown, unknown


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_wrong_password_with_kafka_python(sasl_broker, pki, mechanism):
    import kafka
    import kafka.errors

    conf = secure._kafka_python_conf(settings(pki, "SASL_PLAINTEXT", mechanism,
                                              password="nope"))
    with pytest.raises(kafka.errors.KafkaError):
        kafka.KafkaProducer(bootstrap_servers=sasl_broker.address("SASL_PLAINTEXT"),
                            request_timeout_ms=5000, max_block_ms=5000, **conf).send(
            "x", b"x").get(5)


def test_mechanism_not_enabled_on_the_listener(sasl_broker, pki):
    address = sasl_broker.address("PLAINONLY")
    assert confluent_refused(address, settings(pki, "SASL_PLAINTEXT", "PLAIN")) is None
    refused = confluent_refused(address, settings(pki, "SASL_PLAINTEXT", "SCRAM-SHA-256"))
    assert refused and "SCRAM-SHA-256" in refused, refused


# ---- raw frames ----------------------------------------------------------------------------------

def string(s):
    return struct.pack(">h", len(s)) + s.encode()


def connect(broker, listener="SASL_PLAINTEXT"):
    return socket.create_connection(harness.split_host_port(broker.address(listener)), timeout=10)


def handshake(s, mechanism, version=1):
    s.sendall(harness.frame(HANDSHAKE, version, 1, string(mechanism)))
    cid, body = harness.recv_response(s)
    (error,) = struct.unpack(">h", body[:2])
    (count,) = struct.unpack(">i", body[2:6])
    mechanisms, at = [], 6
    for _ in range(count):
        (n,) = struct.unpack(">h", body[at:at + 2])
        mechanisms.append(body[at + 2:at + 2 + n].decode())
        at += 2 + n
    return error, mechanisms


def authenticate(s, token, version=1):
    s.sendall(harness.frame(AUTHENTICATE, version, 2, struct.pack(">i", len(token)) + token))
    cid, body = harness.recv_response(s)
    (error, n) = struct.unpack(">hh", body[:4])
    message = body[4:4 + n].decode() if n >= 0 else None
    return error, message


def is_closed(s, timeout_s=5):
    return secure.closed_within(s, timeout_s) is not None


def test_kafka_errors_over_the_wire(sasl_broker):
    with connect(sasl_broker, "PLAINONLY") as s:
        error, mechanisms = handshake(s, "SCRAM-SHA-256")
        assert (error, mechanisms) == (UNSUPPORTED_SASL_MECHANISM, ["PLAIN"])
        assert is_closed(s)
    with connect(sasl_broker) as s:
        assert handshake(s, "PLAIN") == (0, MECHANISMS)
        error, message = authenticate(s, b"\0alice\0wrong")
        assert error == SASL_AUTHENTICATION_FAILED and "Invalid username or password" in message
        assert is_closed(s)
    with connect(sasl_broker) as s:
        assert handshake(s, "PLAIN")[0] == 0
        assert authenticate(s, b"\0nobody\0alice-secret")[0] == SASL_AUTHENTICATION_FAILED
        assert is_closed(s)
    with connect(sasl_broker) as s:
        assert handshake(s, "PLAIN")[0] == 0
        assert authenticate(s, b"\0dave\0dave-secret")[0] == 0
        s.sendall(harness.frame(METADATA, 0, 3, struct.pack(">i", 0)))
        assert harness.recv_response(s)[0] == 3  # served once authenticated
        # The exchange is over: a second one is out of place, but nothing to close for.
        assert handshake(s, "PLAIN")[0] == ILLEGAL_SASL_STATE


def test_frames_out_of_order_close_the_connection(sasl_broker):
    with connect(sasl_broker) as s:  # a request before authentication
        s.sendall(harness.frame(METADATA, 0, 1, struct.pack(">i", 0)))
        assert is_closed(s)
    with connect(sasl_broker) as s:  # SaslAuthenticate before SaslHandshake
        assert authenticate(s, b"\0alice\0alice-secret")[0] == ILLEGAL_SASL_STATE
        assert is_closed(s)
    with connect(sasl_broker) as s:  # two handshakes
        assert handshake(s, "PLAIN")[0] == 0
        assert handshake(s, "PLAIN")[0] == ILLEGAL_SASL_STATE
        assert is_closed(s)
    with connect(sasl_broker) as s:  # ApiVersions is allowed before
        s.sendall(harness.frame(18, 0, 5))
        assert harness.recv_response(s)[0] == 5


def test_oversized_frames_before_authentication_close_the_connection(sasl_broker):
    with connect(sasl_broker) as s:
        s.sendall(struct.pack(">i", 524288 + 1) + b"\0" * 1024)
        assert is_closed(s)
    with connect(sasl_broker) as s:  # bare tokens after SaslHandshake v0 likewise
        assert handshake(s, "PLAIN", version=0)[0] == 0
        s.sendall(struct.pack(">i", 10 << 20))
        assert is_closed(s)


def test_bare_tokens_after_handshake_v0(sasl_broker):
    with connect(sasl_broker) as s:
        assert handshake(s, "PLAIN", version=0)[0] == 0
        s.sendall(secure.frame_size(b"\0alice\0alice-secret"))
        assert harness.recv_exact(s, 4) == b"\0\0\0\0"
        s.sendall(harness.frame(18, 0, 9))
        assert harness.recv_response(s)[0] == 9
    with connect(sasl_broker) as s:
        assert handshake(s, "PLAIN", version=0)[0] == 0
        s.sendall(secure.frame_size(b"\0alice\0wrong"))
        assert is_closed(s)


def test_an_exchange_abandoned_half_way_is_closed_by_the_deadline(sasl_broker, pki):
    with connect(sasl_broker) as s:
        assert handshake(s, "SCRAM-SHA-256")[0] == 0
        start = time.time()
        took = secure.closed_within(s, 20)
        assert took is not None and time.time() - start < 15
    assert confluent_refused(sasl_broker.address("SASL_PLAINTEXT"),
                             settings(pki, "SASL_PLAINTEXT", "PLAIN")) is None


def test_a_thousand_failed_logins_then_a_good_one(sasl_broker, pki):
    for i in range(1000):
        with connect(sasl_broker) as s:
            s.sendall(harness.frame(HANDSHAKE, 1, 1, string("PLAIN")) + harness.frame(
                AUTHENTICATE, 1, 2, struct.pack(">i", 12) + b"\0alice\0wrong"))
            assert is_closed(s)
    assert sasl_broker.alive()
    assert confluent_refused(sasl_broker.address("SASL_PLAINTEXT"),
                             settings(pki, "SASL_PLAINTEXT", "PLAIN")) is None
