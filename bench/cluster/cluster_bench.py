"""Cluster benchmark (issue 15): real `vltava serve` processes on 127.0.0.2.. (the
tests/cluster harness), measured in one run:

1. CreateTopics latency (one topic, one partition, sent to the active controller and answered
   once committed), p50/p99 over --creates topics, with one voter and with three.
2. Controller failover: kill -9 of the active controller until a CreateTopics sent to a
   surviving node (forwarded to the new controller) succeeds, p50/p99 over --kills kills, with
   Kafka's default quorum timeouts and with the shortened ones the tests use.
3. 10,000 partitions (--partitions) in the image of a three-node cluster: resident memory per
   partition on a node, Metadata (all topics) response time, and how long a node that was down
   takes to catch up from the metadata log when it returns.
4. (--only snapshot) The same 10,000 partitions with snapshots on (a 1 MiB trigger, Kafka's
   retention rule with a 1-byte limit so the log before the newest snapshot goes): a node whose
   data directory is wiped and formatted again catches up from the leader's snapshot
   (FetchSnapshot); the time from its start to serving every partition, and the snapshot's
   size.

Usage: bench/cluster/run.sh (builds optimized, then runs this with --binary)."""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "cluster"))
import kraft  # noqa: E402
from wire import create_topic_v0, metadata  # noqa: E402

DEFAULTS = []  # Kafka's own: election 1 s, fetch 2 s, session 9 s, heartbeat 2 s
SHORT = ["controller.quorum.election.timeout.ms=500", "controller.quorum.fetch.timeout.ms=1000",
         "broker.session.timeout.ms=3000", "broker.heartbeat.interval.ms=500"]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def wait_for(check, timeout_s=120):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            v = check()
        except OSError:
            v = None
        if v:
            return v
        time.sleep(0.02)
    raise RuntimeError("timed out")


def controller_id(nodes):
    for n in nodes:
        try:
            c = metadata(n.address)[1]
        except OSError:
            continue
        if c > 0 and any(m.id == c for m in nodes):
            return c
    return None


def start(binary, size, run_dir, timeouts):
    kraft.harness.install_teardown()
    c = kraft.KraftCluster(binary, size, run_dir, timeouts)
    c.start()
    wait_for(lambda: all(len(metadata(n.address)[0]) == size for n in c.nodes))
    return c


def create_latency(binary, size, creates):
    with tempfile.TemporaryDirectory() as d:
        c = start(binary, size, d, SHORT)
        try:
            ctl = c.node(wait_for(lambda: controller_id(c.nodes)))
            out = []
            for i in range(creates):
                t0 = time.perf_counter()
                assert create_topic_v0(ctl.address, "lat-%d" % i, 1, 1) == 0
                out.append((time.perf_counter() - t0) * 1000)
            return out
        finally:
            c.stop()


def failover(binary, kills, timeouts):
    with tempfile.TemporaryDirectory() as d:
        c = start(binary, 3, d, timeouts)
        try:
            out = []
            for k in range(kills):
                ctl = wait_for(lambda: controller_id(c.nodes))
                victim = c.node(ctl)
                others = [n for n in c.nodes if n.id != ctl]
                victim.kill9()
                t0 = time.perf_counter()

                def created(k=k):
                    for n in others:
                        try:
                            if create_topic_v0(n.address, "after-%d" % k, 1, 1) == 0:
                                return True
                        except OSError:
                            pass
                    return False
                wait_for(created)
                out.append((time.perf_counter() - t0) * 1000)
                victim.spawn()
                victim.wait_serving()
                wait_for(lambda: all(len(metadata(n.address)[0]) == 3 for n in c.nodes))
            return out
        finally:
            c.stop()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def many_partitions(binary, partitions):
    with tempfile.TemporaryDirectory() as d:
        c = start(binary, 3, d, SHORT)
        try:
            ctl = c.node(wait_for(lambda: controller_id(c.nodes)))
            probe = c.nodes[0]
            before = rss_kib(probe.proc.pid)
            per_topic = 100
            for t in range(partitions // per_topic):
                assert create_topic_v0(ctl.address, "many-%d" % t, per_topic, 1) == 0
            wait_for(lambda: sum(len(t[3]) for t in metadata(probe.address)[2]) >= partitions)
            time.sleep(2)  # housekeeping settles; memory is read once
            after = rss_kib(probe.proc.pid)
            times = []
            for _ in range(20):
                t0 = time.perf_counter()
                metadata(probe.address)
                times.append((time.perf_counter() - t0) * 1000)
            # A node down while the image grew catches up from the log when it returns.
            late = next(n for n in c.nodes if n.id != ctl.id)
            late.kill9()
            for t in range(10):
                assert create_topic_v0(ctl.address, "while-down-%d" % t, per_topic, 1) == 0
            t0 = time.perf_counter()
            late.spawn()
            try:
                late.wait_serving()
                wait_for(lambda: any(t[0] == "while-down-9" for t in metadata(late.address)[2]))
                catch_up = time.perf_counter() - t0
            except (AssertionError, RuntimeError):
                catch_up = None  # reported as such: a finding, not a number
            
            return (after - before) / partitions, times, catch_up
        finally:
            c.stop()


def snapshot_catch_up(binary, partitions):
    sets = SHORT + ["metadata.log.max.record.bytes.between.snapshots=1048576",
                    "metadata.max.retention.bytes=1", "metadata.log.segment.bytes=1048576"]
    with tempfile.TemporaryDirectory() as d:
        c = start(binary, 3, d, sets)
        try:
            ctl = c.node(wait_for(lambda: controller_id(c.nodes)))
            per_topic = 100
            for t in range(partitions // per_topic):
                assert create_topic_v0(ctl.address, "snap-%d" % t, per_topic, 1) == 0
            wait_for(lambda: sum(len(t[3]) for t in metadata(ctl.address)[2]) >= partitions)
            meta_dir = os.path.join(ctl.dir, "__cluster_metadata-0")

            def leader_cut():
                names = os.listdir(meta_dir)
                cps = [f for f in names if f.endswith(".checkpoint")]
                logs = sorted(f for f in names if f.endswith(".log"))
                return cps and logs and not logs[0].startswith("00000000000000000000") and cps
            # Snapshots come every 1 MiB of records: a few more topics until the log is cut.
            extra = 0
            while not leader_cut() and extra < 200:
                assert create_topic_v0(ctl.address, "snap-extra-%d" % extra, per_topic, 1) == 0
                extra += 1
            cps = wait_for(leader_cut)
            snapshot_bytes = os.path.getsize(os.path.join(meta_dir, sorted(cps)[-1]))
            total = sum(len(t[3]) for t in metadata(ctl.address)[2])
            late = next(n for n in c.nodes if n.id != ctl.id)
            late.stop()
            shutil.rmtree(late.dir)
            late.format(c.cluster_id)
            t0 = time.perf_counter()
            late.spawn()
            late.wait_serving()
            wait_for(lambda: sum(len(t[3]) for t in metadata(late.address)[2]) >= total)
            catch_up = time.perf_counter() - t0
            return total, snapshot_bytes, catch_up
        finally:
            c.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--creates", type=int, default=200)
    ap.add_argument("--kills", type=int, default=30)
    ap.add_argument("--partitions", type=int, default=10000)
    ap.add_argument("--only", help="comma-separated parts: create,failover,many,snapshot")
    a = ap.parse_args()
    ap_only = a.only.split(",") if a.only else ["create", "failover", "many"]
    for size in (1, 3) if "create" in ap_only else ():
        lat = create_latency(a.binary, size, a.creates)
        print("CreateTopics, %d voter(s): p50 %.1f ms, p99 %.1f ms, mean %.1f ms (%d topics)" % (
            size, pct(lat, 50), pct(lat, 99), statistics.mean(lat), len(lat)), flush=True)
    for name, t in ((("Kafka's default timeouts", DEFAULTS), ("shortened timeouts", SHORT))
                    if "failover" in ap_only else ()):
        f = failover(a.binary, a.kills, t)
        print("kill -9 of the controller to the next committed change, %s: p50 %.0f ms, "
              "p99 %.0f ms, max %.0f ms (%d kills)" % (name, pct(f, 50), pct(f, 99), max(f),
                                                       len(f)), flush=True)
    if "snapshot" in ap_only:
        total, size, took = snapshot_catch_up(a.binary, a.partitions)
        print("%d partitions: a wiped node catches up from the leader's snapshot (%.1f MiB) and "
              "serves them all %.2f s after it starts" % (total, size / 1048576.0, took),
              flush=True)
    if "many" not in ap_only:
        return
    per, times, catch_up = many_partitions(a.binary, a.partitions)
    back = ("serves them after %.2f s (from the log: snapshots are not built yet)" % catch_up
            if catch_up is not None else "did NOT serve within 60 s")
    print("%d partitions: %.2f KiB RSS per partition on a node; Metadata (all topics) p50 "
          "%.1f ms, p99 %.1f ms; a node back after 1,000 more partitions %s" % (
              a.partitions, per, pct(times, 50), pct(times, 99), back), flush=True)


if __name__ == "__main__":
    main()
