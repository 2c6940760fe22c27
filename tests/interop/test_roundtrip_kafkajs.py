"""kafkajs produces a large message set with keys, headers and timestamps and reads it
back exactly, per compression, on a 1- and a 6-partition topic."""

import pytest

import clients
import roundtrip


@pytest.mark.parametrize("partitions", [1, 6])
@pytest.mark.parametrize("codec", clients.CODECS)
def test_roundtrip(broker, topic_name, codec, partitions):
    roundtrip.run("kafkajs", broker, topic_name, codec, partitions)
