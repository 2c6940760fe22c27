#!/usr/bin/python3
"""The batch headers of a run's log, a child process of tests/chaos/run after the final read:

    batch_headers.py PROCESS BOOTSTRAP TOPIC PARTITIONS HISTORY

Fetches every partition from its first offset to its high watermark with raw Fetch v4 requests
(kafka-python's protocol classes, sent to each partition's leader) and records, per record
batch, {type: ok, f: batch, partition, base_offset, last_offset, producer_id, producer_epoch,
base_sequence}, then {f: batches-done, partition, offset} (type fail when the partition could
not be read to its end within READ_TIMEOUT_S).

Why: the client libraries hide who wrote a record. A value read twice under one producer id
and epoch is the broker's duplicate (idempotence must refuse it); under two epochs of one
producer it is the client's, which bumped its epoch (KIP-360) and sent the value again as new
batches that no broker can recognise as retries (RESULTS.md, librdkafka #4953 and #4438). The
checker tells them apart with these headers. Only the fixed 61-byte header of each batch is
decoded: it is never compressed."""

import struct
import sys
import time

import history

READ_TIMEOUT_S = 120
MAX_BYTES = 4 << 20
# baseOffset, batchLength, partitionLeaderEpoch, magic, crc, attributes, lastOffsetDelta,
# firstTimestamp, maxTimestamp, producerId, producerEpoch, baseSequence, recordCount
HEADER = struct.Struct(">qiibIhiqqqhii")
LOG_OVERHEAD = 12  # baseOffset and batchLength precede what batchLength counts


def parse_batches(data):
    """[(base_offset, last_offset, producer_id, producer_epoch, base_sequence)] of the whole
    batches in a Fetch response's records; a batch cut off by the response's size is left out."""
    out, pos = [], 0
    while pos + HEADER.size <= len(data):
        (base, length, _, magic, _, _, last_delta, _, _, pid, epoch, seq,
         _) = HEADER.unpack_from(data, pos)
        if pos + LOG_OVERHEAD + length > len(data):
            break
        if magic == 2:
            out.append((base, base + last_delta, pid, epoch, seq))
        pos += LOG_OVERHEAD + length
    return out


def read_headers(bootstrap, topic, partitions, log):
    from kafka.client_async import KafkaClient
    from kafka.protocol.fetch import FetchRequest
    from kafka.structs import TopicPartition

    client = KafkaClient(bootstrap_servers=bootstrap.split(","), client_id="chaos-batches")
    client.add_topic(topic)
    position = {p: 0 for p in range(partitions)}
    ends = {}
    deadline = time.time() + READ_TIMEOUT_S
    while time.time() < deadline and (len(ends) < partitions or
                                      any(position[p] < ends[p] for p in ends)):
        client.poll(future=client.cluster.request_update(), timeout_ms=5000)
        for p in range(partitions):
            if p in ends and position[p] >= ends[p]:
                continue
            leader = client.cluster.leader_for_partition(TopicPartition(topic, p))
            if leader is None or leader < 0 or not client.ready(leader):
                client.poll(timeout_ms=100)
                continue
            # replica_id -1 (a consumer), max_wait 100 ms, min_bytes 1, read_uncommitted
            request = FetchRequest[4](-1, 100, 1, MAX_BYTES, 0,
                                      [(topic, [(p, position[p], MAX_BYTES)])])
            future = client.send(leader, request)
            client.poll(future=future, timeout_ms=10000)
            if not future.succeeded():
                log.event("info", "batches-error", partition=p, error=str(future.exception))
                continue
            _, error, high_watermark, _, _, records = future.value.topics[0][1][0]
            if error:
                log.event("info", "batches-error", partition=p, error=error)
                continue
            ends.setdefault(p, high_watermark)  # the end as the first answer saw it
            for base, last, pid, epoch, seq in parse_batches(records):
                if last >= position[p] and base < ends[p]:
                    log.event("ok", "batch", partition=p, base_offset=base, last_offset=last,
                              producer_id=pid, producer_epoch=epoch, base_sequence=seq)
                position[p] = max(position[p], last + 1)
    client.close()
    return ends, position


def main():
    process, bootstrap, topic, partitions, path = sys.argv[1:6]
    log = history.Writer(path, process)
    ends, position = read_headers(bootstrap, topic, int(partitions), log)
    for p in range(int(partitions)):
        if p in ends and position[p] >= ends[p]:
            log.event("ok", "batches-done", partition=p, offset=ends[p])
        else:
            log.event("fail", "batches-done", partition=p, offset=position[p], end=ends.get(p))
    log.close()


if __name__ == "__main__":
    main()
