#!/usr/bin/python3
"""The final read of a run, a child process of tests/chaos/run, after every fault has healed:

    final_read.py CLIENT PROCESS BOOTSTRAP TOPIC PARTITIONS HISTORY [ISOLATION]

Reads every partition from its first offset up to the high watermark taken at the start,
without a group, and records each record as {type: ok, f: read, partition, offset, value},
then {type: ok, f: read-done, partition, offset: high watermark} per partition, or type fail
when the partition could not be read to its end within READ_TIMEOUT_S. CLIENT: confluent
(librdkafka) or kafka-python; two independent readers, which the checker compares. ISOLATION
(confluent only): read_uncommitted (default) or read_committed, recorded in a read-start event; the
reader's position comes from the client, so control records (transaction markers) that end a
partition count as read."""

import sys
import time

import history

READ_TIMEOUT_S = 120


def read_confluent(bootstrap, topic, partitions, log, isolation):
    import confluent_kafka as ck

    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "chaos-final-read",
                     "enable.auto.commit": False, "enable.partition.eof": False,
                     "isolation.level": isolation})
    ends = {p: c.get_watermark_offsets(ck.TopicPartition(topic, p), timeout=30)[1]
            for p in range(partitions)}
    c.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(partitions)])
    position = {p: 0 for p in range(partitions)}
    deadline = time.time() + READ_TIMEOUT_S
    while any(position[p] < ends[p] for p in ends) and time.time() < deadline:
        for m in c.consume(num_messages=10000, timeout=0.5):
            if m.error():
                log.event("info", "read-error", error=str(m.error()))
                continue
            if m.offset() < ends[m.partition()]:
                log.event("ok", "read", partition=m.partition(), offset=m.offset(),
                          value=m.value().decode())
            position[m.partition()] = m.offset() + 1
        for tp in c.position([ck.TopicPartition(topic, p) for p in range(partitions)]):
            if tp.offset >= 0:  # past control records too, which are never returned
                position[tp.partition] = max(position[tp.partition], tp.offset)
    c.close()
    return ends, position


def read_kafka_python(bootstrap, topic, partitions, log, isolation):
    # kafka-python 2.0.2 has no isolation level (it reads uncommitted): the append workload's.
    assert isolation == "read_uncommitted", "kafka-python 2.0.2 cannot read committed"
    import kafka

    c = kafka.KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None,
                            enable_auto_commit=False, auto_offset_reset="earliest")
    tps = [kafka.TopicPartition(topic, p) for p in range(partitions)]
    c.assign(tps)
    ends = {tp.partition: o for tp, o in c.end_offsets(tps).items()}
    c.seek_to_beginning(*tps)
    position = {p: 0 for p in range(partitions)}
    deadline = time.time() + READ_TIMEOUT_S
    while any(position[p] < ends[p] for p in ends) and time.time() < deadline:
        for tp_records in c.poll(timeout_ms=500, max_records=10000).values():
            for m in tp_records:
                if m.offset < ends[m.partition]:
                    log.event("ok", "read", partition=m.partition, offset=m.offset,
                              value=m.value.decode())
                position[m.partition] = m.offset + 1
    c.close()
    return ends, position


READERS = {"confluent": read_confluent, "kafka-python": read_kafka_python}


def main():
    client, process, bootstrap, topic, partitions, path = sys.argv[1:7]
    isolation = sys.argv[7] if len(sys.argv) > 7 else "read_uncommitted"
    log = history.Writer(path, process)
    log.event("info", "read-start", isolation=isolation)
    ends, position = READERS[client](bootstrap, topic, int(partitions), log, isolation)
    for p in sorted(ends):
        if position[p] >= ends[p]:
            log.event("ok", "read-done", partition=p, offset=ends[p])
        else:
            log.event("fail", "read-done", partition=p, offset=position[p], end=ends[p])
    log.close()


if __name__ == "__main__":
    main()
