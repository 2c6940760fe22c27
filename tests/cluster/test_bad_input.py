"""Bad input from peers, against real processes (three combined nodes on 127.0.0.2-4): Vote and
BeginQuorumEpoch from a node outside the voter set, from an old epoch and from another cluster,
and a broker registering with a node id whose broker is alive, each sent to every node's
CONTROLLER listener. Each gets Kafka's error code, and nothing changes: the same leader and
epoch, the same metadata (digest) on every node, and the quorum still commits."""

from confluent_kafka.admin import AdminClient, NewTopic

import kraft
from peer_wire import begin_quorum_epoch_v0, broker_registration_v0, vote_v0
from wire import describe_quorum, digest

FENCED_LEADER_EPOCH = 74
INCONSISTENT_VOTER_SET = 94
INCONSISTENT_CLUSTER_ID = 104
DUPLICATE_BROKER_REGISTRATION = 101
OTHER_CLUSTER = "AAAAAAAAAAAAAAAAAAAAAA"


def quorum_state(nodes):
    """(leader, epoch) once a node says it leads and every node agrees on the metadata."""
    def leader():
        for n in nodes:
            error, lead, epoch, _, _ = describe_quorum(n.address)
            if error == 0 and lead == n.id:
                return lead, epoch
        return None
    return kraft.wait_for("a quorum leader", leader)


def same_digest(nodes):
    return kraft.wait_for("every node to serve the same metadata", lambda: (
        lambda ds: ds[0] if len(set(ds)) == 1 else None)(
            [digest(n.address, True)[0] for n in nodes]))


def create_topic(node, name, partitions):
    admin = AdminClient({"bootstrap.servers": node.address})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(15)


def controller_address(node):
    return "%s:%d" % (node.host, node.controller_port)


def test_peers_outside_the_quorum_old_epochs_and_other_clusters_change_nothing(three):
    nodes = three.running()
    create_topic(nodes[0], "before", 3)
    kraft.wait_for("every node to list three brokers and the topic", lambda: all(
        "before" in digest(n.address, True)[1] for n in nodes))
    leader, epoch = quorum_state(nodes)
    before = same_digest(nodes)

    for n in nodes:
        at = controller_address(n)
        # A candidate the voter set does not hold, even with a newer epoch and a long log.
        top, error, granted = vote_v0(at, three.cluster_id, 99, epoch + 5, epoch, 10**6)
        assert (top, error, granted) == (0, INCONSISTENT_VOTER_SET, False), n.id
        # A voter asking for an epoch older than the current one.
        other = next(m.id for m in nodes if m.id != n.id)
        top, error, granted = vote_v0(at, three.cluster_id, other, epoch - 1 if epoch > 1 else 0)
        assert (top, error, granted) == (0, FENCED_LEADER_EPOCH, False), n.id
        # Another cluster's candidate.
        top, _, granted = vote_v0(at, OTHER_CLUSTER, other, epoch + 5, epoch, 10**6)
        assert (top, granted) == (INCONSISTENT_CLUSTER_ID, False), n.id
        # A leader announcement from outside the voter set, from an old epoch, from elsewhere.
        assert begin_quorum_epoch_v0(at, three.cluster_id, 99, epoch + 5) == (
            0, INCONSISTENT_VOTER_SET), n.id
        assert begin_quorum_epoch_v0(at, three.cluster_id, other, max(epoch - 1, 0)) == (
            0, FENCED_LEADER_EPOCH), n.id
        assert begin_quorum_epoch_v0(at, OTHER_CLUSTER, other, epoch + 5)[0] == \
            INCONSISTENT_CLUSTER_ID, n.id

    # A second process claiming a live broker's id, at the active controller; and a broker of
    # another cluster.
    ctl = three.node(leader)
    at = controller_address(ctl)
    assert broker_registration_v0(at, nodes[1].id, three.cluster_id, "127.0.0.9", 9092)[0] == \
        DUPLICATE_BROKER_REGISTRATION
    assert broker_registration_v0(at, 7, OTHER_CLUSTER, "127.0.0.9", 9092)[0] == \
        INCONSISTENT_CLUSTER_ID

    # Nothing changed: the same leader and epoch, the same metadata everywhere ...
    assert quorum_state(nodes) == (leader, epoch)
    assert same_digest(nodes) == before
    # ... and the quorum still commits.
    create_topic(nodes[2], "after", 2)
    kraft.wait_for("the new topic everywhere", lambda: all(
        "after" in digest(n.address, True)[1] for n in nodes))
