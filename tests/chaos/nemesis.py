"""The nemesis: a schedule of faults drawn from a seed, and the actions that inject them.

The schedule depends only on (seed, faults, node count, fault kinds), so the same arguments
give the same faults in the same order with the same gaps and durations; what the clients
happen to be doing at each instant is not reproducible (threads, the kernel's scheduler).
Every action is logged to the history as {process: nemesis, type: info, f: <action>, node}.

Fault kinds:
  kill    kill -9 of a node, then, after down_s, start it again on the same data and port
  pause   SIGSTOP of a node, then SIGCONT after pause_s (longer than the clients' request
          timeout now and then, so some writes end unknown)
  lose-tail  sabotage, never in a default run: kill -9, cut the last tenth of every data
          partition's newest segment (acknowledged records gone, as if the disk had lied about
          a write), restart. A run with it must be INVALID with lost > 0: it shows on a real
          broker that the checker can fail.
  partition  a network partition between nodes for pause_s, then healed: one node isolated
          from all others, or the nodes split into a minority and a majority (drawn from the
          seed); nftables rules on the loopback interface by address pair (firewall.py), clients
          never cut off. Needs three nodes or more, root and nft (as the three below).
  partition-controller  the active controller, as Metadata names it when the fault starts,
          cut off from the others
  partition-leader  the leader of one of the workload's partitions cut off (the seed's node
          picks which, among the leaders when the fault starts)
  flap    a node's links to the others cut and restored every 0.1-0.6 s for pause_s
  slow-disk  every fdatasync of a node waits 300 ms first, for pause_s (the test build's hook)
  disk-full  a node's data directory (a 256 MiB tmpfs of its own when this kind is asked for)
          filled to the last byte for pause_s, then freed.
A kind is a function (cluster, fault, log) -> None in FAULTS below."""

import glob
import os
import random
import time

GAP_S = (1.0, 4.0)  # quiet time before each fault
DOWN_S = (0.0, 2.0)  # how long a killed node stays down
PAUSE_S = (0.5, 12.0)  # how long a paused node stays stopped (or a partition lasts)
# `--quick` (the CI run: many faults in a few minutes): shorter gaps and faults, still past a
# broker session (3 s in a cluster run) now and then.
QUICK = {"gap_s": (0.3, 1.2), "down_s": (0.0, 0.5), "pause_s": (0.2, 4.0)}
FLAP_S = (0.1, 0.6)  # how long a flapping link stays cut, or up
SLOW_FSYNC_MS = 300  # a slow-disk fault's wait before every fdatasync
# Faults that need three nodes or more (a side and the rest, both able to act).
NETWORK = ("partition", "partition-controller", "partition-leader", "flap")
RECOVER_S = 5.0  # after the last fault heals, before the workers stop


def schedule(seed, faults, nodes, kinds, quick=False):
    """[{kind, node, gap_s, duration_s}], the same for the same arguments."""
    rng = random.Random("%s/%d/%d/%s%s" % (seed, faults, nodes, ",".join(kinds),
                                           "/quick" if quick else ""))
    gap, down, pause = ((QUICK["gap_s"], QUICK["down_s"], QUICK["pause_s"]) if quick
                        else (GAP_S, DOWN_S, PAUSE_S))
    plan = []
    for _ in range(faults):
        kind = rng.choice(kinds)
        duration = rng.uniform(*(down if kind == "kill" else pause))
        fault = {"kind": kind, "node": rng.randint(1, nodes),
                 "gap_s": round(rng.uniform(*gap), 3), "duration_s": round(duration, 3)}
        if kind == "partition":
            fault["side"] = partition_side(rng, fault["node"], nodes)
        plan.append(fault)
    return plan


def partition_side(rng, node, nodes):
    """One side of a partition, holding `node`: the node alone, or a minority around it."""
    if rng.random() < 0.5 or nodes < 5:
        return [node]
    others = [n for n in range(1, nodes + 1) if n != node]
    return sorted([node] + rng.sample(others, (nodes - 1) // 2 - 1))


def kill(cluster, fault, log):
    node = cluster.node(fault["node"])
    log.event("info", "kill", node=node.id)
    node.kill9()
    time.sleep(fault["duration_s"])
    started = time.time()
    log.event("info", "start", node=node.id)
    node.start()
    log.event("info", "started", node=node.id, took_s=round(time.time() - started, 3))


def pause(cluster, fault, log):
    node = cluster.node(fault["node"])
    log.event("info", "pause", node=node.id)
    node.pause()
    time.sleep(fault["duration_s"])
    node.resume()
    log.event("info", "resume", node=node.id)


def lose_tail(cluster, fault, log):
    node = cluster.node(fault["node"])
    log.event("info", "kill", node=node.id)
    node.kill9()
    for part in sorted(glob.glob(os.path.join(node.data_dir, "*-[0-9]*"))):
        if os.path.basename(part).startswith("__"):
            continue  # internal topics: the sabotage is aimed at the workload's data
        segments = sorted(glob.glob(os.path.join(part, "*.log")))
        if segments:
            size = os.path.getsize(segments[-1])
            os.truncate(segments[-1], size * 9 // 10)
            log.event("info", "lose-tail", node=node.id, segment=segments[-1],
                      bytes_cut=size - size * 9 // 10)
    log.event("info", "start", node=node.id)
    node.start()
    log.event("info", "started", node=node.id)


def cut_off(cluster, side, duration_s, log, **why):
    inside = [n.host for n in cluster.nodes if n.id in side]
    outside = [n.host for n in cluster.nodes if n.id not in side]
    log.event("info", "partition", side=sorted(side), **why)
    cluster.firewall.cut(inside, outside)
    time.sleep(duration_s)
    cluster.firewall.heal()
    log.event("info", "heal-partition", side=sorted(side))


def partition(cluster, fault, log):
    cut_off(cluster, set(fault["side"]), fault["duration_s"], log)


def cluster_view(cluster):
    """(controller id, {partition: leader id}) as the cluster's Metadata says (asked from
    127.0.0.1, which no cut ever isolates); None when no node answers."""
    from confluent_kafka.admin import AdminClient

    try:
        md = AdminClient({"bootstrap.servers": cluster.bootstrap}).list_topics(timeout=5)
    except Exception:
        return None
    leaders = {}
    for t in md.topics.values():
        if not t.topic.startswith("__"):
            leaders.update({p: m.leader for p, m in t.partitions.items()})
    return md.controller_id, leaders


def partition_controller(cluster, fault, log):
    """The active controller cut off from every other node: chosen when the fault starts (the
    schedule fixes when and how long, not which node leads then)."""
    view = cluster_view(cluster)
    target = view[0] if view and view[0] > 0 else fault["node"]
    cut_off(cluster, {target}, fault["duration_s"], log, target="controller")


def partition_leader(cluster, fault, log):
    """The leader of one of the workload's partitions (the seed's node picks which) cut off."""
    view = cluster_view(cluster)
    leaders = sorted(l for l in (view[1].values() if view else []) if l > 0)
    target = leaders[fault["node"] % len(leaders)] if leaders else fault["node"]
    cut_off(cluster, {target}, fault["duration_s"], log, target="leader")


def flap(cluster, fault, log):
    """The link between a node and the others cut and healed again every FLAP_S, for the
    fault's duration: elections and fencing started and abandoned over and over."""
    side = {fault["node"]}
    inside = [n.host for n in cluster.nodes if n.id in side]
    outside = [n.host for n in cluster.nodes if n.id not in side]
    log.event("info", "flap", side=sorted(side))
    rng = random.Random(repr(sorted(fault.items())))  # the same flaps for the same fault
    end, cut = time.time() + fault["duration_s"], False
    while time.time() < end:
        if cut:
            cluster.firewall.heal()
        else:
            cluster.firewall.cut(inside, outside)
        cut = not cut
        time.sleep(min(rng.uniform(*FLAP_S), max(0.0, end - time.time())))
    cluster.firewall.heal()
    log.event("info", "heal-partition", side=sorted(side))


def slow_disk(cluster, fault, log):
    """Every fdatasync of the node waits SLOW_FSYNC_MS first for pause_s (the test build's
    hook, src/base/test_sabotage.h; run sets VLTAVA_SLOW_FSYNC_FILE per node for this kind):
    acks=all answers slow down, group commits grow; nothing acknowledged may be lost."""
    node = cluster.node(fault["node"])
    log.event("info", "slow-disk", node=node.id, fsync_ms=SLOW_FSYNC_MS)
    with open(node.slow_fsync_file, "w") as f:
        f.write("%d\n" % SLOW_FSYNC_MS)
    try:
        time.sleep(fault["duration_s"])
    finally:
        os.remove(node.slow_fsync_file)
    log.event("info", "disk-fast", node=node.id)


def disk_full(cluster, fault, log):
    """The node's data directory (a small filesystem of its own: run mounts one per node for
    this fault) filled to the last byte for pause_s, then freed: appends fail with
    KAFKA_STORAGE_ERROR meanwhile; nothing acknowledged may be lost, and writes resume after."""
    node = cluster.node(fault["node"])
    filler = os.path.join(node.data_dir, "chaos-filler")
    log.event("info", "disk-full", node=node.id)
    with open(filler, "wb") as f:
        chunk = b"\0" * (1 << 20)
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError:
            pass  # full
    try:
        time.sleep(fault["duration_s"])
    finally:
        os.remove(filler)
    log.event("info", "disk-freed", node=node.id)


FAULTS = {"kill": kill, "pause": pause, "partition": partition,
          "partition-controller": partition_controller, "partition-leader": partition_leader,
          "flap": flap, "lose-tail": lose_tail, "disk-full": disk_full, "slow-disk": slow_disk}


def run(cluster, plan, log):
    """Injects the faults in order; every fault heals before the next one starts."""
    for i, fault in enumerate(plan):
        time.sleep(fault["gap_s"])
        log.event("info", "fault", index=i, **fault)
        FAULTS[fault["kind"]](cluster, fault, log)
