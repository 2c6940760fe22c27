"""`vltava quota set | describe` (client quotas through AlterClientQuotas and
DescribeClientQuotas) against a `vltava serve`: set, describe (table, JSON, strict, defaults),
delete; bad arguments exit 2 before anything is sent; the broker's refusals exit 1 with Kafka's
error name and message."""

import json

USAGE, FAILED = 2, 1


def described(cli, *args):
    """The entries, in a stable order."""
    got = json.loads(cli.ok("quota", "describe", "--json", *args).stdout)
    return sorted(got, key=lambda e: json.dumps(e, sort_keys=True))


def test_set_describe_delete(vltava, name):
    out = vltava.ok("quota", "set", "--user", name, "--client-id", "app",
                    "--add", "producer_byte_rate=1048576", "--add", "request_percentage=12.5")
    assert "Altered" in out.stdout
    vltava.ok("quota", "set", "--user", name, "--add", "consumer_byte_rate=2048")
    vltava.ok("quota", "set", "--client-id-default", "--add", "producer_byte_rate=4096")
    assert described(vltava, "--user", name) == [
        {"entity": {"client-id": "app", "user": name},
         "values": {"producer_byte_rate": 1048576, "request_percentage": 12.5}},
        {"entity": {"user": name}, "values": {"consumer_byte_rate": 2048}}]
    assert described(vltava, "--user", name, "--strict") == [
        {"entity": {"user": name}, "values": {"consumer_byte_rate": 2048}}]
    assert {"entity": {"client-id": None}, "values": {"producer_byte_rate": 4096}} in \
        described(vltava, "--client-id-default")
    table = vltava.ok("quota", "describe", "--user", name).stdout.splitlines()
    assert table[0].split() == ["ENTITY", "KEY", "VALUE"]
    assert any("user=" + name in line and "2048" in line for line in table)

    vltava.ok("quota", "set", "--user", name, "--delete", "consumer_byte_rate")
    vltava.ok("quota", "set", "--user", name, "--client-id", "app",
              "--delete", "producer_byte_rate", "--delete", "request_percentage")
    vltava.ok("quota", "set", "--client-id-default", "--delete", "producer_byte_rate")
    assert described(vltava, "--user", name) == []
    out = vltava.ok("quota", "set", "--user", name, "--add", "producer_byte_rate=5",
                    "--validate-only").stdout
    assert "Validated" in out
    assert described(vltava, "--user", name) == []


def test_errors(vltava, name):
    for args in (["quota", "set", "--add", "producer_byte_rate=1"],              # no entity
                 ["quota", "set", "--user", name],                               # no change
                 ["quota", "set", "--user", name, "--user-default", "--add", "a=1"],
                 ["quota", "set", "--user", name, "--add", "producer_byte_rate"],
                 ["quota", "set", "--user", name, "--add", "producer_byte_rate=fast"]):
        p = vltava.run(*args)
        assert p.returncode == USAGE, (args, p.stderr)
    p = vltava.run("quota", "set", "--user", name, "--add", "frobs=1")
    assert p.returncode == FAILED, p.stderr
    assert "INVALID_REQUEST: Invalid configuration key frobs" in p.stderr, p.stderr
    p = vltava.run("quota", "set", "--ip", "10.0.0.1", "--user", name, "--add",
                   "connection_creation_rate=1")
    assert p.returncode == FAILED and "INVALID_REQUEST" in p.stderr, p.stderr
    p = vltava.run("quota", "describe", "--ip", "10.0.0.1", "--user", name)
    assert p.returncode == FAILED and "INVALID_REQUEST" in p.stderr, p.stderr
