"""pytest fixtures and markers of the interop suite; the brokers themselves are in harness.py.

Markers:
  process   needs a broker this suite starts and stops itself (vltava backend only)
  raw       sends hand-made bad frames: skipped on the mock (it is not the system under test)
  mock_xfail(reason)  an API librdkafka's mock cluster lacks: xfail on the mock backend only"""

import os
import sys
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "process: needs the vltava backend (process control)")
    config.addinivalue_line("markers", "raw: raw-socket bad input, not run on the mock")
    config.addinivalue_line("markers", "mock_xfail(reason): unsupported by librdkafka's mock")


def pytest_report_header(config):
    return "interop backend: %s, large sets of %d messages" % (
        harness.backend_name(), harness.BIG_N)


def pytest_collection_modifyitems(config, items):
    backend = harness.backend_name()
    for item in items:
        if item.get_closest_marker("process") and backend != "vltava":
            item.add_marker(pytest.mark.skip(reason="needs a broker process the suite controls "
                                             "(vltava backend), not %s" % backend))
        if item.get_closest_marker("raw") and backend == "mock":
            item.add_marker(pytest.mark.skip(
                reason="bad-input tests target the broker under test, not librdkafka's mock"))
        m = item.get_closest_marker("mock_xfail")
        if m and backend == "mock":
            item.add_marker(pytest.mark.xfail(reason="librdkafka mock: " + m.args[0], strict=False))


@pytest.fixture(scope="session")
def broker():
    """A broker for the whole session; yields a harness.Broker (str() is the bootstrap)."""
    b = harness.start_broker()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def own_broker():
    """A vltava broker of this test alone, for restarts."""
    b = harness.VltavaBroker()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def topic_name(request):
    base = "".join(c if c.isalnum() or c in "-_" else "-" for c in request.node.name)[:150]
    return "%s-%s" % (base, uuid.uuid4().hex[:6])


@pytest.fixture(scope="module")
def gbroker():
    """A broker with the consumer-group settings of groups.BROKER_SETS, one per test file."""
    import groups
    b = groups.start_group_broker()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def members():
    """The group members (groups.Member) a test starts; all stopped after it."""
    import groups
    started = []
    yield started
    groups.stop_all(started)
