"""One client producing a large message set and consuming it back (test_roundtrip_*.py)."""

import pytest

import clients
import harness
import messages


def run(client, broker, topic, codec, partitions, n=None):
    reason = clients.unsupported(client, codec)
    if reason:
        pytest.skip(reason)
    n = n or harness.BIG_N
    if broker.backend == "mock" and partitions == 1:
        # The mock keeps only the last 5 MiB of a partition: 100,000 uncompressed records from
        # some clients (kafka-python) exceed that, so the mock gets half as many per partition.
        n = min(n, 50_000)
    ms = messages.new_set(client, n, partitions, kcat_style=(client == "kcat"))
    broker.create_topic(topic, partitions)
    window = clients.produce(client, broker.bootstrap, topic, ms, codec)
    records = clients.consume(client, broker.bootstrap, topic, partitions, n)
    messages.check(records, ms, produced_between=window)
