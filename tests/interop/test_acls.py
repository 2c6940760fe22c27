"""ACL authorization (issue 18), Kafka's StandardAuthorizer: ACLs are created, described and
deleted as a super user with two client implementations (kafka-python's KafkaAdminClient and
`vltava acl`, which is librdkafka's CreateAcls/DescribeAcls/DeleteAcls; Debian's
confluent-kafka-python 1.7 has no ACL calls), then enforced on SASL PLAIN users with
confluent-kafka (librdkafka) producers and consumers: produce needs WRITE
(TOPIC_AUTHORIZATION_FAILED until an ALLOW), DENY wins over ALLOW, PREFIXED patterns, consuming
in a group needs READ on the group, super users bypass every ACL, Metadata hides the topics a
user may not describe, and a broker without an authorizer answers SECURITY_DISABLED.

The harness's PLAINTEXT listener (readiness, topic creation) connects as User:ANONYMOUS, which
is made a super user here so that it keeps acting as the operator; every check goes through
the SASL listener."""

import json
import os
import subprocess
import time
import uuid

import pytest

import harness
import secure

pytestmark = pytest.mark.process

TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED = 29, 30
CLUSTER_AUTHORIZATION_FAILED, SECURITY_DISABLED = 31, 54
TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53
USERS = {"admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret",
         "carol": "carol-secret"}
JAAS = ("org.apache.kafka.common.security.plain.PlainLoginModule required " +
        " ".join('user_%s="%s"' % kv for kv in USERS.items()) + ";")
ADMINS = ["kafka_python", "vltava_cli"]


@pytest.fixture(scope="module")
def acl_broker():
    b = secure.SecureBroker({"SASL_PLAINTEXT": "SASL_PLAINTEXT"}, [
        "sasl.enabled.mechanisms=PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config=" + JAAS,
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users=User:admin;User:ANONYMOUS"])
    yield b
    b.stop()


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def sasl(user):
    return {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
            "sasl.username": user, "sasl.password": USERS[user]}


# ---- the two ACL admin clients ------------------------------------------------------------------

class KafkaPythonAdmin:
    def __init__(self, address, user):
        from kafka.admin import KafkaAdminClient

        self.admin = KafkaAdminClient(
            bootstrap_servers=address, security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="PLAIN", sasl_plain_username=user, sasl_plain_password=USERS[user])

    def close(self):
        self.admin.close()

    @staticmethod
    def _pattern(kind):
        from kafka.admin import ACLResourcePatternType
        return {"literal": ACLResourcePatternType.LITERAL,
                "prefixed": ACLResourcePatternType.PREFIXED,
                "any": ACLResourcePatternType.ANY,
                "match": ACLResourcePatternType.MATCH}[kind]

    def create(self, resource, name, principal, operation, permission, pattern="literal"):
        """None when created, else the Kafka error code."""
        from kafka.admin import (ACL, ACLOperation, ACLPermissionType, ResourcePattern,
                                 ResourceType)
        acl = ACL(principal=principal, host="*", operation=getattr(ACLOperation, operation),
                  permission_type=getattr(ACLPermissionType, permission),
                  resource_pattern=ResourcePattern(getattr(ResourceType, resource), name,
                                                   self._pattern(pattern)))
        result = self.admin.create_acls([acl])
        if result["failed"]:
            return result["failed"][0][1].errno
        assert len(result["succeeded"]) == 1
        return None

    def _filter(self, resource, name, principal, pattern):
        from kafka.admin import (ACLFilter, ACLOperation, ACLPermissionType,
                                 ResourcePatternFilter, ResourceType)
        return ACLFilter(principal=principal, host=None, operation=ACLOperation.ANY,
                         permission_type=ACLPermissionType.ANY,
                         resource_pattern=ResourcePatternFilter(
                             getattr(ResourceType, resource), name, self._pattern(pattern)))

    @staticmethod
    def _row(acl):
        p = acl.resource_pattern
        return (p.resource_type.name, p.resource_name, p.pattern_type.name, acl.principal,
                acl.host, acl.operation.name, acl.permission_type.name)

    def describe(self, resource, name=None, principal=None, pattern="any"):
        acls, error = self.admin.describe_acls(self._filter(resource, name, principal, pattern))
        assert error.errno == 0, error
        return sorted(self._row(a) for a in acls)

    def delete(self, resource, name=None, principal=None, pattern="any"):
        results = self.admin.delete_acls([self._filter(resource, name, principal, pattern)])
        (_, matched, error), = results
        assert error.errno == 0, error
        return sorted(self._row(a) for a, _ in matched)


class CliAdmin:
    """`vltava acl` (librdkafka 2.0's ACL admin calls)."""

    def __init__(self, address, user):
        self.address = address
        self.user = user

    def close(self):
        pass

    def _run(self, *args):
        cmd = [os.environ["VLTAVA_BIN"], "acl"] + list(args) + [
            "-b", self.address, "--timeout-ms", "15000"]
        for k, v in sasl(self.user).items():
            cmd += ["-X", "%s=%s" % (k, v)]
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)

    @staticmethod
    def _resource(resource, name):
        return ["--cluster"] if resource == "CLUSTER" else ["--" + resource.lower(), name]

    def create(self, resource, name, principal, operation, permission, pattern="literal"):
        p = self._run("create", *self._resource(resource, name), "--principal", principal,
                      "--operation", operation, "--" + permission.lower(),
                      "--resource-pattern-type", pattern)
        if p.returncode == 0:
            return None
        for code, text in [(CLUSTER_AUTHORIZATION_FAILED, "authoriz"),
                           (SECURITY_DISABLED, "security")]:
            if text in p.stderr.lower():
                return code
        raise AssertionError("vltava acl create: %s" % p.stderr)

    def _rows(self, p):
        assert p.returncode == 0, p.stderr
        return sorted(tuple(r[k] for k in ("resource_type", "name", "pattern_type", "principal",
                                           "host", "operation", "permission"))
                      for r in json.loads(p.stdout))

    def _filter(self, resource, name, principal, pattern):
        args = self._resource(resource, name) if name or resource == "CLUSTER" else []
        if principal:
            args += ["--principal", principal]
        return args + ["--resource-pattern-type", pattern, "--json"]

    def describe(self, resource, name=None, principal=None, pattern="any"):
        return self._rows(self._run("list", *self._filter(resource, name, principal, pattern)))

    def delete(self, resource, name=None, principal=None, pattern="any"):
        return self._rows(self._run("delete", *self._filter(resource, name, principal, pattern)))


def admin_client(kind, address, user="admin"):
    return (KafkaPythonAdmin if kind == "kafka_python" else CliAdmin)(address, user)


@pytest.fixture(params=ADMINS)
def admin(request, acl_broker):
    a = admin_client(request.param, acl_broker.address("SASL_PLAINTEXT"))
    yield a
    a.close()


# ---- data-path helpers (confluent-kafka, i.e. librdkafka) ---------------------------------------

def produce_error(broker, user, topic):
    """The error code of producing one record as `user` (0: delivered)."""
    import confluent_kafka as ck

    p = ck.Producer(dict(sasl(user), **{"bootstrap.servers": broker.address("SASL_PLAINTEXT"),
                                        "message.timeout.ms": 15000}))
    got = []
    p.produce(topic, b"v", on_delivery=lambda err, msg: got.append(err))
    p.flush(30)
    assert got, "no delivery report"
    return got[0].code() if got[0] is not None else 0


def consume_error(broker, user, topic, group, timeout_s=20):
    """Subscribes as `user` in `group`: 0 once a record arrives, else the first error code."""
    import confluent_kafka as ck

    c = ck.Consumer(dict(sasl(user), **{"bootstrap.servers": broker.address("SASL_PLAINTEXT"),
                                        "group.id": group, "auto.offset.reset": "earliest"}))
    c.subscribe([topic])
    deadline = time.time() + timeout_s
    try:
        while time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == ck.KafkaError._PARTITION_EOF:
                    continue
                return m.error().code()
            return 0
        return None
    finally:
        c.close()


def visible_topics(broker, user):
    import confluent_kafka.admin as cka

    a = cka.AdminClient(dict(sasl(user), **{"bootstrap.servers":
                                            broker.address("SASL_PLAINTEXT")}))
    return set(a.list_topics(timeout=15).topics)


# ---- the ACL APIs -------------------------------------------------------------------------------

def test_create_describe_delete(admin, acl_broker):
    topic = unique("acl-api")
    assert admin.create("TOPIC", topic, "User:alice", "WRITE", "ALLOW") is None
    assert admin.create("TOPIC", topic, "User:bob", "READ", "DENY") is None
    assert admin.create("TOPIC", topic[:8], "User:alice", "DESCRIBE", "ALLOW",
                        pattern="prefixed") is None
    # Equal to an existing binding: accepted, not doubled.
    assert admin.create("TOPIC", topic, "User:alice", "WRITE", "ALLOW") is None

    exact = admin.describe("TOPIC", topic, pattern="literal")
    assert exact == sorted([
        ("TOPIC", topic, "LITERAL", "User:alice", "*", "WRITE", "ALLOW"),
        ("TOPIC", topic, "LITERAL", "User:bob", "*", "READ", "DENY")])
    matching = admin.describe("TOPIC", topic, pattern="match")
    assert ("TOPIC", topic[:8], "PREFIXED", "User:alice", "*", "DESCRIBE", "ALLOW") in matching
    assert len(matching) >= 3
    assert admin.describe("TOPIC", topic, principal="User:bob", pattern="literal") == [
        ("TOPIC", topic, "LITERAL", "User:bob", "*", "READ", "DENY")]

    deleted = admin.delete("TOPIC", topic, principal="User:alice", pattern="literal")
    assert deleted == [("TOPIC", topic, "LITERAL", "User:alice", "*", "WRITE", "ALLOW")]
    assert admin.delete("TOPIC", topic, pattern="any") == [
        ("TOPIC", topic, "LITERAL", "User:bob", "*", "READ", "DENY")]
    assert admin.delete("TOPIC", topic[:8], pattern="prefixed") == [
        ("TOPIC", topic[:8], "PREFIXED", "User:alice", "*", "DESCRIBE", "ALLOW")]
    assert admin.describe("TOPIC", topic, pattern="match") == [
        r for r in matching if r[1] not in (topic, topic[:8])]


@pytest.mark.parametrize("kind", ADMINS)
def test_only_cluster_alter_may_change_acls(acl_broker, kind):
    carol = admin_client(kind, acl_broker.address("SASL_PLAINTEXT"), "carol")
    topic = unique("acl-denied")
    try:
        assert carol.create("TOPIC", topic, "User:carol", "ALL", "ALLOW") == \
            CLUSTER_AUTHORIZATION_FAILED
    finally:
        carol.close()
    admin = admin_client(kind, acl_broker.address("SASL_PLAINTEXT"))
    try:
        assert admin.create("CLUSTER", "kafka-cluster", "User:carol", "ALTER", "ALLOW") is None
        carol = admin_client(kind, acl_broker.address("SASL_PLAINTEXT"), "carol")
        assert carol.create("TOPIC", topic, "User:carol", "READ", "ALLOW") is None
        carol.close()
    finally:
        admin.delete("CLUSTER", "kafka-cluster", principal="User:carol")
        admin.delete("TOPIC", topic)
        admin.close()


# ---- enforcement --------------------------------------------------------------------------------

@pytest.fixture
def kp_admin(acl_broker):
    a = admin_client("kafka_python", acl_broker.address("SASL_PLAINTEXT"))
    yield a
    a.close()


def test_produce_needs_write(acl_broker, kp_admin):
    topic = unique("acl-write")
    acl_broker.create_topic(topic, 1)
    # Neither DESCRIBE nor WRITE: the topic is refused (Metadata, then Produce).
    assert produce_error(acl_broker, "alice", topic) == TOPIC_AUTHORIZATION_FAILED
    # DESCRIBE only: the Produce request itself is refused.
    assert kp_admin.create("TOPIC", topic, "User:alice", "DESCRIBE", "ALLOW") is None
    assert produce_error(acl_broker, "alice", topic) == TOPIC_AUTHORIZATION_FAILED
    assert kp_admin.create("TOPIC", topic, "User:alice", "WRITE", "ALLOW") is None
    assert produce_error(acl_broker, "alice", topic) == 0
    # Another user is still refused.
    assert produce_error(acl_broker, "bob", topic) == TOPIC_AUTHORIZATION_FAILED


def test_deny_wins_over_allow(acl_broker, kp_admin):
    topic = unique("acl-deny")
    acl_broker.create_topic(topic, 1)
    assert kp_admin.create("TOPIC", topic, "User:bob", "WRITE", "ALLOW") is None
    assert produce_error(acl_broker, "bob", topic) == 0
    assert kp_admin.create("TOPIC", topic, "User:*", "WRITE", "DENY") is None
    assert produce_error(acl_broker, "bob", topic) == TOPIC_AUTHORIZATION_FAILED
    assert kp_admin.delete("TOPIC", topic, principal="User:*") != []
    assert produce_error(acl_broker, "bob", topic) == 0


def test_prefixed_pattern(acl_broker, kp_admin):
    prefix = unique("acl-pfx") + "-"
    inside, outside = prefix + "a", unique("acl-other")
    acl_broker.create_topic(inside, 1)
    acl_broker.create_topic(outside, 1)
    assert kp_admin.create("TOPIC", prefix, "User:carol", "WRITE", "ALLOW",
                           pattern="prefixed") is None
    assert produce_error(acl_broker, "carol", inside) == 0
    assert produce_error(acl_broker, "carol", outside) == TOPIC_AUTHORIZATION_FAILED


def test_consume_needs_read_on_the_group(acl_broker, kp_admin):
    topic, group = unique("acl-read"), unique("acl-group")
    acl_broker.create_topic(topic, 1)
    assert produce_error(acl_broker, "admin", topic) == 0
    assert kp_admin.create("TOPIC", topic, "User:alice", "READ", "ALLOW") is None
    assert consume_error(acl_broker, "alice", topic, group) == GROUP_AUTHORIZATION_FAILED
    assert kp_admin.create("GROUP", group, "User:alice", "READ", "ALLOW") is None
    assert consume_error(acl_broker, "alice", topic, group) == 0


def fetch_error(broker, user, topic, group, timeout_s=20):
    """Reads partition 0 by assignment as `user`: 0 once a record arrives, else the first error
    code. (librdkafka still looks up `group`'s coordinator, which needs DESCRIBE on it.)"""
    import confluent_kafka as ck

    c = ck.Consumer(dict(sasl(user), **{"bootstrap.servers": broker.address("SASL_PLAINTEXT"),
                                        "group.id": group, "enable.auto.commit": False}))
    c.assign([ck.TopicPartition(topic, 0, ck.OFFSET_BEGINNING)])
    deadline = time.time() + timeout_s
    try:
        while time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            return m.error().code() if m.error() else 0
        return None
    finally:
        c.close()


def test_fetch_needs_read(acl_broker, kp_admin):
    topic, group = unique("acl-fetch"), unique("acl-fetch-group")
    acl_broker.create_topic(topic, 1)
    assert produce_error(acl_broker, "admin", topic) == 0
    assert kp_admin.create("GROUP", group, "User:bob", "READ", "ALLOW") is None
    # DESCRIBE only: Metadata answers, the Fetch itself is refused.
    assert kp_admin.create("TOPIC", topic, "User:bob", "DESCRIBE", "ALLOW") is None
    assert fetch_error(acl_broker, "bob", topic, group) == TOPIC_AUTHORIZATION_FAILED
    assert kp_admin.create("TOPIC", topic, "User:bob", "READ", "ALLOW") is None
    assert fetch_error(acl_broker, "bob", topic, group) == 0


def test_transactional_producer_needs_write_on_its_id(acl_broker, kp_admin):
    import confluent_kafka as ck

    topic, txn = unique("acl-txn"), unique("acl-txn-id")
    acl_broker.create_topic(topic, 1)
    assert kp_admin.create("TOPIC", topic, "User:carol", "WRITE", "ALLOW") is None

    def init_error():
        p = ck.Producer(dict(sasl("carol"), **{
            "bootstrap.servers": acl_broker.address("SASL_PLAINTEXT"),
            "transactional.id": txn}))
        try:
            p.init_transactions(20)
            p.begin_transaction()
            p.produce(topic, b"t")
            p.commit_transaction(20)
            return 0
        except ck.KafkaException as e:
            return e.args[0].code()

    assert init_error() == TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    assert kp_admin.create("TRANSACTIONAL_ID", txn, "User:carol", "WRITE", "ALLOW") is None
    assert init_error() == 0


def test_super_user_bypasses_acls(acl_broker, kp_admin):
    topic, group = unique("acl-super"), unique("acl-super-group")
    acl_broker.create_topic(topic, 1)
    assert kp_admin.create("TOPIC", topic, "User:*", "ALL", "DENY") is None
    assert produce_error(acl_broker, "admin", topic) == 0
    assert consume_error(acl_broker, "admin", topic, group) == 0
    assert produce_error(acl_broker, "alice", topic) == TOPIC_AUTHORIZATION_FAILED


def test_metadata_hides_undescribable_topics(acl_broker, kp_admin):
    seen, hidden = unique("acl-seen"), unique("acl-hidden")
    acl_broker.create_topic(seen, 1)
    acl_broker.create_topic(hidden, 1)
    assert kp_admin.create("TOPIC", seen, "User:bob", "READ", "ALLOW") is None  # implies DESCRIBE
    topics = visible_topics(acl_broker, "bob")
    assert seen in topics and hidden not in topics
    assert {seen, hidden} <= visible_topics(acl_broker, "admin")


def test_without_an_authorizer_the_acl_apis_are_disabled():
    b = harness.VltavaBroker()
    try:
        from kafka.admin import (ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType,
                                 KafkaAdminClient, ResourcePatternFilter, ResourceType)
        from kafka.errors import SecurityDisabledError

        a = KafkaAdminClient(bootstrap_servers=b.bootstrap)
        with pytest.raises(SecurityDisabledError):
            a.describe_acls(ACLFilter(
                principal=None, host=None, operation=ACLOperation.ANY,
                permission_type=ACLPermissionType.ANY,
                resource_pattern=ResourcePatternFilter(ResourceType.ANY, None,
                                                       ACLResourcePatternType.ANY)))
        a.close()
    finally:
        b.stop()
