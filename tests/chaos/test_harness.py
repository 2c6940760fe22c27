"""The harness against real `vltava serve` processes ($VLTAVA_BIN): N nodes on their own loopback
addresses and data directories, and nothing left running however the runner ends (a failing
assertion, SIGTERM, kill -9 of the runner itself)."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

BIN = os.environ.get("VLTAVA_BIN")
pytestmark = pytest.mark.skipif(not BIN, reason="needs VLTAVA_BIN (a vltava binary)")

# A runner that starts a cluster, prints the node pids, then ends the way argv[2] says.
RUNNER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, %r)
    import harness
    harness.install_teardown()
    cluster = harness.Cluster(sys.argv[1], 2, sys.argv[3])
    cluster.start()
    print(" ".join(str(n.proc.pid) for n in cluster.nodes), flush=True)
    if sys.argv[2] == "assert":
        assert False, "a failing check in the middle of a run"
    time.sleep(600)
""" % HERE)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open("/proc/%d/stat" % pid) as f:  # a zombie is dead, only not yet reaped
        return f.read().split(")")[1].split()[0] != "Z"


def wait_dead(pids, timeout_s=10):
    deadline = time.time() + timeout_s
    while any(alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def test_nodes_on_their_own_addresses(tmp_path):
    cluster = harness.Cluster(BIN, 3, str(tmp_path))
    try:
        cluster.start()
        for i, node in enumerate(cluster.nodes, 1):
            assert node.host == "127.0.0.%d" % (i + 1)
            assert harness.answers_api_versions(node.host, node.port)
            assert os.path.isdir(node.data_dir)
        assert len({n.data_dir for n in cluster.nodes}) == 3
        node = cluster.node(2)
        node.pause()
        assert not harness.answers_api_versions(node.host, node.port, timeout_s=0.5)
        node.resume()
        node.kill9()
        node.start()
        assert harness.answers_api_versions(node.host, node.port)
    finally:
        codes = cluster.stop()
    assert codes == {1: 0, 2: 0, 3: 0}


@pytest.mark.parametrize("ending", ["assert", "sigterm", "kill9"])
def test_nothing_left_running(tmp_path, ending):
    runner = subprocess.Popen([sys.executable, "-c", RUNNER, BIN, ending, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in runner.stdout.readline().split()]
    assert len(pids) == 2, "the runner started no nodes"
    if ending == "sigterm":
        runner.send_signal(signal.SIGTERM)
    elif ending == "kill9":
        runner.kill()
    code = runner.wait(30)
    assert code != 0
    assert wait_dead(pids) == [], "nodes left running after the runner ended (%s)" % ending
