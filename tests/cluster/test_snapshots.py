"""KRaft metadata snapshots with real processes (KIP-630): three combined nodes on
127.0.0.2-4 with a tiny snapshot trigger each write `<offset>-<epoch>.checkpoint` files of their
own image and drop the metadata log before them; a node whose data directory is wiped (and
formatted again with the cluster id) catches up from the leader's snapshot (FetchSnapshot); a
node restarted with a snapshot loads it and replays only the log after it. Every node's
Metadata is compared (topics, partitions with leader, replicas and ISR, brokers, controller)."""

import os
import re
import shutil

from confluent_kafka.admin import AdminClient, NewTopic

import kraft

# A snapshot every 4 KiB of metadata records; retention so small that only the newest snapshot
# and the log after it stay; 8 KiB segments, so that whole segments fall before a snapshot.
SNAPSHOT_SETS = ["metadata.log.max.record.bytes.between.snapshots=4096",
                 "metadata.max.retention.bytes=1",
                 "metadata.log.segment.bytes=8192"]
TOPICS = 240
CHECKPOINT = re.compile(r"^(\d{20})-(\d{10})\.checkpoint$")


def start_cluster(binary, tmp_path):
    kraft.harness.install_teardown()
    c = kraft.KraftCluster(binary, 3, str(tmp_path))
    for n in c.nodes:
        n.timeouts = n.timeouts + SNAPSHOT_SETS
    c.start()
    return c


def metadata_dir(node):
    return os.path.join(node.dir, "__cluster_metadata-0")


def checkpoints(node):
    """The (end offset, epoch) of each checkpoint file in the node's metadata log directory."""
    out = []
    for name in os.listdir(metadata_dir(node)):
        m = CHECKPOINT.match(name)
        if m:
            out.append((int(m.group(1)), int(m.group(2))))
    return sorted(out)


def segment_bases(node):
    return sorted(int(f[:-4]) for f in os.listdir(metadata_dir(node))
                  if f.endswith(".log") and f[:-4].isdigit())


def image_of(node):
    """Everything the node's Metadata says, for comparing nodes."""
    md = AdminClient({"bootstrap.servers": node.address}).list_topics(timeout=10)
    topics = {name: sorted((p.id, p.leader, tuple(p.replicas), tuple(sorted(p.isrs)))
                           for p in t.partitions.values())
              for name, t in md.topics.items()}
    brokers = sorted((b.id, b.host, b.port) for b in md.brokers.values())
    return md.controller_id, brokers, topics


def agreed_image(nodes, what, check=lambda img: True):
    def same():
        images = [image_of(n) for n in nodes]
        ok = images[0][0] >= 0 and all(i == images[0] for i in images) and check(images[0])
        return images[0] if ok else None
    return kraft.wait_for(what, same, timeout_s=60)


def create_topics(cluster, nodes, first, count):
    controller, _, _ = agreed_image(nodes, "a controller every node names")
    admin = AdminClient({"bootstrap.servers": cluster.node(controller).address})
    names = ["snap-%04d" % i for i in range(first, first + count)]
    for start in range(0, len(names), 40):
        chunk = names[start:start + 40]
        futures = admin.create_topics([NewTopic(n, 1, 1) for n in chunk])
        for f in futures.values():
            f.result(30)
    return names


def snapshotted_and_cut(node):
    """At least one checkpoint, and the log starts at the newest one (segments before it gone)."""
    cps = checkpoints(node)
    bases = segment_bases(node)
    return cps and bases and bases[0] > 0 and len(cps) == 1 and bases[0] <= cps[-1][0]


def test_snapshots_cut_the_log_a_wiped_node_catches_up_from_one_and_a_restart_loads_one(
        binary, tmp_path):
    cluster = start_cluster(binary, tmp_path)
    try:
        nodes = cluster.running()
        names = create_topics(cluster, nodes, 0, TOPICS)
        image = agreed_image(nodes, "every topic on every node",
                             lambda img: set(names) <= set(img[2]))
        for n in nodes:
            kraft.wait_for("node %d to snapshot and cut its log" % n.id,
                           lambda n=n: snapshotted_and_cut(n), timeout_s=60)

        # A follower loses its data directory, is formatted again with the cluster id, and
        # comes back: the leader's log no longer reaches back to offset 0, so it catches up
        # from the leader's snapshot.
        controller = image[0]
        wiped = next(n for n in nodes if n.id != controller)
        wiped.stop()
        shutil.rmtree(wiped.dir)
        wiped.format(cluster.cluster_id)
        more = create_topics(cluster, cluster.running(), TOPICS, 20)
        leader_start = segment_bases(cluster.node(controller))[0]
        assert leader_start > 0
        wiped.spawn()
        wiped.wait_serving()
        agreed_image(cluster.running(), "the wiped node to catch up",
                     lambda img: set(names + more) <= set(img[2]))
        cps = checkpoints(wiped)
        assert cps, "the wiped node holds no checkpoint"
        assert cps[0][0] >= leader_start, (cps, leader_start)
        with open(wiped.log_path, errors="replace") as f:
            assert "loaded snapshot" in f.read()

        # A node restarted with a snapshot loads it and replays only the log after it.
        other = next(n for n in cluster.running() if n.id not in (controller, wiped.id))
        assert other.stop() == 0
        assert checkpoints(other)
        with open(other.log_path, "a") as f:
            f.write("---- restart ----\n")
        other.spawn()
        other.wait_serving()
        final = agreed_image(cluster.running(), "every node after the restart",
                             lambda img: set(names + more) <= set(img[2]))
        with open(other.log_path, errors="replace") as f:
            after = f.read().split("---- restart ----")[-1]
        assert "loaded snapshot" in after
        assert len(final[2]) >= TOPICS + 20
    finally:
        codes = cluster.stop()
    assert all(code == 0 for code in codes.values()), codes
