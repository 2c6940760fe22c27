"""Transactional clients for test_transactions.py, each a subprocess that a test can kill -9.
Every child prints one JSON event per line on stdout, flushed at once, and stops cleanly (exit 0)
when its stdin says "stop" (or ends).

  python3 txn_clients.py processor '<json>'   consume-transform-produce (confluent-kafka-python):
      a group consumer (isolation.level=read_committed, no auto commit, static member) copies
      each polled batch of the input topic to the same partition of the output topic inside one
      transaction that also commits the consumer's positions (send_offsets_to_transaction).
      Events: ready (producer initialised and partitions assigned), begin {n}, commit {pos},
      abort {m} (an abortable error: the transaction is aborted and the consumer rewound to
      the committed offsets); any other error ends it with a traceback (exit 1).
  python3 txn_clients.py committer '<json>'   transaction i writes `per` values "i:p:j" to every
      partition p of a topic, then commits; retriable commit errors are retried, abortable ones
      abort. Events: ready, commit {i}, abort {i}, error {m}.
  python3 txn_clients.py hang '<json>'        begins a transaction, produces `n` values, waits
      until they are written, prints produced, and then never commits.
The TxnChild class below starts and watches one from a test."""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
# librdkafka backs off reconnecting up to 10 s, growing with every broker restart a test makes;
# 1 s keeps the restart tests short.
RECONNECT_MAX_MS = 1000


# ---- the parent side --------------------------------------------------------------------------

class TxnChild:
    """One child process and the events it printed (read by a thread)."""

    def __init__(self, mode, config, cmd=None):
        self.mode = mode
        self.events = []
        self.stderr = []
        self._cv = threading.Condition()
        self.proc = subprocess.Popen(
            cmd or [PYTHON, os.path.join(HERE, "txn_clients.py"), mode, json.dumps(config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.started = time.time()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                ev = {"e": "garbage", "m": line}
            with self._cv:
                self.events.append(ev)
                self._cv.notify_all()
        with self._cv:
            self.events.append({"e": "eof"})
            self._cv.notify_all()

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def count(self, kind):
        with self._cv:
            return sum(1 for e in self.events if e["e"] == kind)

    def last(self, kinds):
        with self._cv:
            return next((e for e in reversed(self.events) if e["e"] in kinds), None)

    def of(self, kind):
        with self._cv:
            return [e for e in self.events if e["e"] == kind]

    def wait(self, predicate, timeout_s, what):
        """Waits until predicate(events) holds; fails with the child's output if it exits first
        or the time runs out."""
        deadline = time.time() + timeout_s
        with self._cv:
            while not predicate(self.events):
                if self.events and self.events[-1]["e"] == "eof":
                    raise AssertionError("%s exited (%s) before %s; stderr:\n%s" % (
                        self.mode, self.proc.wait(), what, "".join(self.stderr)[-3000:]))
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("%s: no %s within %d s; last events %s; stderr:\n%s" % (
                        self.mode, what, timeout_s, self.events[-5:],
                        "".join(self.stderr)[-3000:]))
                self._cv.wait(min(left, 0.5))

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout_s=60):
        """Asks the child to stop and requires a clean exit."""
        try:
            self.proc.stdin.write("stop\n")
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        try:
            code = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise AssertionError("%s did not stop within %d s; stderr:\n%s" % (
                self.mode, timeout_s, "".join(self.stderr)[-3000:]))
        assert code == 0, "%s exited %d; stderr:\n%s" % (self.mode, code,
                                                         "".join(self.stderr)[-3000:])

    def close(self):
        if self.proc.poll() is None:
            self.kill9()


# ---- the child side ---------------------------------------------------------------------------

def emit(**ev):
    ev["t"] = time.time()
    sys.stdout.write(json.dumps(ev) + "\n")
    sys.stdout.flush()


def watch_stdin():
    """An event set when stdin says stop or closes."""
    stop = threading.Event()

    def run():
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stop.set()

    threading.Thread(target=run, daemon=True).start()
    return stop


def run_processor(cfg):
    import confluent_kafka as ck

    stop = watch_stdin()
    rng = random.Random(cfg.get("seed"))
    producer = ck.Producer({
        "bootstrap.servers": cfg["bootstrap"], "transactional.id": cfg["transactional_id"],
        "transaction.timeout.ms": cfg.get("transaction_timeout_ms", 20000), "linger.ms": 2,
        "reconnect.backoff.max.ms": RECONNECT_MAX_MS})
    producer.init_transactions(60)
    assigned = threading.Event()
    consumer = ck.Consumer({
        "bootstrap.servers": cfg["bootstrap"], "group.id": cfg["group"],
        # Static membership: a restarted processor takes its partitions back at once instead of
        # waiting out the killed one's session.
        "group.instance.id": cfg["instance_id"], "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500, "isolation.level": "read_committed",
        "enable.auto.commit": False, "auto.offset.reset": "earliest",
        "reconnect.backoff.max.ms": RECONNECT_MAX_MS})
    consumer.subscribe([cfg["input"]], on_assign=lambda c, parts: assigned.set())
    per_message_s = cfg.get("per_message_ms", 0) / 1000.0
    ready = False
    while not stop.is_set():
        msgs = consumer.consume(num_messages=rng.randint(1, cfg.get("max_batch", 20)),
                                timeout=0.3)
        if not ready and assigned.is_set():
            emit(e="ready")  # the assignment callback ran inside consume()
            ready = True
        for m in msgs:
            if m.error():
                emit(e="consumer_error", m=str(m.error()), fatal=m.error().fatal())
                if m.error().fatal():  # e.g. FENCED_INSTANCE_ID: a newer processor took over
                    raise ck.KafkaException(m.error())
        msgs = [m for m in msgs if not m.error()]
        if not msgs:
            continue
        producer.begin_transaction()
        emit(e="begin", n=len(msgs))
        for m in msgs:
            producer.produce(cfg["output"], key=m.key(), value=m.value(),
                             partition=m.partition())
            producer.poll(0)
            if per_message_s:
                time.sleep(per_message_s)
        positions = consumer.position(consumer.assignment())
        try:
            producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(),
                                                 60)
            commit_retrying(producer)
        except ck.KafkaException as e:
            # What an exactly-once application does with an abortable error (e.g. the group
            # coordinator no longer knows this member): abort, and read again from the
            # committed offsets.
            if not e.args[0].txn_requires_abort():
                raise
            emit(e="abort", m=str(e.args[0]))
            abort_retrying(producer)
            rewind(consumer)
            continue
        emit(e="commit", pos={str(tp.partition): tp.offset for tp in positions if tp.offset >= 0})
    consumer.close()


def run_committer(cfg):
    import confluent_kafka as ck

    stop = watch_stdin()
    producer = ck.Producer({
        "bootstrap.servers": cfg["bootstrap"], "transactional.id": cfg["transactional_id"],
        "transaction.timeout.ms": cfg.get("transaction_timeout_ms", 30000), "linger.ms": 1,
        "reconnect.backoff.max.ms": RECONNECT_MAX_MS})
    producer.init_transactions(120)
    emit(e="ready")
    i = 0
    while not stop.is_set():
        producer.begin_transaction()
        for p in range(cfg["partitions"]):
            for j in range(cfg["per"]):
                producer.produce(cfg["topic"], value=b"%d:%d:%d" % (i, p, j), partition=p)
        emit(e="begin", i=i)
        end_transaction(producer, i)
        i += 1


def commit_retrying(producer):
    """commit_transaction, again while librdkafka calls the error retriable (a broker away)."""
    import confluent_kafka as ck

    while True:
        try:
            producer.commit_transaction(30)
            return
        except ck.KafkaException as e:
            if not e.args[0].retriable():
                raise
            emit(e="error", m=str(e.args[0]), retriable=True)


def abort_retrying(producer):
    import confluent_kafka as ck

    while True:
        try:
            producer.abort_transaction(30)
            return
        except ck.KafkaException as e:
            if not e.args[0].retriable():
                raise
            emit(e="error", m=str(e.args[0]), retriable=True)


def rewind(consumer):
    """Seeks every assigned partition back to its committed offset (the beginning if none)."""
    import confluent_kafka as ck

    for tp in consumer.committed(consumer.assignment(), timeout=60):
        if tp.offset < 0:
            tp.offset = ck.OFFSET_BEGINNING
        try:
            consumer.seek(tp)
        except ck.KafkaException as e:  # no longer assigned: a new assignment starts anew
            emit(e="error", m="seek %s: %s" % (tp, e.args[0]))


def end_transaction(producer, i):
    """Commits transaction i: retries while librdkafka calls the error retriable (the broker is
    away), aborts when it says the transaction must abort, raises when it is fatal."""
    import confluent_kafka as ck

    try:
        commit_retrying(producer)
        emit(e="commit", i=i)
    except ck.KafkaException as e:
        err = e.args[0]
        emit(e="error", m=str(err), abort=err.txn_requires_abort(), fatal=err.fatal())
        if not err.txn_requires_abort():
            raise
        abort_retrying(producer)
        emit(e="abort", i=i)


def run_hang(cfg):
    import confluent_kafka as ck

    stop = watch_stdin()
    producer = ck.Producer({
        "bootstrap.servers": cfg["bootstrap"], "transactional.id": cfg["transactional_id"],
        "transaction.timeout.ms": cfg["transaction_timeout_ms"]})
    producer.init_transactions(60)
    producer.begin_transaction()
    for j in range(cfg["n"]):
        producer.produce(cfg["topic"], value=b"hung-%d" % j, partition=0)
    assert producer.flush(60) == 0
    emit(e="produced")
    stop.wait()


if __name__ == "__main__":
    modes = {"processor": run_processor, "committer": run_committer, "hang": run_hang}
    modes[sys.argv[1]](json.loads(sys.argv[2]))
