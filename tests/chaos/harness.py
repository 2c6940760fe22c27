"""Processes of a chaos run: N `vltava serve` nodes on 127.0.0.2 ... 127.0.0.N+1, each with its own
data directory and free ports, and the client workers; all torn down however the run ends. The
clients connect from 127.0.0.1, which no node uses, so firewall rules between nodes (the
nemesis' partitions, matching address pairs) never cut a client off. Several nodes form one
KRaft cluster: every node is broker and controller, with a static quorum and one cluster id.

Every child runs in its own process group (so a signal reaches whatever it starts too), is
registered in `_groups` until reaped, and gets SIGKILL from the kernel if this process dies
(PR_SET_PDEATHSIG). `install_teardown()` reaps every registered group at exit, on SIGTERM,
SIGINT and SIGHUP, and after an uncaught exception (a failing assertion), so no run leaves a
broker or client behind. Children must be started from the main thread: the kernel sends the
death signal when the thread that forked them ends, not the process."""

import atexit
import ctypes
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

from firewall import Firewall

START_TIMEOUT_S = 60  # an ASan node replays its logs after kill -9 before it answers
STOP_TIMEOUT_S = 30

_groups = set()  # process-group ids of live children
_mounts = []  # small filesystems mounted for nodes' data directories, unmounted at teardown
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Runs in the child between fork and exec."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(cmd, log_path, env=None):
    """Starts cmd in a new process group, output appended to log_path; registered for teardown."""
    assert threading.current_thread() is threading.main_thread(), "spawn from the main thread"
    log = open(log_path, "ab")
    log.write(("\n=== %s %s\n" % (time.strftime("%H:%M:%S"), " ".join(cmd))).encode())
    log.flush()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, preexec_fn=_die_with_parent, env=env)
    log.close()
    _groups.add(proc.pid)
    return proc


def signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def reap(proc, sig=signal.SIGKILL):
    """Kills proc's whole group and waits for proc."""
    signal_group(proc, signal.SIGCONT)  # a paused group exits on SIGTERM only once resumed
    signal_group(proc, sig)
    proc.wait()
    if sig == signal.SIGKILL:
        _groups.discard(proc.pid)


def reap_all():
    for pgid in list(_groups):
        for sig in (signal.SIGCONT, signal.SIGKILL):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                pass
        _groups.discard(pgid)
    unmount_all()


def mount_small_fs(path, size_mb):
    """A tmpfs of size_mb at path (root only), so that filling it fills only that node's disk:
    the disk-full fault. kill -9 keeps what a tmpfs holds, as it keeps the page cache."""
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % size_mb, "tmpfs", path],
                   check=True, capture_output=True)
    _mounts.append(path)


def unmount_all():
    while _mounts:
        subprocess.run(["umount", "-l", _mounts.pop()], capture_output=True)


def install_teardown():
    """Reaps every child at exit and on SIGTERM/SIGINT/SIGHUP (as exit 128+signal)."""
    atexit.register(reap_all)

    def on_signal(sig, _frame):
        reap_all()
        sys.exit(128 + sig)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)


def free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def answers_api_versions(host, port, timeout_s=2.0):
    """True when an ApiVersions v0 request on a new connection gets error code 0."""
    request = struct.pack(">ihhih", 10 + len(b"chaos"), 18, 0, 1, 5) + b"chaos"
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as s:
            s.sendall(request)
            head = b""
            while len(head) < 10:
                chunk = s.recv(10 - len(head))
                if not chunk:
                    return False
                head += chunk
    except OSError:
        return False
    _size, correlation_id, error_code = struct.unpack(">iih", head)
    return correlation_id == 1 and error_code == 0


class Node:
    """One `vltava serve` process; kill9/start/pause/resume are the nemesis' levers."""

    def __init__(self, binary, index, run_dir, extra_sets=(), first_host=2):
        assert 1 <= index and first_host + index - 1 <= 254 and first_host >= 2
        self.binary = binary
        self.id = index
        self.host = "127.0.0.%d" % (first_host + index - 1)
        self.port = free_port(self.host)
        self.controller_port = free_port(self.host)
        self.address = "%s:%d" % (self.host, self.port)
        self.dir = os.path.join(run_dir, "node-%d" % index)
        self.data_dir = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "vltava.log")
        self.extra_sets = list(extra_sets)
        self.voters = None  # controller.quorum.voters when in a cluster of several
        self.env = None  # the process environment, when not this process's
        # The test build's slow-disk switch (nemesis slow-disk): present = slow.
        self.slow_fsync_file = os.path.join(self.dir, "slow-fsync-ms")
        self.proc = None
        self.paused = False
        os.makedirs(self.dir, exist_ok=True)

    def sets(self):
        sets = ["node.id=%d" % self.id, "log.dir=%s" % self.data_dir]
        if self.voters is None:
            sets.append("listeners=PLAINTEXT://%s" % self.address)
        else:
            sets += ["listeners=PLAINTEXT://%s,CONTROLLER://%s:%d" % (
                self.address, self.host, self.controller_port),
                "controller.quorum.voters=%s" % self.voters]
        return sets + self.extra_sets

    def command(self):
        return [self.binary, "serve"] + [a for kv in self.sets() for a in ("--set", kv)]

    def format(self, cluster_id):
        """`vltava storage format`: the shared cluster id a node of several needs."""
        subprocess.run([self.binary, "storage", "format", "--cluster-id", cluster_id] +
                       [a for kv in self.sets() for a in ("--set", kv)],
                       check=True, capture_output=True,
                       env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))

    def start(self):
        """Starts the node and waits until it answers ApiVersions."""
        self.spawn()
        self.wait_serving()

    def spawn(self):
        assert self.proc is None, "node %d already running" % self.id
        self.proc = spawn(self.command(), self.log_path, self.env)

    def wait_serving(self):
        deadline = time.time() + START_TIMEOUT_S
        while not answers_api_versions(self.host, self.port):
            code = self.proc.poll()
            assert code is None, "node %d exited %d at start; log:\n%s" % (
                self.id, code, self.log_tail())
            assert time.time() < deadline, "node %d not answering after %d s; log:\n%s" % (
                self.id, START_TIMEOUT_S, self.log_tail())
            time.sleep(0.1)

    def running(self):
        return self.proc is not None

    def kill9(self):
        reap(self.proc, signal.SIGKILL)
        self.proc, self.paused = None, False

    def pause(self):
        signal_group(self.proc, signal.SIGSTOP)
        self.paused = True

    def resume(self):
        signal_group(self.proc, signal.SIGCONT)
        self.paused = False

    def stop(self):
        """SIGTERM; returns the exit code (None: still running after the timeout, then killed)."""
        if self.proc is None:
            return 0
        self.resume()
        signal_group(self.proc, signal.SIGTERM)
        try:
            code = self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            code = None
        reap(self.proc)
        self.proc = None
        return code

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return "(no log)"


class Cluster:
    """N nodes: one single-node cluster, or one KRaft cluster of N combined nodes (a static
    quorum of all of them; `node_sets(index) -> [key=value]` adds settings per node, e.g. the
    shortened timeouts a chaos run needs)."""

    def __init__(self, binary, nodes, run_dir, node_sets=lambda index: [], first_host=2,
                 disk_mb=None):
        """Node i on 127.0.0.(first_host + i - 1): runs on other addresses than the test
        suites' (127.0.0.2 on) never meet their firewall rules. With disk_mb, each node's data
        directory is a filesystem of its own of that size (mount_small_fs)."""
        assert os.access(binary, os.X_OK), "not an executable: %s" % binary
        self.nodes = [Node(binary, i, run_dir, node_sets(i), first_host)
                      for i in range(1, nodes + 1)]
        if disk_mb:
            for n in self.nodes:
                mount_small_fs(n.data_dir, disk_mb)
        # The nemesis' partitions, in a table of this cluster's own (runs on other addresses
        # never heal each other's cuts).
        self.firewall = Firewall("vltava_chaos_%d" % first_host)
        if nodes > 1:
            voters = ",".join("%d@%s:%d" % (n.id, n.host, n.controller_port) for n in self.nodes)
            cluster_id = subprocess.run([binary, "storage", "random-uuid"], check=True,
                                        capture_output=True, text=True).stdout.strip()
            for n in self.nodes:
                n.voters = voters
                n.format(cluster_id)

    @property
    def bootstrap(self):
        return ",".join(n.address for n in self.nodes)

    def node(self, index):
        return self.nodes[index - 1]

    def start(self):
        # Every process first, then the waits: a node of several serves clients only once a
        # majority of the quorum is up and has elected a controller.
        for n in self.nodes:
            n.spawn()
        for n in self.nodes:
            n.wait_serving()

    def heal(self):
        """Every node running and resumed: the end of every fault."""
        for n in self.nodes:
            if not n.running():
                n.start()
            elif n.paused:
                n.resume()

    def stop(self):
        """{node id: exit code} after SIGTERM to every node."""
        return {n.id: n.stop() for n in self.nodes}
