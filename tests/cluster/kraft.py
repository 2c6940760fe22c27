"""Clusters of real `vltava serve` processes for the cluster tests: N combined nodes (broker and
controller) on 127.0.0.2 ... 127.0.0.N+1, a static controller quorum, one shared cluster id
written by `vltava storage format`. Or (process.roles) N controller-only nodes followed by M
broker-only nodes on the next addresses: a controller listens on CONTROLLER only, a broker on
PLAINTEXT only. Processes are started and reaped by tests/chaos/harness.py
(process groups, reaped however the test ends)."""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "chaos"))
import harness  # noqa: E402

START_TIMEOUT_S = 60


class KraftNode:
    def __init__(self, binary, node_id, run_dir, voters, roles="broker,controller"):
        self.binary = binary
        # The broker listener's name (a security protocol name, e.g. SASL_PLAINTEXT) and more
        # settings for every node (SASL, an authorizer).
        self.broker_listener = "PLAINTEXT"
        self.extra = []
        self.id = node_id
        self.roles = roles
        self.host = "127.0.0.%d" % (node_id + 1)
        self.port = harness.free_port(self.host)
        self.controller_port = harness.free_port(self.host)
        self.address = "%s:%d" % (self.host, self.port)
        self.dir = os.path.join(run_dir, "node-%d" % node_id)
        self.log_path = os.path.join(run_dir, "node-%d.log" % node_id)
        self.voters = voters
        self.proc = None
        # Replaces the shortened test timeouts below (bench/cluster measures Kafka's defaults).
        self.timeouts = ["controller.quorum.election.timeout.ms=500",
                         "controller.quorum.fetch.timeout.ms=1000",
                         # A killed broker's id is free again (and a silent one fenced) within 3 s.
                         "broker.session.timeout.ms=3000", "broker.heartbeat.interval.ms=500"]

    @property
    def is_broker(self):
        return "broker" in self.roles.split(",")

    @property
    def is_controller(self):
        return "controller" in self.roles.split(",")

    @property
    def controller_address(self):
        return "%s:%d" % (self.host, self.controller_port)

    def sets(self):
        listeners = []
        if self.is_broker:
            listeners.append("%s://%s" % (self.broker_listener, self.address))
        if self.is_controller:
            listeners.append("CONTROLLER://%s" % self.controller_address)
        return ["node.id=%d" % self.id, "log.dir=%s" % self.dir,
                "process.roles=%s" % self.roles, "listeners=%s" % ",".join(listeners),
                "controller.quorum.voters=%s" % self.voters] + self.timeouts + self.extra

    def args(self):
        return [a for kv in self.sets() for a in ("--set", kv)]

    def format(self, cluster_id):
        subprocess.run([self.binary, "storage", "format", "--cluster-id", cluster_id] + self.args(),
                       check=True, capture_output=True, env=dict(os.environ,
                                                                 ASAN_OPTIONS="detect_leaks=0"))

    def spawn(self):
        assert self.proc is None
        self.proc = harness.spawn([self.binary, "serve"] + self.args(),
                                  self.log_path)

    def wait_serving(self):
        deadline = time.time() + START_TIMEOUT_S
        # A controller-only node has no client listener: it serves once its controller does.
        port = self.port if self.is_broker else self.controller_port
        while not harness.answers_api_versions(self.host, port):
            code = self.proc.poll()
            assert code is None, "node %d exited %d; log:\n%s" % (self.id, code, self.log_tail())
            assert time.time() < deadline, "node %d not serving; log:\n%s" % (
                self.id, self.log_tail())
            time.sleep(0.05)

    def kill9(self):
        harness.reap(self.proc, signal.SIGKILL)
        self.proc = None

    def stop(self):
        if self.proc is None:
            return 0
        harness.signal_group(self.proc, signal.SIGTERM)
        try:
            code = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            code = None
        harness.reap(self.proc)
        self.proc = None
        return code

    def log_tail(self, n=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return "(no log)"


class KraftCluster:
    def __init__(self, binary, size, run_dir, timeouts=None, brokers=0,
                 broker_listener="PLAINTEXT", extra=()):
        """`size` combined nodes; with `brokers` > 0, `size` controller-only nodes (the voters)
        and then `brokers` broker-only nodes (observers of the quorum). `broker_listener` names
        the broker listener (the CONTROLLER listener stays PLAINTEXT); `extra` settings go to
        every node."""
        self.nodes = []
        controller_roles = "controller" if brokers else "broker,controller"
        draft = [KraftNode(binary, i, run_dir, "", controller_roles) for i in range(1, size + 1)]
        voters = ",".join("%d@%s:%d" % (n.id, n.host, n.controller_port) for n in draft)
        draft += [KraftNode(binary, i, run_dir, "", "broker")
                  for i in range(size + 1, size + brokers + 1)]
        for n in draft:
            n.voters = voters
            if timeouts is not None:
                n.timeouts = list(timeouts)
            n.broker_listener = broker_listener
            n.extra = list(extra)
        self.nodes = draft
        cluster_id = subprocess.run([binary, "storage", "random-uuid"], check=True,
                                    capture_output=True, text=True).stdout.strip()
        for n in self.nodes:
            n.format(cluster_id)
        self.cluster_id = cluster_id

    def node(self, node_id):
        return self.nodes[node_id - 1]

    def start(self):
        # All at once: a node serves clients only once the quorum (a majority) has a leader.
        for n in self.nodes:
            n.spawn()
        for n in self.nodes:
            n.wait_serving()

    def running(self):
        return [n for n in self.nodes if n.proc is not None]

    def stop(self):
        return {n.id: n.stop() for n in self.nodes}


def wait_for(what, check, timeout_s=30):
    """`check()`'s first truthy value, asked every 100 ms until `timeout_s`; an OSError (a node
    mid-election, restarting or cut off) counts as not yet."""
    deadline = time.time() + timeout_s
    last = None
    while time.time() < deadline:
        try:
            last = check()
        except OSError as e:
            last = e
        else:
            if last:
                return last
        time.sleep(0.1)
    raise AssertionError("timed out after %ds waiting for %s (last: %r)" % (timeout_s, what, last))
