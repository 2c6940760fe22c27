"""SSL listeners (issue 18): kcat, confluent-kafka-python, kafka-python and kafkajs produce and
consume over TLS; mTLS required and requested; the certificate subject mapped to a principal
by ssl.principal.mapping.rules; TLSv1.3 only; an encrypted key and inline PEM; and bad input
(garbage instead of a handshake, a handshake abandoned half way, a certificate of another CA):
that connection closes, everyone else is served. Certificates are made by openssl per run."""

import socket
import ssl
import time

import pytest

import harness
import secure

pytestmark = pytest.mark.process

CLIENTS = ["kcat", "confluent", "kafka_python", "kafkajs"]
LISTENERS = {"SSL": "SSL", "MTLS": "SSL", "REQ": "SSL", "MAPPED": "SSL", "V13": "SSL",
             "INLINE": "SSL"}


@pytest.fixture(scope="module")
def pki():
    p = secure.Pki()
    p.alice = p.issue("alice", "/O=acme/CN=alice")
    p.mallory = p.issue("mallory", "/O=evil/CN=mallory")
    p.stranger = p.issue("stranger", "/O=acme/CN=stranger", ca=p.other_ca)
    yield p
    p.cleanup()


def one_line(text):
    return " ".join(text.split("\n"))


@pytest.fixture(scope="module")
def tls_broker(pki):
    password = "key-secret"
    sets = ["ssl.keystore.type=PEM", "ssl.truststore.type=PEM",
            "ssl.keystore.location=" + pki.keystore, "ssl.truststore.location=" + pki.ca[0],
            "listener.name.mtls.ssl.client.auth=required",
            "listener.name.req.ssl.client.auth=requested",
            "listener.name.mapped.ssl.client.auth=required",
            "listener.name.mapped.ssl.principal.mapping.rules=RULE:^CN=(.*?),O=acme$/$1/L",
            "listener.name.v13.ssl.enabled.protocols=TLSv1.3",
            # KIP-651's inline PEM, on one line as a .properties value may hold it, and an
            # encrypted key.
            "listener.name.inline.ssl.keystore.location=",
            "listener.name.inline.ssl.keystore.certificate.chain=" + one_line(
                pki.read(pki.broker[0])),
            "listener.name.inline.ssl.keystore.key=" + one_line(
                pki.read(pki.encrypted_key(pki.broker[1], password))),
            "listener.name.inline.ssl.key.password=" + password]
    b = secure.SecureBroker(LISTENERS, sets)
    yield b
    b.stop()


def ssl_settings(pki, cert=None):
    s = {"security.protocol": "SSL", "ssl.ca.location": pki.ca[0]}
    if cert:
        s.update({"ssl.certificate.location": cert[0], "ssl.key.location": cert[1]})
    return s


@pytest.mark.parametrize("client", CLIENTS)
def test_produce_and_consume_over_ssl(tls_broker, pki, topic_name, client):
    if client == "kafkajs" and secure.kafkajs_missing():
        pytest.skip(secure.kafkajs_missing())
    tls_broker.create_topic(topic_name, 1)
    n = 2000
    got = secure.produce_consume(client, tls_broker.address("SSL"), topic_name, n,
                                 ssl_settings(pki))
    assert got == [secure.value(i) for i in range(n)]


@pytest.mark.parametrize("client", ["kcat", "confluent", "kafka_python"])
def test_mtls_required_with_a_client_certificate(tls_broker, pki, topic_name, client):
    tls_broker.create_topic(topic_name, 1)
    got = secure.produce_consume(client, tls_broker.address("MTLS"), topic_name, 300,
                                 ssl_settings(pki, pki.alice))
    assert len(got) == 300


def test_large_fetches_over_tls_carry_file_ranges_intact(tls_broker, pki, topic_name):
    """Fetch responses are file ranges (sendfile on plaintext): under TLS they are read into
    buffers; 20 MB read back over SSL and over PLAINTEXT must be identical."""
    import confluent_kafka as ck

    tls_broker.create_topic(topic_name, 1)
    p = ck.Producer({"bootstrap.servers": tls_broker.bootstrap, "linger.ms": 20})
    payloads = [bytes([i % 251]) * 1000 + str(i).encode() for i in range(20_000)]
    for v in payloads:
        while True:
            try:
                p.produce(topic_name, v)
                break
            except BufferError:
                p.poll(0.05)
    assert p.flush(60) == 0
    c = ck.Consumer(dict(ssl_settings(pki), **{
        "bootstrap.servers": tls_broker.address("SSL"), "group.id": "big",
        "fetch.max.bytes": 8 << 20, "max.partition.fetch.bytes": 4 << 20}))
    c.assign([ck.TopicPartition(topic_name, 0, ck.OFFSET_BEGINNING)])
    got = []
    deadline = time.time() + 120
    while len(got) < len(payloads) and time.time() < deadline:
        for m in c.consume(num_messages=5000, timeout=0.5):
            assert not m.error(), m.error()
            got.append(m.value())
    c.close()
    assert got == payloads


def test_mtls_required_refuses_no_certificate_and_another_ca(tls_broker, pki):
    address = tls_broker.address("MTLS")
    assert secure.refused(address, secure.tls_context(pki))
    assert secure.refused(address, secure.tls_context(pki, pki.stranger))
    assert secure.tls_api_versions(address, secure.tls_context(pki, pki.alice)) == 0


def test_mtls_requested_takes_no_certificate_but_refuses_another_ca(tls_broker, pki):
    address = tls_broker.address("REQ")
    assert secure.tls_api_versions(address, secure.tls_context(pki)) == 0
    assert secure.tls_api_versions(address, secure.tls_context(pki, pki.alice)) == 0
    assert secure.refused(address, secure.tls_context(pki, pki.stranger))


def test_principal_mapping_rules_apply_to_the_certificate_subject(tls_broker, pki):
    """MAPPED maps CN=<name>,O=acme and nothing else: mallory's certificate (same CA, O=evil)
    has no principal, so its connection is refused."""
    address = tls_broker.address("MAPPED")
    assert secure.tls_api_versions(address, secure.tls_context(pki, pki.alice)) == 0
    assert secure.refused(address, secure.tls_context(pki, pki.mallory))


def test_enabled_protocols(tls_broker, pki):
    address = tls_broker.address("V13")
    assert secure.tls_api_versions(address, secure.tls_context(pki)) == 0
    assert secure.refused(address,
                          secure.tls_context(pki, max_version=ssl.TLSVersion.TLSv1_2))
    # The default listener takes TLSv1.2 too.
    assert secure.tls_api_versions(
        tls_broker.address("SSL"), secure.tls_context(pki, max_version=ssl.TLSVersion.TLSv1_2)) == 0


def test_inline_pem_and_encrypted_key(tls_broker, pki):
    assert secure.tls_api_versions(tls_broker.address("INLINE"), secure.tls_context(pki)) == 0


def test_garbage_instead_of_a_handshake_closes_that_connection(tls_broker, pki):
    host, port = harness.split_host_port(tls_broker.address("SSL"))
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(harness.frame(18, 0, 1) + b"\x00" * 500)  # a plaintext Kafka request
        assert secure.closed_within(s, 5) is not None
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(bytes(range(256)) * 8)
        assert secure.closed_within(s, 5) is not None
    assert secure.tls_api_versions(tls_broker.address("SSL"), secure.tls_context(pki)) == 0
    assert tls_broker.alive()


def test_a_handshake_abandoned_half_way_times_out(tls_broker, pki):
    """A TLS record header promising a ClientHello that never comes: closed by the 10 s
    handshake deadline, while other clients are served meanwhile."""
    host, port = harness.split_host_port(tls_broker.address("SSL"))
    silent = socket.create_connection((host, port), timeout=5)
    half = socket.create_connection((host, port), timeout=5)
    try:
        half.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
        for _ in range(3):
            assert secure.tls_api_versions(tls_broker.address("SSL"), secure.tls_context(pki)) == 0
        took = secure.closed_within(half, 20)
        assert took is not None and took < 15, took
        assert secure.closed_within(silent, 5) is not None
    finally:
        silent.close()
        half.close()
    assert tls_broker.alive()


def test_plaintext_listener_still_serves_beside_ssl(tls_broker):
    assert harness.api_versions(tls_broker.bootstrap)[0] == 0
