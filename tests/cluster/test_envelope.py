"""Envelope (KIP-590) and ApiVersions per listener, with real processes.

A split cluster (controller-only voters on CONTROLLER listeners, broker-only nodes on
PLAINTEXT): the broker listener advertises the broker's APIs (no Vote, no Envelope), the
controller listener the controller's (Vote, BrokerHeartbeat, Envelope, CreateTopics ... but no
Produce or Metadata), and `vltava serve` with no flags (no controller listener) still advertises
everything. Raw Envelope frames: from a plain client on a broker listener (the connection is
closed), to the active controller with a malformed inner request (INVALID_REQUEST) or a principal
it cannot read (PRINCIPAL_DESERIALIZATION_FAILURE), to a voter that does not lead
(NOT_CONTROLLER); a well-formed one is answered with the inner response for the client's
correlation id.

With SASL and ACLs on (Kafka's StandardAuthorizer; the nodes reach each other on the PLAINTEXT
CONTROLLER listener as User:ANONYMOUS, a super user, as Kafka's brokers are): a user with CREATE
on a topic prefix creates a topic through a broker-only node, which forwards it in an Envelope;
the controller authorizes it as that user, so another user, and the same user outside the
prefix, get TOPIC_AUTHORIZATION_FAILED."""

import os
import uuid

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

import kraft
from peer_wire import (api_versions_v0, create_topics_v0_frame, create_topics_v0_response,
                       envelope_v0, principal_data)
from wire import describe_quorum, metadata

WAIT_S = 30
INVALID_REQUEST, NOT_CONTROLLER, PRINCIPAL_DESERIALIZATION_FAILURE = 42, 41, 97
TOPIC_AUTHORIZATION_FAILED = 29
PRODUCE, METADATA, API_VERSIONS, CREATE_TOPICS = 0, 3, 18, 19
VOTE, BEGIN_QUORUM_EPOCH, ENVELOPE, FETCH_SNAPSHOT = 52, 53, 58, 59
BROKER_REGISTRATION, BROKER_HEARTBEAT = 62, 63
CONTROLLER_ONLY = {VOTE, BEGIN_QUORUM_EPOCH, ENVELOPE, FETCH_SNAPSHOT, BROKER_REGISTRATION,
                   BROKER_HEARTBEAT}
LOCALHOST = bytes([127, 0, 0, 1])

USERS = {"admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret"}
JAAS = ("org.apache.kafka.common.security.plain.PlainLoginModule required " +
        " ".join('user_%s="%s"' % kv for kv in USERS.items()) + ";")


def wait_for(what, check, timeout_s=WAIT_S):
    return kraft.wait_for(what, check, timeout_s)


@pytest.fixture
def split(binary, tmp_path):
    kraft.harness.install_teardown()
    c = kraft.KraftCluster(binary, 3, str(tmp_path), brokers=1)
    c.start()
    yield c
    codes = c.stop()
    assert all(code == 0 for code in codes.values()), codes


def active_controller(cluster):
    def leader():
        for n in cluster.nodes:
            if n.is_controller:
                error, leader_id = describe_quorum(n.controller_address)[:2]
                if error == 0 and leader_id == n.id:
                    return n
        return None
    return wait_for("an active controller", leader)


def topic_exists(broker, name):
    return any(t[0] == name and t[1] == 0 for t in metadata(broker.address)[2])


def test_api_versions_per_listener(split):
    broker = split.nodes[-1]
    controller = split.nodes[0]
    error, on_broker = api_versions_v0(broker.address)
    assert error == 0
    assert {PRODUCE, METADATA, API_VERSIONS, CREATE_TOPICS} <= set(on_broker)
    assert not CONTROLLER_ONLY & set(on_broker)
    error, on_controller = api_versions_v0(controller.controller_address)
    assert error == 0
    assert CONTROLLER_ONLY | {API_VERSIONS, CREATE_TOPICS} <= set(on_controller)
    assert PRODUCE not in on_controller and METADATA not in on_controller


def test_envelope_bad_input(split):
    broker = split.nodes[-1]
    active = active_controller(split)
    alice = principal_data("User", "alice")

    # A plain client on a broker listener may not speak for anyone: the connection closes,
    # nothing is created, the broker serves on.
    with pytest.raises(OSError):
        envelope_v0(broker.address, create_topics_v0_frame("from-client"), alice, LOCALHOST)
    assert api_versions_v0(broker.address)[0] == 0

    error, inner = envelope_v0(active.controller_address,
                               create_topics_v0_frame("malformed")[:-3], alice, LOCALHOST)
    assert (error, inner) == (INVALID_REQUEST, None)
    error, inner = envelope_v0(active.controller_address, create_topics_v0_frame("bad-principal"),
                               principal_data("User", "alice", version=9), LOCALHOST)
    assert (error, inner) == (PRINCIPAL_DESERIALIZATION_FAILURE, None)
    error, inner = envelope_v0(active.controller_address, create_topics_v0_frame("bad-host"),
                               alice, b"\x01\x02\x03")
    assert (error, inner) == (INVALID_REQUEST, None)
    for other in split.nodes:
        if other.is_controller and other.id != active.id:
            error, inner = envelope_v0(other.controller_address,
                                       create_topics_v0_frame("elsewhere"), alice, LOCALHOST)
            assert (error, inner) == (NOT_CONTROLLER, None)

    # A well-formed one: the inner response, for the client's correlation id.
    error, inner = envelope_v0(active.controller_address,
                               create_topics_v0_frame("enveloped", correlation_id=4242), alice,
                               LOCALHOST)
    assert error == 0
    assert create_topics_v0_response(inner) == (4242, {"enveloped": 0})
    wait_for("the enveloped topic on the broker", lambda: topic_exists(broker, "enveloped"))
    for name in ("from-client", "malformed", "bad-principal", "bad-host", "elsewhere"):
        assert not topic_exists(broker, name)


def test_single_node_serves_every_api(binary, tmp_path):
    kraft.harness.install_teardown()
    host = "127.0.0.20"
    port = kraft.harness.free_port(host)
    proc = kraft.harness.spawn(
        [binary, "serve", "--set", "log.dir=%s" % os.path.join(str(tmp_path), "data"),
         "--set", "listeners=PLAINTEXT://%s:%d" % (host, port)],
        os.path.join(str(tmp_path), "single.log"))
    try:
        wait_for("the single node", lambda: kraft.harness.answers_api_versions(host, port))
        error, keys = api_versions_v0("%s:%d" % (host, port))
        assert error == 0
        assert {PRODUCE, METADATA, CREATE_TOPICS, VOTE, BROKER_HEARTBEAT} <= set(keys)
        # No node forwards to a single node: an Envelope closes the connection.
        with pytest.raises(OSError):
            envelope_v0("%s:%d" % (host, port), create_topics_v0_frame("x"),
                        principal_data("User", "alice"), LOCALHOST)
    finally:
        kraft.harness.reap(proc)


# ---- ACLs through a broker-only node ---------------------------------------------------------

def sasl(user):
    return {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
            "sasl.username": user, "sasl.password": USERS[user]}


@pytest.fixture
def secured(binary, tmp_path):
    kraft.harness.install_teardown()
    c = kraft.KraftCluster(binary, 1, str(tmp_path), brokers=2, broker_listener="SASL_PLAINTEXT",
                           extra=["sasl.enabled.mechanisms=PLAIN",
                                  "listener.name.sasl_plaintext.plain.sasl.jaas.config=" + JAAS,
                                  "authorizer.class.name="
                                  "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                                  "super.users=User:admin;User:ANONYMOUS"])
    c.start()
    yield c
    codes = c.stop()
    assert all(code == 0 for code in codes.values()), codes


def create_topic_error(broker, user, name):
    """0 when `user` creates `name` through `broker`, else the Kafka error code."""
    admin = AdminClient(dict(sasl(user), **{"bootstrap.servers": broker.address}))
    error = admin.create_topics([NewTopic(name, 1, 1)], operation_timeout=20)[name].exception(30)
    return 0 if error is None else error.args[0].code()


def allow_prefixed_create(broker, principal, prefix):
    from kafka.admin import (ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType,
                             KafkaAdminClient, ResourcePattern, ResourceType)
    admin = KafkaAdminClient(bootstrap_servers=broker.address, security_protocol="SASL_PLAINTEXT",
                             sasl_mechanism="PLAIN", sasl_plain_username="admin",
                             sasl_plain_password=USERS["admin"])
    try:
        acl = ACL(principal=principal, host="*", operation=ACLOperation.CREATE,
                  permission_type=ACLPermissionType.ALLOW,
                  resource_pattern=ResourcePattern(ResourceType.TOPIC, prefix,
                                                   ACLResourcePatternType.PREFIXED))
        result = admin.create_acls([acl])
        assert not result["failed"], result["failed"]
    finally:
        admin.close()


def test_forwarded_create_topics_is_authorized_as_the_client(secured):
    brokers = [n for n in secured.nodes if not n.is_controller]
    prefix = "alice-%s-" % uuid.uuid4().hex[:6]
    # Before any ACL, alice may create nothing (the forwarding broker itself may).
    assert create_topic_error(brokers[0], "alice", prefix + "early") == TOPIC_AUTHORIZATION_FAILED
    allow_prefixed_create(brokers[0], "User:alice", prefix)
    # The ACL reaches every broker's image; alice creates through either broker-only node.
    wait_for("alice's CREATE on her prefix",
             lambda: create_topic_error(brokers[1], "alice", prefix + "one") == 0)
    assert create_topic_error(brokers[0], "alice", prefix + "two") == 0
    assert create_topic_error(brokers[0], "bob", prefix + "bobs") == TOPIC_AUTHORIZATION_FAILED
    assert create_topic_error(brokers[1], "alice", "other-" + prefix) == \
        TOPIC_AUTHORIZATION_FAILED
    assert create_topic_error(brokers[0], "admin", "admins-" + prefix) == 0


