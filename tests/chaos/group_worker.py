#!/usr/bin/python3
"""One consumer of the groups workload, a child process of tests/chaos/run:

    group_worker.py CLIENT PROCESS BOOTSTRAP TOPIC GROUP HISTORY

A member of the consumer group GROUP on TOPIC (the classic protocol, the range assignor's
default), which partitions move between as members come and go and coordinators fail over. It
records every record it is given, {type: ok, f: consume, partition, offset, value}, and after
each batch commits the positions it reached, synchronously: {type: invoke, f: commit, offsets}
then ok, fail (the broker refused it: a rebalance, an old generation) or unknown. Auto-commit
is off, so a committed offset always follows records this member was given. On SIGTERM it
commits once more, leaves the group and exits.

CLIENT confluent: librdkafka; CLIENT kafka-python: kafka-python 2.0.2 (its own group protocol
implementation)."""

import os
import signal
import sys
import time

import history

SESSION_TIMEOUT_MS = 6000  # a member that stops answering (its coordinator paused) is replaced
POLL_S = 0.2

stopping = False


def on_sigterm(_sig, _frame):
    global stopping
    stopping = True


class Confluent:
    # Errors that say the broker refused the commit; anything else may have been stored.
    REFUSED = ("ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "REBALANCE_IN_PROGRESS",
               "_NO_OFFSET", "FENCED_INSTANCE_ID", "_ASSIGNMENT_LOST")

    def __init__(self, bootstrap, topic, group, log):
        import confluent_kafka as ck

        self.ck, self.log = ck, log
        self.consumer = ck.Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "session.timeout.ms": SESSION_TIMEOUT_MS,
            "heartbeat.interval.ms": 500, "reconnect.backoff.ms": 50,
            "reconnect.backoff.max.ms": 500,
            "error_cb": lambda err: log.event("info", "client-error", error=str(err))})
        self.consumer.subscribe([topic])

    def poll(self):
        """[(partition, offset, value)] of one batch, and {partition: next offset}."""
        out, positions = [], {}
        for m in self.consumer.consume(num_messages=500, timeout=POLL_S):
            if m.error():
                self.log.event("info", "consume-error", error=str(m.error()))
                continue
            out.append((m.partition(), m.offset(), m.value().decode()))
            positions[m.partition()] = m.offset() + 1
        return out, positions

    def commit(self, topic, positions):
        """ok, fail or unknown, and the error."""
        tps = [self.ck.TopicPartition(topic, p, o) for p, o in sorted(positions.items())]
        try:
            result = self.consumer.commit(offsets=tps, asynchronous=False)
        except self.ck.KafkaException as e:
            err = e.args[0]
            return ("fail" if err.name() in self.REFUSED else "unknown"), err.name()
        errors = [tp.error.name() for tp in result or [] if tp.error]
        if not errors:
            return "ok", None
        return ("fail" if all(e in self.REFUSED for e in errors) else "unknown"), ",".join(errors)

    def close(self):
        self.consumer.close()


class KafkaPython:
    def __init__(self, bootstrap, topic, group, log):
        import kafka

        self.kafka, self.log = kafka, log
        self.consumer = kafka.KafkaConsumer(
            topic, bootstrap_servers=bootstrap.split(","), group_id=group,
            enable_auto_commit=False, auto_offset_reset="earliest",
            session_timeout_ms=SESSION_TIMEOUT_MS, heartbeat_interval_ms=500,
            reconnect_backoff_ms=50, reconnect_backoff_max_ms=500)

    def poll(self):
        out, positions = [], {}
        for tp_records in self.consumer.poll(timeout_ms=int(POLL_S * 1000),
                                             max_records=500).values():
            for m in tp_records:
                out.append((m.partition, m.offset, m.value.decode()))
                positions[m.partition] = m.offset + 1
        return out, positions

    def commit(self, topic, positions):
        import kafka.errors as ke

        offsets = {self.kafka.TopicPartition(topic, p): self.kafka.OffsetAndMetadata(o, None)
                   for p, o in positions.items()}
        try:
            self.consumer.commit(offsets)
            return "ok", None
        except (ke.CommitFailedError, ke.IllegalGenerationError, ke.UnknownMemberIdError,
                ke.RebalanceInProgressError) as e:
            return "fail", type(e).__name__
        except Exception as e:  # a timeout or a lost connection: maybe stored
            return "unknown", type(e).__name__

    def close(self):
        self.consumer.close()


CLIENTS = {"confluent": Confluent, "kafka-python": KafkaPython}


def consume(client, log, topic):
    while not stopping:
        records, positions = client.poll()
        for partition, offset, value in records:
            log.event("ok", "consume", partition=partition, offset=offset, value=value)
        if positions:
            log.event("invoke", "commit", offsets=positions)
            outcome, error = client.commit(topic, positions)
            log.event(outcome, "commit", offsets=positions,
                      **({"error": error} if error else {}))


def main():
    client_name, process, bootstrap, topic, group, path = sys.argv[1:]
    signal.signal(signal.SIGTERM, on_sigterm)
    log = history.Writer(path, process)
    client = CLIENTS[client_name](bootstrap, topic, group, log)
    try:
        consume(client, log, topic)
        client.close()
    except Exception as e:  # nothing here expects one: the run must say so
        log.event("info", "fatal", error="%s: %s" % (type(e).__name__, e))
        log.close()
        os._exit(3)
    log.event("info", "left")
    log.close()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
