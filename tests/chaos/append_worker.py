#!/usr/bin/python3
"""One producer of the append workload, a child process of tests/chaos/run:

    append_worker.py CLIENT PROCESS BOOTSTRAP TOPIC PARTITIONS RATE HISTORY

Sends unique values "<process>/<partition>/<n>" round-robin over the partitions, RATE a second,
with acks=all, and records each as invoke, then ok (partition, offset), fail (definitely not
written) or unknown (may or may not be written: a timeout, a lost connection). On SIGTERM it
stops sending, waits up to DRAIN_S for outstanding answers and exits; what is still outstanding
stays invoked only, which the checker reads as unknown. An error the client cannot go on from
(librdkafka's fatal idempotence errors, e.g. OUT_OF_ORDER_SEQUENCE_NUMBER when the broker lost
a producer's state) is logged as {type: info, f: fatal} and the worker exits 3, which makes the
run fail: with a healthy broker it should never happen.

CLIENT confluent: librdkafka through confluent-kafka-python, enable.idempotence=true.
CLIENT kafka-python: kafka-python 2.0.2, which has no idempotent producer: retries=0 and one
request in flight, so it never writes a value twice itself; its invokes say idempotent=false."""

import os
import signal
import sys
import time

import history

DRAIN_S = 20
OUTSTANDING_MAX = 2000  # bounded: a stalled broker makes the worker wait, not buffer forever
REQUEST_TIMEOUT_MS = 5000
# Below most of the nemesis' pauses, so some writes end unknown. librdkafka 2.0.2's idempotent
# producer duplicates on its own under faults either way (RESULTS.md, session 11): with a
# delivery timeout shorter than a fault, it bumps its epoch after a message times out and
# resends possibly-written messages as new batches (librdkafka #4953); with a longer one
# (120 s tried), the same happens after a pause (its pre-2.3 "possibly persisted" handling,
# librdkafka #4438). A short timeout keeps the single-node runs clean; RF=3 runs need the
# checker to tell client epochs apart (batch headers), which is next.
DELIVERY_TIMEOUT_MS = 6000

stopping = False


def on_sigterm(_sig, _frame):
    global stopping
    stopping = True


class Confluent:
    # librdkafka errors after which the message was certainly not written: it never left the
    # client's queue, or the broker refused it as a whole. Everything else (timeouts, in-flight
    # purges, transport errors, a fatal idempotence error) may have been written: unknown.
    DEFINITE = ("_PURGE_QUEUE", "MSG_SIZE_TOO_LARGE", "_MSG_SIZE_TOO_LARGE", "INVALID_RECORD",
                "_UNKNOWN_TOPIC", "_UNKNOWN_PARTITION", "TOPIC_AUTHORIZATION_FAILED")
    idempotent = True

    def __init__(self, bootstrap, log):
        import confluent_kafka

        self.log = log
        self.producer = confluent_kafka.Producer({
            "bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
            "linger.ms": 5, "request.timeout.ms": REQUEST_TIMEOUT_MS,
            "message.timeout.ms": DELIVERY_TIMEOUT_MS, "retry.backoff.ms": 100,
            "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 500,
            "error_cb": lambda err: log.event("info", "client-error", error=str(err))})
        self.outstanding = 0

    def send(self, topic, partition, value):
        def delivered(err, msg):
            self.outstanding -= 1
            if err is None:
                self.log.event("ok", "append", partition=msg.partition(), offset=msg.offset(),
                               value=value)
            else:
                kind = "fail" if err.name() in self.DEFINITE else "unknown"
                self.log.event(kind, "append", partition=partition, value=value,
                               error=err.name())

        while True:
            try:
                self.producer.produce(topic, value=value.encode(), partition=partition,
                                      on_delivery=delivered)
                self.outstanding += 1
                return
            except BufferError:
                self.producer.poll(0.05)

    def poll(self, timeout_s):
        self.producer.poll(timeout_s)

    def pending(self):
        return self.outstanding


class KafkaPython:
    # Errors the broker answered for the whole batch, so it wrote nothing, and a batch expired
    # in the client's accumulator (KafkaTimeoutError "... expired ...": with retries=0 and one
    # request in flight it was never sent). Any other error (a request timeout, a dropped
    # connection) leaves the write unknown. NotLeaderForPartitionError is not definite: with
    # acks=all Kafka answers it also after the local append, when the leadership moves while
    # the batch waits for the ISR (DelayedProduce), and the batch may stay in the log.
    DEFINITE = ("MessageSizeTooLargeError", "UnknownTopicOrPartitionError",
                "InvalidRecordError", "CorruptRecordException",
                "RecordListTooLargeError", "TopicAuthorizationFailedError")
    idempotent = False

    def __init__(self, bootstrap, log):
        import kafka

        self.log = log
        self.producer = kafka.KafkaProducer(
            bootstrap_servers=bootstrap.split(","), acks="all", retries=0,
            max_in_flight_requests_per_connection=1, linger_ms=5,
            request_timeout_ms=REQUEST_TIMEOUT_MS, max_block_ms=REQUEST_TIMEOUT_MS,
            reconnect_backoff_ms=50, reconnect_backoff_max_ms=500)
        self.outstanding = 0  # changed on the client's sender thread too; a rough bound is enough

    def send(self, topic, partition, value):
        import kafka.errors

        def ok(meta):
            self.outstanding -= 1
            self.log.event("ok", "append", partition=meta.partition, offset=meta.offset,
                           value=value)

        def failed(exc):
            self.outstanding -= 1
            name = type(exc).__name__
            expired = isinstance(exc, kafka.errors.KafkaTimeoutError) and "expired" in str(exc)
            kind = "fail" if name in self.DEFINITE or expired else "unknown"
            self.log.event(kind, "append", partition=partition, value=value, error=name)

        try:
            future = self.producer.send(topic, value=value.encode(), partition=partition)
        except kafka.errors.KafkaTimeoutError as e:  # never left the client: no metadata
            self.log.event("fail", "append", partition=partition, value=value,
                           error=type(e).__name__)
            return
        self.outstanding += 1
        future.add_callback(ok)
        future.add_errback(failed)

    def poll(self, timeout_s):
        time.sleep(timeout_s)

    def pending(self):
        return self.outstanding


CLIENTS = {"confluent": Confluent, "kafka-python": KafkaPython}


def produce(client, log, topic, partitions, rate):
    """Sends until SIGTERM at `rate` values a second, paced against the start time."""
    start, n = time.time(), 0
    while not stopping:
        due = start + n / rate
        while not stopping and time.time() < due:
            client.poll(min(0.01, max(0.0, due - time.time())))
        while not stopping and client.pending() >= OUTSTANDING_MAX:
            client.poll(0.05)
        if stopping:
            return
        partition = n % partitions
        value = "%s/%d/%d" % (log.process, partition, n // partitions)
        log.event("invoke", "append", partition=partition, value=value,
                  idempotent=client.idempotent)
        client.send(topic, partition, value)
        n += 1


def main():
    client_name, process, bootstrap, topic, partitions, rate, path = sys.argv[1:]
    signal.signal(signal.SIGTERM, on_sigterm)
    log = history.Writer(path, process)
    client = CLIENTS[client_name](bootstrap, log)
    try:
        produce(client, log, topic, int(partitions), float(rate))
    except Exception as e:  # e.g. librdkafka's fatal idempotence error: the run must say so
        log.event("info", "fatal", error=str(e))
        log.close()
        os._exit(3)
    deadline = time.time() + DRAIN_S
    while client.pending() > 0 and time.time() < deadline:
        client.poll(0.1)
    log.event("info", "drained", outstanding=client.pending())
    log.close()
    # Leave without the clients' own shutdown, which may wait on a broker that does not answer.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
