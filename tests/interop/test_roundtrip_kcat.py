"""kcat produces a large message set with keys and one header and reads it back exactly, per
compression, on a 1- and a 6-partition topic. kcat sets no per-message header, timestamp or
partition: the timestamps kept are checked against the produce window."""

import pytest

import clients
import roundtrip


@pytest.mark.parametrize("partitions", [1, 6])
@pytest.mark.parametrize("codec", clients.CODECS)
def test_roundtrip(broker, topic_name, codec, partitions):
    roundtrip.run("kcat", broker, topic_name, codec, partitions)
