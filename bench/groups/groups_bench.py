#!/usr/bin/env python3
"""Consumer-group benchmark (issue 6), with confluent-kafka-python (librdkafka) members.

join: N members subscribe to one topic of P partitions, each partition holding one message, at
  the same instant (threads released by one barrier). Reported: time from the first subscribe to
  every member having its assignment, and to every member having fetched its first message.
  Run twice on fresh brokers: with Kafka's default group.initial.rebalance.delay.ms (3000) and
  with 0. Kafka's rule for a new group (GroupMetadataManager, "initial rebalance"): the join
  phase waits the delay, and waits another delay (bounded by the rebalance timeout) whenever a
  member joined during the previous one, so N > 1 members arriving together wait 2 x delay.
  The "overhead" column is the time beyond what that rule prescribes.
commit: one member commits one offset synchronously in a loop: commits/s, p50 and p99 latency.
"""

import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "interop"))
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
import harness  # noqa: E402


def prepare_topic(broker, topic, partitions):
    broker.create_topic(topic, partitions)
    broker.wait_for_topic(topic, partitions)
    p = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5})
    for i in range(partitions):
        p.produce(topic, value=b"m%d" % i, partition=i)
    assert p.flush(30) == 0, "messages not delivered"


def join(binary, members, partitions, delay_ms):
    broker = harness.VltavaBroker(binary, extra_sets=[
        "group.initial.rebalance.delay.ms=%d" % delay_ms])
    try:
        topic = "join-bench"
        prepare_topic(broker, topic, partitions)
        start = threading.Barrier(members + 1)
        assigned = [None] * members
        fetched = [None] * members
        counts = [0] * members
        t0 = [0.0]

        def member(i):
            c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "join-bench",
                          "auto.offset.reset": "earliest", "enable.auto.commit": False,
                          "session.timeout.ms": 30000, "client.id": "m%d" % i})

            def on_assign(consumer, tps):
                if assigned[i] is None:
                    assigned[i] = time.monotonic()
                counts[i] = len(tps)

            start.wait()
            c.subscribe([topic], on_assign=on_assign)
            deadline = time.monotonic() + 60
            while fetched[i] is None and time.monotonic() < deadline:
                m = c.poll(0.05)
                if m is not None and m.error() is None:
                    fetched[i] = time.monotonic()
            # Stay in the group until everyone has fetched: a leaver would rebalance the rest.
            while None in fetched and time.monotonic() < deadline:
                c.poll(0.05)
            c.close()

        threads = [threading.Thread(target=member, args=(i,)) for i in range(members)]
        for t in threads:
            t.start()
        t0[0] = time.monotonic()
        start.wait()
        for t in threads:
            t.join()
        assert None not in fetched, "a member never fetched: %r" % fetched
        assert sum(counts) == partitions, "assignments cover %d partitions" % sum(counts)
        return (max(assigned) - t0[0]) * 1000, (max(fetched) - t0[0]) * 1000
    finally:
        broker.stop()


def commits(binary, seconds):
    broker = harness.VltavaBroker(binary)
    try:
        topic = "commit-bench"
        prepare_topic(broker, topic, 1)
        c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "commit-bench",
                      "enable.auto.commit": False})
        c.assign([TopicPartition(topic, 0, 0)])
        c.commit(offsets=[TopicPartition(topic, 0, 0)], asynchronous=False)  # warm up
        lat = []
        end = time.monotonic() + seconds
        n = 0
        while time.monotonic() < end:
            n += 1
            t = time.monotonic()
            c.commit(offsets=[TopicPartition(topic, 0, n)], asynchronous=False)
            lat.append((time.monotonic() - t) * 1000)
        got = c.committed([TopicPartition(topic, 0)], timeout=10)[0].offset
        assert got == n, "committed offset %d, expected %d" % (got, n)
        c.close()
        lat.sort()
        return len(lat) / seconds, lat[len(lat) // 2], lat[int(len(lat) * 0.99)]
    finally:
        broker.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vltava", required=True)
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--partitions", type=int, default=100)
    ap.add_argument("--commit-seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    print("| initial delay | rule (ms) | all assigned (ms) | all fetching (ms) | overhead (ms) |")
    print("|---|---|---|---|---|")
    for delay in (3000, 0):
        rule = 2 * delay if a.members > 1 else delay
        for _ in range(a.rounds):
            assigned, fetching = join(a.vltava, a.members, a.partitions, delay)
            print("| %d | %d | %.0f | %.0f | %.0f |" % (delay, rule, assigned, fetching,
                                                       fetching - rule), flush=True)
    rate, p50, p99 = commits(a.vltava, a.commit_seconds)
    print("\none synchronous committer: %.0f commits/s, p50 %.2f ms, p99 %.2f ms" % (rate, p50, p99))


if __name__ == "__main__":
    main()
