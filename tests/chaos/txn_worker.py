#!/usr/bin/python3
"""One producer of the transactions workload, a child process of tests/chaos/run:

    txn_worker.py CLIENT PROCESS BOOTSTRAP TOPIC PARTITIONS RATE HISTORY

Runs transactions one after the other, RATE a second, each writing one value to each of two or
three partitions ("<process>/<txn>/<k>", unique in the run), then committing it, or aborting
every fifth on purpose. Each transaction is recorded as invoke (its values and partitions), then
  ok       committed: the commit returned; carries each value's offset (delivery reports);
  fail     aborted: the abort returned, so no value of it may ever be read committed;
  unknown  neither is certain (the commit failed in a way that says nothing, or time ran out).
On SIGTERM it finishes the transaction it is in and exits. A fatal client error (the producer
fenced, an epoch or sequence error the client cannot go on from) is logged as {f: fatal} and the
worker exits 3, which fails the run: with a healthy broker it should not happen.

CLIENT confluent: librdkafka's transactional producer through confluent-kafka-python.
(kafkajs is the independent implementation to add next; kafka-python 2.0.2 has no transactions.)
"""

import os
import signal
import sys
import time

import history

TRANSACTION_TIMEOUT_MS = 15000  # an abandoned transaction ends within a run's recovery time
REQUEST_TIMEOUT_MS = 5000
OPERATION_TIMEOUT_S = 15  # init, commit and abort each, before the outcome counts as unknown
ABORT_EVERY = 5

stopping = False


def on_sigterm(_sig, _frame):
    global stopping
    stopping = True


class Fatal(Exception):
    pass


class AbortRace(Exception):
    """librdkafka 2.0.2 sends EndTxn(abort) while its AddPartitionsToTxn is still being retried
    after CONCURRENT_TRANSACTIONS (the previous transaction's markers not all written yet, e.g.
    a partition leader paused). The coordinator then still holds the previous transaction in
    PrepareCommit and answers INVALID_TXN_STATE, as Kafka's TransactionCoordinator does
    (PrepareCommit + abort), which librdkafka treats as fatal. The transaction ends unknown and
    the producer is replaced, as Kafka says to do after a fatal error; the new producer's
    InitProducerId aborts whatever of the transaction was written."""


class Confluent:
    def __init__(self, process, bootstrap, log):
        import confluent_kafka

        self.ck = confluent_kafka
        self.process, self.bootstrap, self.log = process, bootstrap, log
        self.producer = None
        self.reset()

    def reset(self):
        """A new producer with the same transactional.id: InitProducerId fences the old one
        and aborts whatever it left open (Kafka's recovery after an uncertain outcome). Retried
        until the cluster answers."""
        while True:
            self.producer = self.ck.Producer({
                "bootstrap.servers": self.bootstrap, "transactional.id": self.process,
                "transaction.timeout.ms": TRANSACTION_TIMEOUT_MS,
                "request.timeout.ms": REQUEST_TIMEOUT_MS, "linger.ms": 5,
                "retry.backoff.ms": 100, "reconnect.backoff.ms": 50,
                "reconnect.backoff.max.ms": 500,
                "error_cb": lambda err: self.log.event("info", "client-error", error=str(err))})
            try:
                if self.retrying(lambda t: self.producer.init_transactions(t), "init"):
                    return
            except TimeoutError as e:
                self.log.event("info", "txn-error", op="init", error=str(e))

    def retrying(self, call, what):
        """Runs call(timeout) until it succeeds; True, or False when the transaction must be
        aborted; raises Fatal for errors the producer cannot go on from, TimeoutError when it
        kept failing retriably for OPERATION_TIMEOUT_S."""
        deadline = time.time() + OPERATION_TIMEOUT_S
        while True:
            try:
                call(max(0.5, deadline - time.time()))
                return True
            except self.ck.KafkaException as e:
                err = e.args[0]
                if err.fatal() and what == "abort" and \
                        err.code() == self.ck.KafkaError.INVALID_TXN_STATE:
                    raise AbortRace(str(err))
                if err.fatal():
                    raise Fatal("%s: %s" % (what, err))
                if err.txn_requires_abort():
                    self.log.event("info", "txn-error", op=what, error=str(err))
                    return False
                if not err.retriable() or time.time() >= deadline:
                    raise TimeoutError("%s: %s" % (what, err))
                time.sleep(0.1)

    def transaction(self, topic, values):
        """Begins a transaction and writes values ([(partition, value)]) in it; returns the
        {value: offset} the delivery reports fill in."""
        offsets = {}

        def delivered(err, msg):
            if err is None:
                offsets[msg.value().decode()] = msg.offset()

        self.producer.begin_transaction()
        for partition, value in values:
            while True:
                try:
                    self.producer.produce(topic, value=value.encode(), partition=partition,
                                          on_delivery=delivered)
                    break
                except BufferError:
                    self.producer.poll(0.05)
        return offsets

    def finish(self, commit, offsets):
        """(outcome, error): ok with every value delivered, fail once aborted, else unknown."""
        try:
            if commit and self.retrying(lambda t: self.producer.commit_transaction(t), "commit"):
                return "ok", None
            if self.retrying(lambda t: self.producer.abort_transaction(t), "abort"):
                return "fail", None
            return "unknown", "abort needs another abort"
        except TimeoutError as e:
            return "unknown", str(e)
        except AbortRace as e:
            self.log.event("info", "txn-abort-race", error=str(e))
            return "unknown", "abort race: %s" % e


CLIENTS = {"confluent": Confluent}


def run(client, log, topic, partitions, rate):
    start, n = time.time(), 0
    while not stopping:
        due = start + n / rate
        while not stopping and time.time() < due:
            time.sleep(min(0.01, max(0.0, due - time.time())))
        if stopping:
            return
        width = 2 + n % 2  # two or three partitions, never the same twice in one transaction
        chosen = [(n + k * 2) % partitions for k in range(width)]
        values = [(p, "%s/%d/%d" % (log.process, n, k)) for k, p in enumerate(chosen)]
        commit = n % ABORT_EVERY != ABORT_EVERY - 1
        log.event("invoke", "txn", txn=n, values=values, commit=commit)
        offsets = client.transaction(topic, values)
        outcome, error = client.finish(commit, offsets)
        if outcome == "ok" and len(offsets) != len(values):
            # Committed means every record was written; a missing report is the client's view.
            log.event("info", "txn-missing-offsets", txn=n, got=len(offsets))
        fields = {"offsets": offsets} if outcome == "ok" else {}
        if error:
            fields["error"] = error
        log.event(outcome, "txn", txn=n, **fields)
        n += 1
        if outcome == "unknown":
            client.reset()


def main():
    client_name, process, bootstrap, topic, partitions, rate, path = sys.argv[1:]
    signal.signal(signal.SIGTERM, on_sigterm)
    log = history.Writer(path, process)
    try:
        client = CLIENTS[client_name](process, bootstrap, log)
        run(client, log, topic, int(partitions), float(rate))
    except Exception as e:  # Fatal, or a client error nothing here expects: the run must say so
        log.event("info", "fatal", error="%s: %s" % (type(e).__name__, e))
        log.close()
        os._exit(3)
    log.event("info", "drained", outstanding=0)
    log.close()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
