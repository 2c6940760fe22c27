"""Brokers for the interop suite (stdlib + pytest only; conftest.py turns them into fixtures).

Backend, chosen by environment:
  VLTAVA_BOOTSTRAP=host:port  `external`: any running Kafka; no process management
  VLTAVA_BROKER=vltava        `vltava`: starts $VLTAVA_BIN serve (the default when VLTAVA_BIN is
                              set) on a free loopback port with a temporary log.dir
  VLTAVA_BROKER=mock          `mock`: librdkafka's in-process mock cluster (mock_cluster.c);
                              the default when neither VLTAVA_BIN nor VLTAVA_BOOTSTRAP is set
VLTAVA_QUICK=1 makes the large message sets 10,000 instead of 100,000."""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
QUICK = os.environ.get("VLTAVA_QUICK") == "1"
BIG_N = 10_000 if QUICK else 100_000
STOP_TIMEOUT_S = 30
START_TIMEOUT_S = 30


def backend_name():
    if os.environ.get("VLTAVA_BOOTSTRAP"):
        return "external"
    name = os.environ.get("VLTAVA_BROKER") or ("vltava" if os.environ.get("VLTAVA_BIN") else "mock")
    if name not in ("vltava", "mock"):
        raise RuntimeError("VLTAVA_BROKER must be vltava or mock, not %r" % name)
    return name


# ---- raw Kafka frames (test inputs written by hand, not the project's codec) -----------------

def frame(api_key, version, correlation_id, body=b"", client_id=b"interop"):
    """A request with header v1 (non-flexible): size, api key, version, correlation id,
    nullable client id string, then `body`."""
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    return struct.pack(">i", len(header) + len(body)) + header + body


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def recv_response(sock):
    """Reads one response frame; returns (correlation_id, rest of the frame)."""
    (size,) = struct.unpack(">i", recv_exact(sock, 4))
    assert 4 <= size <= 64 << 20, "response size %d" % size
    data = recv_exact(sock, size)
    return struct.unpack(">i", data[:4])[0], data[4:]


def split_host_port(address):
    host, port = address.split(",")[0].rsplit(":", 1)
    return host, int(port)


def api_versions(address, version=0, timeout_s=5.0):
    """Sends ApiVersions v0 on a new connection; returns (error_code, {api_key: (min, max)})."""
    with socket.create_connection(split_host_port(address), timeout=timeout_s) as s:
        s.sendall(frame(18, version, 7))
        cid, body = recv_response(s)
    assert cid == 7, "correlation id %d" % cid
    return parse_api_versions_v0(body)


def parse_api_versions_v0(body):
    (error_code, count) = struct.unpack(">hi", body[:6])
    apis = {}
    for i in range(max(count, 0)):
        k, lo, hi = struct.unpack(">hhh", body[6 + 6 * i: 12 + 6 * i])
        apis[k] = (lo, hi)
    return error_code, apis


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- backends ---------------------------------------------------------------------------------

class Broker:
    backend = None
    bootstrap = None

    def __str__(self):
        return self.bootstrap

    def create_topic(self, name, partitions, config=None):
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        fs = admin.create_topics([NewTopic(name, partitions, 1, config=config or {})],
                                 operation_timeout=30)
        fs[name].result(60)
        self.wait_for_topic(name, partitions)

    def wait_for_topic(self, name, partitions, timeout_s=30):
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        deadline = time.time() + timeout_s
        while True:
            t = admin.list_topics(name, timeout=10).topics.get(name)
            if t and not t.error and len(t.partitions) == partitions and all(
                    p.leader >= 0 for p in t.partitions.values()):
                return
            assert time.time() < deadline, "topic %s not ready: %r" % (name, t)
            time.sleep(0.1)

    def alive(self):
        return True

    def restart(self, kill9=False):
        raise NotImplementedError("the %s backend cannot restart" % self.backend)

    def stop(self):
        pass


class ExternalBroker(Broker):
    backend = "external"

    def __init__(self, bootstrap):
        self.bootstrap = bootstrap


class MockBroker(Broker):
    backend = "mock"

    def __init__(self):
        import clients

        self._proc = subprocess.Popen([clients.c_binary("mock_cluster")], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.bootstrap = self._proc.stdout.readline().strip()
        assert self.bootstrap, "mock_cluster printed no bootstrap address"

    def create_topic(self, name, partitions, config=None):
        # The mock has no CreateTopics; its own API creates the topic (configs are ignored).
        self._proc.stdin.write("topic %s %d\n" % (name, partitions))
        self._proc.stdin.flush()
        answer = self._proc.stdout.readline().strip()
        assert answer == "ok", "mock_cluster: %s" % answer
        self.wait_for_topic(name, partitions)

    def alive(self):
        return self._proc.poll() is None

    def stop(self):
        self._proc.stdin.close()
        self._proc.wait(STOP_TIMEOUT_S)


class VltavaBroker(Broker):
    backend = "vltava"

    def __init__(self, binary=None, extra_sets=()):
        self.binary = binary or os.environ.get("VLTAVA_BIN")
        assert self.binary and os.access(self.binary, os.X_OK), (
            "VLTAVA_BIN must name the vltava binary (is %r)" % self.binary)
        self.dir = tempfile.mkdtemp(prefix="vltava-interop-")
        self.log_dir = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "broker.log")
        self.port = free_port()
        self.bootstrap = "127.0.0.1:%d" % self.port
        self.extra_sets = list(extra_sets)
        self._proc = None
        self._log = None
        self.start()

    def start(self):
        cmd = [self.binary, "serve", "--set", "listeners=PLAINTEXT://127.0.0.1:%d" % self.port,
               "--set", "log.dir=%s" % self.log_dir]
        for kv in self.extra_sets:
            cmd += ["--set", kv]
        self._log = open(self.log_path, "ab")
        self._log.write(("\n=== %s\n" % " ".join(cmd)).encode())
        self._log.flush()
        self._proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)
        deadline = time.time() + START_TIMEOUT_S
        while True:
            code = self._proc.poll()
            assert code is None, "vltava exited %d at start; log:\n%s" % (code, self.log_tail())
            try:
                error_code, apis = api_versions(self.bootstrap, timeout_s=2)
                if error_code == 0 and 18 in apis:
                    return
            except (OSError, AssertionError, struct.error):
                pass
            assert time.time() < deadline, (
                "vltava not answering ApiVersions after %d s; log:\n%s"
                % (START_TIMEOUT_S, self.log_tail()))
            time.sleep(0.1)

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return "(no log)"

    def alive(self):
        return self._proc is not None and self._proc.poll() is None

    def _terminate(self):
        self._proc.send_signal(signal.SIGTERM)
        try:
            code = self._proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
            raise AssertionError("vltava did not exit within %d s of SIGTERM; log:\n%s" % (
                STOP_TIMEOUT_S, self.log_tail()))
        finally:
            self._log.close()
        assert code == 0, "vltava exited %d after SIGTERM; log:\n%s" % (code, self.log_tail())

    def restart(self, kill9=False):
        if kill9:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait()
            self._log.close()
        else:
            self._terminate()
        self.start()

    def stop(self):
        if self._proc is None:
            return
        code = self._proc.poll()
        assert code is None, "vltava died during the tests (exit %s); log:\n%s" % (
            code, self.log_tail())
        self._terminate()
        self._proc = None
        shutil.rmtree(self.dir, ignore_errors=True)  # kept when anything above failed


def start_broker(backend=None):
    backend = backend or backend_name()
    if backend == "external":
        return ExternalBroker(os.environ["VLTAVA_BOOTSTRAP"])
    if backend == "mock":
        return MockBroker()
    return VltavaBroker()
