"""Client quotas across a cluster (issue 18): three combined nodes. A quota set through
AlterClientQuotas (`vltava quota set`) at a node that is not the active controller (the
request is forwarded in an Envelope) is described by every node once its record is replicated;
removed at another node, it is gone everywhere; a refused alteration is refused the same way
through forwarding. Every wait is a condition with a deadline."""

import json
import os
import subprocess

import pytest

import kraft
from wire import describe_quorum


@pytest.fixture
def three(binary, tmp_path):
    kraft.harness.install_teardown()
    c = kraft.KraftCluster(binary, 3, str(tmp_path))
    c.start()
    yield c
    codes = c.stop()
    assert all(code == 0 for code in codes.values()), codes


def cli(binary, *args):
    return subprocess.run([binary] + list(args), capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))


def leader_id(cluster):
    for n in cluster.nodes:
        try:
            error, leader, *_ = describe_quorum(n.controller_address)
        except OSError:
            continue
        if error == 0:
            return leader
    return None


def described(binary, node):
    out = cli(binary, "quota", "describe", "--json", "-b", node.address)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_quota_set_at_one_node_is_seen_at_every_node(binary, three):
    c = three
    leader = kraft.wait_for("a quorum leader", lambda: leader_id(c))
    follower = next(n for n in c.nodes if n.id != leader)
    other = next(n for n in c.nodes if n.id not in (leader, follower.id))
    out = cli(binary, "quota", "set", "--user", "alice", "--client-id-default", "--add",
              "producer_byte_rate=1048576", "-b", follower.address)
    assert out.returncode == 0, out.stderr
    want = [{"entity": {"client-id": None, "user": "alice"},
             "values": {"producer_byte_rate": 1048576}}]
    for n in c.nodes:
        kraft.wait_for("node %d describes the quota" % n.id,
                       lambda n=n: described(binary, n) == want)
    out = cli(binary, "quota", "set", "--user", "alice", "--add", "frobs=1", "-b", other.address)
    assert out.returncode == 1 and "Invalid configuration key frobs" in out.stderr, out.stderr
    out = cli(binary, "quota", "set", "--user", "alice", "--client-id-default", "--delete",
              "producer_byte_rate", "-b", other.address)
    assert out.returncode == 0, out.stderr
    for n in c.nodes:
        kraft.wait_for("node %d has no quota" % n.id, lambda n=n: described(binary, n) == [])
