"""A message set produced by each client is read back exactly by every client (itself too),
for each compression both can use."""

import pytest

import clients
import messages

N = 2000
PARTITIONS = 3
_produced = {}  # (producer, codec) -> (topic, message set, produce window)


def produced_set(broker, producer, codec):
    key = (producer, codec)
    if key not in _produced:
        topic = "cross-%s-%s-%s" % (producer, codec, broker.bootstrap.split(":")[-1])
        ms = messages.new_set("x" + producer.replace("_", ""), N, PARTITIONS,
                              kcat_style=(producer == "kcat"))
        broker.create_topic(topic, PARTITIONS)
        window = clients.produce(producer, broker.bootstrap, topic, ms, codec)
        _produced[key] = (topic, ms, window)
    return _produced[key]


@pytest.mark.parametrize("consumer", clients.CLIENTS)
@pytest.mark.parametrize("producer", clients.CLIENTS)
@pytest.mark.parametrize("codec", clients.CODECS)
def test_cross_client(broker, codec, producer, consumer):
    for client in (producer, consumer):
        reason = clients.unsupported(client, codec)
        if reason:
            pytest.skip(reason)
    topic, ms, window = produced_set(broker, producer, codec)
    records = clients.consume(consumer, broker.bootstrap, topic, PARTITIONS, N)
    messages.check(records, ms, produced_between=window)
