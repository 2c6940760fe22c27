"""SCRAM credentials kept in the metadata log (issue 18): AlterUserScramCredentials and
DescribeUserScramCredentials with Kafka's semantics and error codes; a credential created
through the API lets confluent-kafka-python, kafka-python and kafkajs log in with SCRAM-SHA-256
and -512, survives a restart, and once deleted is refused; `vltava storage format --add-scram`
bootstraps a user; with an authorizer, ALTER/DESCRIBE on the cluster are needed."""

import os
import subprocess

import pytest

import scram_admin
import secure

pytestmark = pytest.mark.process

LISTENERS = {"SASL_PLAINTEXT": "SASL_PLAINTEXT"}
MECHANISMS = ["SCRAM-SHA-256", "SCRAM-SHA-512"]
CLIENTS = ["confluent", "kafka_python", "kafkajs"]


def scram_broker(extra=()):
    return secure.SecureBroker(LISTENERS, ["sasl.enabled.mechanisms=" + ",".join(MECHANISMS)]
                               + list(extra))


@pytest.fixture(scope="module")
def broker():
    b = scram_broker()
    yield b
    b.stop()


def conf(mechanism, user, password):
    return {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": mechanism,
            "sasl.username": user, "sasl.password": password}


def logs_in(address, mechanism, user, password):
    """Whether librdkafka (confluent-kafka) gets metadata as this user."""
    import confluent_kafka as ck
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(dict(conf(mechanism, user, password), **{
        "bootstrap.servers": address, "error_cb": lambda e: None}))
    try:
        admin.list_topics(timeout=5)
        return True
    except ck.KafkaException:
        return False


def test_describe_and_alter_semantics(broker):
    a = broker.bootstrap
    error, users = scram_admin.describe(a)
    assert error == 0
    assert "zed" not in users
    got = scram_admin.alter(a, deletions=[scram_admin.deletion("nobody", "SCRAM-SHA-256"),
                                          scram_admin.deletion("odd", 7)],
                            upsertions=[
                                scram_admin.upsertion("", "SCRAM-SHA-256", "x"),
                                scram_admin.upsertion("few", "SCRAM-SHA-256", "x", 4095),
                                scram_admin.upsertion("many", "SCRAM-SHA-512", "x", 16385),
                                scram_admin.upsertion("twice", "SCRAM-SHA-256", "x"),
                                scram_admin.upsertion("twice", "SCRAM-SHA-512", "x"),
                                scram_admin.upsertion("zed", "SCRAM-SHA-512", "x", 8192)])
    assert got["nobody"] == (scram_admin.RESOURCE_NOT_FOUND,
                             "Attempt to delete a user credential that does not exist")
    assert got["odd"][0] == scram_admin.UNSUPPORTED_SASL_MECHANISM
    assert got[""] == (scram_admin.UNACCEPTABLE_CREDENTIAL, "Username must not be empty")
    assert got["few"] == (scram_admin.UNACCEPTABLE_CREDENTIAL, "Too few iterations")
    assert got["many"] == (scram_admin.UNACCEPTABLE_CREDENTIAL, "Too many iterations")
    assert got["twice"] == (scram_admin.DUPLICATE_RESOURCE,
                            "A user credential cannot be altered twice in the same request")
    assert got["zed"] == (scram_admin.NONE, None)
    error, users = scram_admin.describe(a, ["zed", "twice", "zed2", "zed2"])
    assert error == 0
    assert users["zed"] == (0, [(2, 8192)])
    assert users["twice"][0] == scram_admin.RESOURCE_NOT_FOUND
    assert users["zed2"][0] == scram_admin.DUPLICATE_RESOURCE
    # Every user when none is named, an empty list included.
    assert "zed" in scram_admin.describe(a)[1]
    assert "zed" in scram_admin.describe(a, [])[1]
    scram_admin.delete(a, "zed", "SCRAM-SHA-512")
    assert "zed" not in scram_admin.describe(a)[1]


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("client", CLIENTS)
def test_a_created_credential_logs_in(broker, topic_name, client, mechanism):
    if client == "kafkajs" and secure.kafkajs_missing():
        pytest.skip(secure.kafkajs_missing())
    user = "u-%s-%s" % (client, mechanism[-3:])
    scram_admin.set_password(broker.bootstrap, user, mechanism, user + "-secret", 8192)
    broker.create_topic(topic_name, 1)
    got = secure.produce_consume(client, broker.address("SASL_PLAINTEXT"), topic_name, 50,
                                 conf(mechanism, user, user + "-secret"))
    assert got == [secure.value(i) for i in range(50)]


def test_replaced_and_deleted_credentials_and_a_restart(broker):
    address = broker.address("SASL_PLAINTEXT")
    for m in MECHANISMS:
        scram_admin.set_password(broker.bootstrap, "erin", m, "first")
    assert logs_in(address, "SCRAM-SHA-256", "erin", "first")
    # Replaced: the old password no longer works, the new one does.
    scram_admin.set_password(broker.bootstrap, "erin", "SCRAM-SHA-256", "second", 4096)
    assert not logs_in(address, "SCRAM-SHA-256", "erin", "first")
    assert logs_in(address, "SCRAM-SHA-256", "erin", "second")
    broker.restart()
    address = broker.address("SASL_PLAINTEXT")
    assert logs_in(address, "SCRAM-SHA-256", "erin", "second")
    assert logs_in(address, "SCRAM-SHA-512", "erin", "first")
    scram_admin.delete(broker.bootstrap, "erin", "SCRAM-SHA-512")
    assert not logs_in(address, "SCRAM-SHA-512", "erin", "first")
    assert logs_in(address, "SCRAM-SHA-256", "erin", "second")
    broker.restart(kill9=True)
    address = broker.address("SASL_PLAINTEXT")
    assert not logs_in(address, "SCRAM-SHA-512", "erin", "first")
    assert logs_in(address, "SCRAM-SHA-256", "erin", "second")
    _, users = scram_admin.describe(broker.bootstrap, ["erin"])
    assert users["erin"] == (0, [(1, 4096)])


def test_a_deleted_credential_is_refused_by_kafka_python(broker):
    import kafka
    import kafka.errors

    scram_admin.set_password(broker.bootstrap, "fay", "SCRAM-SHA-512", "fay-secret")
    good = secure._kafka_python_conf(conf("SCRAM-SHA-512", "fay", "fay-secret"))
    kafka.KafkaAdminClient(bootstrap_servers=broker.address("SASL_PLAINTEXT"),
                           request_timeout_ms=5000, **good).close()
    scram_admin.delete(broker.bootstrap, "fay", "SCRAM-SHA-512")
    with pytest.raises(kafka.errors.KafkaError):
        kafka.KafkaAdminClient(bootstrap_servers=broker.address("SASL_PLAINTEXT"),
                               request_timeout_ms=5000, **good)


def test_bootstrap_credentials_and_authorization():
    """`storage format --add-scram` gives the first user (a super user here); the anonymous
    PLAINTEXT principal may neither alter nor describe credentials without ACLs."""
    b = scram_broker(["authorizer.class.name="
                      "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                      "super.users=User:admin"])
    try:
        b._terminate()
        subprocess.run(["rm", "-rf", b.log_dir], check=True)
        fmt = [b.binary, "storage", "format", "--cluster-id", "MkU3OEVBNTcwNTJENDM2Qg",
               "--set", "log.dir=" + b.log_dir,
               "--add-scram", "SCRAM-SHA-512=[name=admin,password=admin-secret]",
               "--add-scram", 'SCRAM-SHA-256=[name=admin,iterations=8192,password="admin-secret"]']
        out = subprocess.run(fmt, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert os.path.exists(os.path.join(b.log_dir, "bootstrap.checkpoint"))
        b.start()
        address = b.address("SASL_PLAINTEXT")
        assert logs_in(address, "SCRAM-SHA-512", "admin", "admin-secret")
        assert logs_in(address, "SCRAM-SHA-256", "admin", "admin-secret")
        assert not logs_in(address, "SCRAM-SHA-256", "admin", "wrong")
        got = scram_admin.alter(b.bootstrap, upsertions=[
            scram_admin.upsertion("mallory", "SCRAM-SHA-256", "x")])
        assert got["mallory"][0] == scram_admin.CLUSTER_AUTHORIZATION_FAILED
        error, _ = scram_admin.describe(b.bootstrap)
        assert error == scram_admin.CLUSTER_AUTHORIZATION_FAILED
        assert not logs_in(address, "SCRAM-SHA-256", "mallory", "x")
        # A bad --add-scram is refused before anything is written.
        bad = subprocess.run([b.binary, "storage", "format", "--cluster-id",
                              "MkU3OEVBNTcwNTJENDM2Qg", "--set", "log.dir=" + b.log_dir + "2",
                              "--add-scram", "SCRAM-SHA-256=[name=x,password=y,iterations=10]"],
                             capture_output=True, text=True)
        assert bad.returncode == 2 and "iterations" in bad.stderr, bad.stderr
        assert not os.path.exists(b.log_dir + "2")
    finally:
        b.stop()


def test_the_removed_config_is_refused_at_start():
    binary = os.environ["VLTAVA_BIN"]
    out = subprocess.run([binary, "serve", "--set", "vltava.scram.users=SCRAM-SHA-256:a:b",
                          "--set", "log.dir=/nonexistent-never-created"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "vltava.scram.users" in out.stderr, out.stderr
