"""SCRAM credentials across a cluster (issue 18): three combined nodes, each with a
SASL_PLAINTEXT listener beside PLAINTEXT. A user created through AlterUserScramCredentials
(`vltava user create`) at a node that is not the active controller (the request is forwarded)
logs in at every node once the record is replicated; `vltava user list` at any node shows it;
deleted at another node, it is refused everywhere; the credential survives the whole cluster's
restart. Every wait is a condition with a deadline."""

import os
import subprocess

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

import kraft
from wire import describe_quorum


@pytest.fixture
def sasl_three(binary, tmp_path):
    kraft.harness.install_teardown()
    c = kraft.KraftCluster(binary, 3, str(tmp_path))
    for n in c.nodes:
        n.sasl_port = kraft.harness.free_port(n.host)
        n.timeouts = n.timeouts + ["sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512"]
        plain_sets = n.sets

        def sets(n=n, plain_sets=plain_sets):
            out = []
            for kv in plain_sets():
                if kv.startswith("listeners="):
                    kv += ",SASL_PLAINTEXT://%s:%d" % (n.host, n.sasl_port)
                out.append(kv)
            return out

        n.sets = sets
    c.start()
    yield c
    codes = c.stop()
    assert all(code == 0 for code in codes.values()), codes


def cli(binary, *args):
    return subprocess.run([binary] + list(args), capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))


def logs_in(node, mechanism, user, password):
    admin = AdminClient({"bootstrap.servers": "%s:%d" % (node.host, node.sasl_port),
                         "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": mechanism,
                         "sasl.username": user, "sasl.password": password,
                         "error_cb": lambda e: None})
    try:
        admin.list_topics(timeout=3)
        return True
    except KafkaException:
        return False


def leader_id(cluster):
    for n in cluster.nodes:
        try:
            error, leader, *_ = describe_quorum(n.controller_address)
        except OSError:
            continue
        if error == 0:
            return leader
    return None


def test_a_user_created_at_one_node_logs_in_at_every_node(binary, sasl_three):
    c = sasl_three
    leader = kraft.wait_for("a quorum leader", lambda: leader_id(c))
    follower = next(n for n in c.nodes if n.id != leader)
    out = cli(binary, "user", "create", "alice", "--password", "alice-secret", "--mechanism",
              "SCRAM-SHA-512", "--iterations", "8192", "-b", follower.address)
    assert out.returncode == 0, out.stderr
    out = cli(binary, "user", "create", "alice", "--password", "alice-256", "-b",
              follower.address)
    assert out.returncode == 0, out.stderr
    for n in c.nodes:
        kraft.wait_for("alice logs in at node %d" % n.id,
                       lambda n=n: logs_in(n, "SCRAM-SHA-512", "alice", "alice-secret"))
        assert logs_in(n, "SCRAM-SHA-256", "alice", "alice-256")
        assert not logs_in(n, "SCRAM-SHA-512", "alice", "alice-256")
        listed = cli(binary, "user", "list", "--json", "-b", n.address)
        assert listed.returncode == 0, listed.stderr
        assert '"mechanism":"SCRAM-SHA-512","iterations":8192' in listed.stdout, listed.stdout

    other = next(n for n in c.nodes if n.id not in (leader, follower.id))
    out = cli(binary, "user", "delete", "alice", "--mechanism", "SCRAM-SHA-512", "-b",
              other.address)
    assert out.returncode == 0, out.stderr
    for n in c.nodes:
        kraft.wait_for("alice refused at node %d" % n.id,
                       lambda n=n: not logs_in(n, "SCRAM-SHA-512", "alice", "alice-secret"))
        assert logs_in(n, "SCRAM-SHA-256", "alice", "alice-256")

    # The whole cluster restarts: the metadata log (or its snapshot) brings the credential back.
    codes = c.stop()
    assert all(code == 0 for code in codes.values()), codes
    c.start()
    for n in c.nodes:
        kraft.wait_for("alice logs in at node %d after the restart" % n.id,
                       lambda n=n: logs_in(n, "SCRAM-SHA-256", "alice", "alice-256"))
        assert not logs_in(n, "SCRAM-SHA-512", "alice", "alice-secret")
