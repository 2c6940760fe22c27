"""A network partition of the KRaft quorum with real processes: three combined nodes on
127.0.0.2-4; firewall rules (nftables, table `inet vltava_test`) cut the active controller off
from the other two voters in both directions. The two elect a new controller, which takes a
CreateTopics; after the heal the old controller rejoins as a follower and every node serves the
same Metadata (topics, partitions, leaders, leader epochs, replicas, ISR, offline replicas).

The rules match address pairs: each node listens on its own 127.0.0.N and its connections to
other nodes leave from that address too, so a packet from 127.0.0.N to 127.0.0.M belongs to the
pair (N, M). The test's own requests leave from 127.0.0.1 and pass, so every node stays
observable during the cut. Nothing leaves 127.0.0.0/8.

Needs root and nft; skipped with the reason otherwise. Every wait is a condition with a
deadline, never a fixed sleep."""


import pytest
from confluent_kafka.admin import AdminClient, NewTopic

import kraft
from firewall import Firewall
from wire import describe_quorum, digest, metadata

WAIT_S = 60
TABLE = "vltava_test"
NOT_LEADER_OR_FOLLOWER = 6


# --- Conditions with deadlines ---

def wait_for(what, check, timeout_s=WAIT_S):
    return kraft.wait_for(what, check, timeout_s)


def leader_among(nodes):
    """(leader id, epoch, voters' log end offsets) as the node that leads says, if one does."""
    for n in nodes:
        error, leader, epoch, hw, voters = describe_quorum(n.address)
        if error == 0 and leader == n.id:
            return leader, epoch, hw, voters
    return None


def agreed_digest(nodes, with_brokers, must_have):
    def same():
        got = [digest(n.address, with_brokers) for n in nodes]
        if len({d for d, _ in got}) == 1 and must_have <= got[0][1]:
            return got[0]
        return None
    return wait_for("nodes %s to serve identical Metadata with %s" % (
        [n.id for n in nodes], sorted(must_have)), same)


def create_topic(node, name, partitions):
    admin = AdminClient({"bootstrap.servers": node.address})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(15)


# --- The firewall ---

FIREWALL = Firewall(TABLE)


def delete_table():
    FIREWALL.heal()


def cut(node, others):
    """Drops every packet between `node` and each of `others`, both ways."""
    FIREWALL.cut([node.host], [o.host for o in others])


@pytest.fixture
def firewall():
    why_not = FIREWALL.usable()
    if why_not:
        pytest.skip(why_not)
    try:
        yield
    finally:
        delete_table()


@pytest.fixture
def firewalled_three(firewall, binary, tmp_path):
    kraft.harness.install_teardown()
    c = kraft.KraftCluster(binary, 3, str(tmp_path))
    c.start()
    try:
        yield c
    finally:
        delete_table()  # before stopping: a cut-off node could not resign cleanly
        codes = c.stop()
    assert all(code == 0 for code in codes.values()), codes


def test_a_cut_off_controller_is_replaced_and_rejoins_as_follower(firewalled_three):
    nodes = firewalled_three.nodes
    old, old_epoch, _, _ = wait_for("a quorum leader", lambda: leader_among(nodes))
    create_topic(firewalled_three.node(old), "before", 3)
    agreed_digest(nodes, False, {"before"})

    others = [n for n in nodes if n.id != old]
    cut(firewalled_three.node(old), others)
    new, new_epoch, _, _ = wait_for("the other two voters to elect a new leader", lambda: (
        lambda q: q if q and q[0] != old else None)(leader_among(others)))
    assert new_epoch > old_epoch
    # The other survivor follows it and names it as the controller in its Metadata.
    follower = next(n for n in others if n.id != new)
    wait_for("node %d to follow node %d" % (follower.id, new), lambda: (
        describe_quorum(follower.address)[0] == NOT_LEADER_OR_FOLLOWER and
        metadata(follower.address)[1] == new))
    create_topic(firewalled_three.node(new), "during", 4)
    agreed_digest(others, False, {"before", "during"})
    # The cut-off node cannot have learnt of it.
    assert "during" not in digest(firewalled_three.node(old).address, False)[1]

    delete_table()
    wait_for("node %d to catch up as a follower" % old, lambda: (
        lambda q: q if q and q[0] != old and q[3].get(old, -1) >= q[2] else None)(
            leader_among(nodes)))
    assert describe_quorum(firewalled_three.node(old).address)[0] == NOT_LEADER_OR_FOLLOWER
    # Broker lists join the digest once every node serves all three brokers (registration).
    with_brokers = all(len(metadata(n.address)[0]) == 3 for n in nodes)
    agreed_digest(nodes, with_brokers, {"before", "during"})
