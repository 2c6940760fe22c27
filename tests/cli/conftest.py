"""Fixtures of the CLI suite: the vltava binary under test, a `vltava serve` on a free port
(tests/interop/harness.py starts it) and librdkafka's mock cluster for group commands."""

import json
import os
import subprocess
import sys
import tempfile
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))
import harness  # noqa: E402

CLI_TIMEOUT_S = 60


class Cli:
    """Runs `vltava <args>` against one bootstrap address."""

    def __init__(self, binary, bootstrap):
        self.binary = binary
        self.bootstrap = bootstrap

    def run(self, *args, stdin=None, brokers=True, env=None):
        cmd = [self.binary] + list(args)
        if brokers:
            cmd += ["-b", self.bootstrap, "--timeout-ms", "10000"]
        full_env = dict(os.environ)
        # librdkafka keeps a few allocations to process exit in its error paths; the CLI's own
        # leaks are covered by cli_test and the broker's by its tests.
        full_env["ASAN_OPTIONS"] = "detect_leaks=0"
        full_env.pop("VLTAVA_BROKERS", None)
        full_env.update(env or {})
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                              timeout=CLI_TIMEOUT_S, env=full_env)

    def ok(self, *args, **kw):
        p = self.run(*args, **kw)
        assert p.returncode == 0, "%s exited %d\nstdout: %s\nstderr: %s" % (
            " ".join(args), p.returncode, p.stdout, p.stderr)
        return p

    def json_lines(self, *args, **kw):
        return [json.loads(line) for line in self.ok(*args, **kw).stdout.splitlines()]


def _binary():
    binary = os.environ.get("VLTAVA_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.skip("VLTAVA_BIN must name the vltava binary")
    return binary


def _cli_binary():
    """VLTAVA_CLI (e.g. build/.../src/cli/vltava-cli) runs the commands when set; else the
    vltava binary itself."""
    return os.environ.get("VLTAVA_CLI") or _binary()


@pytest.fixture(scope="session")
def vltava():
    binary = _binary()
    broker = harness.VltavaBroker(binary)
    yield Cli(_cli_binary(), broker.bootstrap)
    broker.stop()


class Mock:
    """tests/interop/mock_cluster.c: prints its address, creates topics on request."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="vltava-cli-mock-")
        exe = os.path.join(self.dir, "mock_cluster")
        subprocess.run(["gcc", "-O1", "-o", exe,
                        os.path.join(HERE, "..", "interop", "mock_cluster.c"), "-lrdkafka"],
                       check=True)
        self.proc = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.bootstrap = self.proc.stdout.readline().strip()
        assert self.bootstrap, "mock_cluster printed no address"

    def create_topic(self, name, partitions):
        self.proc.stdin.write("topic %s %d\n" % (name, partitions))
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "ok"

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(30)


@pytest.fixture(scope="session")
def mock():
    m = Mock()
    yield m, Cli(_cli_binary(), m.bootstrap)
    m.stop()


@pytest.fixture
def name():
    return "cli-" + uuid.uuid4().hex[:10]
