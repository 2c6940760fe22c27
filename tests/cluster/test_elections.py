"""ElectLeaders with real processes: three controller-only nodes (127.0.0.2-4, the quorum stays
up whatever happens to the brokers) and three brokers (127.0.0.5-7) holding one topic with
replicas [4, 5, 6], automatic rebalancing off so that only the requests move leaders.

1. Preferred: the preferred replica (4) stops cleanly and comes back; another replica still
   leads until ElectLeaders (preferred, sent to a broker that forwards it to the controller)
   moves leadership back; asked again, ELECTION_NOT_NEEDED; an unknown partition is
   UNKNOWN_TOPIC_OR_PARTITION. `vltava cluster elect-leaders` says the same.
2. Unclean: every replica is killed; the last one standing stays the ISR, leaderless. Only a
   replica outside the ISR comes back: a preferred election cannot help, an unclean one makes it
   leader with an ISR of itself, and producing works again.
Every wait is a condition with a deadline."""

import subprocess

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

import kraft
from wire import elect_leaders, metadata

TOPIC = "elected"
REPLICAS = [4, 5, 6]
WAIT_S = 45
NONE, UNKNOWN_TOPIC_OR_PARTITION = 0, 3
PREFERRED_LEADER_NOT_AVAILABLE, ELECTION_NOT_NEEDED = 80, 84


@pytest.fixture
def cluster(binary, tmp_path):
    kraft.harness.install_teardown()
    c = kraft.KraftCluster(binary, 3, str(tmp_path), brokers=3,
                           extra=["auto.leader.rebalance.enable=false"])
    c.start()
    yield c
    codes = c.stop()
    assert all(code == 0 for code in codes.values()), codes


def state(cluster):
    """(leader, isr) of the topic's partition, as a running broker says."""
    for n in cluster.running():
        if not n.is_broker:
            continue
        try:
            _, _, topics = metadata(n.address)
        except OSError:
            continue
        for name, error, _, parts in topics:
            if name == TOPIC and error == 0 and parts:
                _, _, leader, _, _, isr, _ = parts[0]
                return leader, isr
    return None


def cli(cluster, node, *args):
    """`vltava cluster elect-leaders ARGS -b NODE`: (exit code, output)."""
    r = subprocess.run([cluster.nodes[0].binary, "cluster", "elect-leaders", *args,
                        "-b", cluster.node(node).address], capture_output=True, text=True,
                       timeout=30)
    return r.returncode, r.stdout + r.stderr


def wait_state(cluster, what, pred):
    return kraft.wait_for(what, lambda: (lambda s: s if s and pred(*s) else None)(state(cluster)),
                          WAIT_S)


def test_preferred_then_unclean(cluster):
    admin = AdminClient({"bootstrap.servers": cluster.node(5).address})
    admin.create_topics([NewTopic(TOPIC, 1, replica_assignment=[REPLICAS])])[TOPIC].result(15)
    wait_state(cluster, "replica 4 leading, all in sync", lambda l, i: l == 4 and i == REPLICAS)

    # 1. Preferred.
    assert cluster.node(4).stop() == 0
    wait_state(cluster, "another leader", lambda l, i: l in (5, 6))
    cluster.node(4).spawn()
    cluster.node(4).wait_serving()
    leader, _ = wait_state(cluster, "4 back in sync", lambda l, i: i == REPLICAS)
    assert leader != 4  # nothing moves it back by itself here
    top, results = elect_leaders(cluster.node(6).address, 0, {TOPIC: [0, 9]})
    assert top == NONE
    assert results == {(TOPIC, 0): NONE, (TOPIC, 9): UNKNOWN_TOPIC_OR_PARTITION}, results
    wait_state(cluster, "the preferred replica leading", lambda l, i: l == 4)
    assert elect_leaders(cluster.node(5).address, 0, {TOPIC: [0]}) == (
        NONE, {(TOPIC, 0): ELECTION_NOT_NEEDED})
    # Every partition: only elected ones are answered for, and none needs it.
    assert elect_leaders(cluster.node(5).address, 0, None) == (NONE, {})
    assert cli(cluster, 5, "--all") == (0, "No partition needed an election\n")
    assert cli(cluster, 6, "--topic", TOPIC) == (0, "%s-0: not needed\n" % TOPIC)

    # 2. Unclean: 6 and 5 go first, so 4 is the ISR's last member; then 4 goes too.
    for r in (6, 5):
        cluster.node(r).kill9()
        wait_state(cluster, "%d out of the ISR" % r, lambda l, i, r=r: r not in i)
    cluster.node(4).kill9()
    cluster.node(5).spawn()  # a broker to ask: Metadata is served by brokers only
    cluster.node(5).wait_serving()
    wait_state(cluster, "no leader, 4 alone in the ISR", lambda l, i: l < 0 and i == [4])
    address = cluster.node(5).address
    assert elect_leaders(address, 0, {TOPIC: [0]}) == (
        NONE, {(TOPIC, 0): PREFERRED_LEADER_NOT_AVAILABLE})
    assert elect_leaders(address, 1, {TOPIC: [0]}) == (NONE, {(TOPIC, 0): NONE})
    wait_state(cluster, "5 leading alone", lambda l, i: l == 5 and i == [5])
    assert elect_leaders(address, 1, {TOPIC: [0]}) == (NONE, {(TOPIC, 0): ELECTION_NOT_NEEDED})
    code, out = cli(cluster, 5, "--type", "unclean", "--topic", TOPIC, "--partition", "0")
    assert (code, out) == (0, "%s-0: not needed\n" % TOPIC), out
    p = Producer({"bootstrap.servers": address, "acks": "all"})
    errors = []
    p.produce(TOPIC, b"after", partition=0, on_delivery=lambda err, msg: errors.append(err))
    assert p.flush(15) == 0 and errors == [None], errors
    for r in (4, 6):
        cluster.node(r).spawn()
    for r in (4, 6):
        cluster.node(r).wait_serving()
