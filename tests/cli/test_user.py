"""`vltava user create | list | delete` (SCRAM credentials through AlterUserScramCredentials and
DescribeUserScramCredentials) against a `vltava serve` with a SASL_PLAINTEXT listener: a
created user logs in there (librdkafka, through `vltava topic list -X ...`), a deleted one is
refused; bad arguments exit 2 before anything is sent; the broker's refusals exit 1 with
Kafka's error name; an unknown user exits 4."""

import json

import pytest

import harness
from conftest import Cli, _binary, _cli_binary

USAGE, FAILED, NOT_FOUND = 2, 1, 4


@pytest.fixture(scope="module")
def sasl():
    sasl_port = harness.free_port()
    broker = harness.VltavaBroker(_binary(), extra_sets=[
        "sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512"])
    # Restarted with the SASL listener beside the PLAINTEXT one.
    broker._terminate()
    broker.extra_sets.append("listeners=PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d"
                             % (broker.port, sasl_port))
    broker.start()
    cli = Cli(_cli_binary(), broker.bootstrap)
    cli.sasl_address = "127.0.0.1:%d" % sasl_port
    yield cli
    broker.stop()


def logs_in(cli, mechanism, user, password):
    p = cli.run("topic", "list", "-b", cli.sasl_address, "--timeout-ms", "5000",
                "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=" + mechanism,
                "-X", "sasl.username=" + user, "-X", "sasl.password=" + password, brokers=False)
    return p.returncode == 0


def listed(cli, *users):
    return json.loads(cli.ok("user", "list", "--json", *users).stdout)


def test_create_list_delete(sasl, name):
    out = sasl.ok("user", "create", name, "--password", "pw-512", "--mechanism",
                  "SCRAM-SHA-512", "--iterations", "8192").stdout
    assert "SCRAM-SHA-512" in out and name in out
    sasl.ok("user", "create", name, "--password", "pw-256")
    assert listed(sasl, name) == [
        {"user": name, "mechanism": "SCRAM-SHA-256", "iterations": 4096},
        {"user": name, "mechanism": "SCRAM-SHA-512", "iterations": 8192}]
    assert {"user": name, "mechanism": "SCRAM-SHA-256", "iterations": 4096} in listed(sasl)
    table = sasl.ok("user", "list", name).stdout.splitlines()
    assert table[0].split() == ["USER", "MECHANISM", "ITERATIONS"]
    assert "pw-" not in sasl.ok("user", "list").stdout

    assert logs_in(sasl, "SCRAM-SHA-512", name, "pw-512")
    assert logs_in(sasl, "SCRAM-SHA-256", name, "pw-256")
    assert not logs_in(sasl, "SCRAM-SHA-256", name, "pw-512")

    sasl.ok("user", "delete", name, "--mechanism", "SCRAM-SHA-512")
    assert not logs_in(sasl, "SCRAM-SHA-512", name, "pw-512")
    assert logs_in(sasl, "SCRAM-SHA-256", name, "pw-256")
    # Without --mechanism: every credential the user has.
    out = sasl.ok("user", "delete", name).stdout
    assert "SCRAM-SHA-256" in out
    assert not logs_in(sasl, "SCRAM-SHA-256", name, "pw-256")
    p = sasl.run("user", "list", name)
    assert p.returncode == NOT_FOUND and "no SCRAM credential" in p.stderr


def test_errors(sasl, name):
    for args in (["user", "create", name],                                  # no password
                 ["user", "create", "--password", "x"],                     # no name
                 ["user", "create", name, "--password", "x", "--mechanism", "PLAIN"],
                 ["user", "delete", name, "--mechanism", "SCRAM-SHA-1"]):
        p = sasl.run(*args)
        assert p.returncode == USAGE, (args, p.stderr)
    p = sasl.run("user", "create", name, "--password", "x", "--iterations", "100")
    assert p.returncode == FAILED and "UNACCEPTABLE_CREDENTIAL" in p.stderr, p.stderr
    p = sasl.run("user", "delete", name)
    assert p.returncode == NOT_FOUND, p.stderr
    p = sasl.run("user", "delete", name, "--mechanism", "SCRAM-SHA-256")
    assert p.returncode == NOT_FOUND, p.stderr
    p = sasl.run("user", "list", "-X", "security.protocol=SASL_SSL", name)
    assert p.returncode == USAGE and "PLAINTEXT" in p.stderr, p.stderr
