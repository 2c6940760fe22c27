"""Admin through two clients, confluent-kafka-python's AdminClient and kafkajs admin: create
topics, describe and alter configs, add partitions, delete records, delete topics. Each result
is checked through a second path (metadata, list offsets, consume), not only the call's answer."""

import json
import os
import time

import pytest

import clients
import harness
import messages

HERE = os.path.dirname(os.path.abspath(__file__))
# The mock has no controller and lacks these APIs: fail fast there instead of waiting.
REQUEST_TIMEOUT_S = 5 if harness.backend_name() == "mock" else 30


class ConfluentAdmin:
    def __init__(self, bootstrap):
        from confluent_kafka.admin import AdminClient

        self.bootstrap = bootstrap
        self.admin = AdminClient({"bootstrap.servers": bootstrap})

    def create(self, topic, partitions, configs):
        from confluent_kafka.admin import NewTopic

        fs = self.admin.create_topics([NewTopic(topic, partitions, 1, config=configs)],
                                      operation_timeout=30, request_timeout=REQUEST_TIMEOUT_S)
        fs[topic].result(60)

    def describe(self, topic):
        from confluent_kafka.admin import ConfigResource

        res = ConfigResource(ConfigResource.Type.TOPIC, topic)
        fs = self.admin.describe_configs([res], request_timeout=REQUEST_TIMEOUT_S)
        entries = fs[res].result(60)
        return {name: e.value for name, e in entries.items()}

    def alter(self, topic, configs):
        from confluent_kafka.admin import ConfigResource

        res = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config=configs)
        self.admin.alter_configs([res], request_timeout=REQUEST_TIMEOUT_S)[res].result(60)

    def add_partitions(self, topic, count):
        from confluent_kafka.admin import NewPartitions

        self.admin.create_partitions([NewPartitions(topic, count)], operation_timeout=30,
                                     request_timeout=REQUEST_TIMEOUT_S)[topic].result(60)

    def delete_records(self, topic, partition, before):
        if hasattr(self.admin, "delete_records"):  # confluent-kafka >= 2.4
            import confluent_kafka as ck

            tp = ck.TopicPartition(topic, partition, before)
            self.admin.delete_records([tp])[tp].result(60)
            return
        # Older confluent-kafka (Debian 12 has 1.7) lacks the wrapper: call the librdkafka admin
        # API it is built on, rd_kafka_DeleteRecords, from the C client.
        clients.run([clients.c_binary("rdkafka_roundtrip"), "delete-records", self.bootstrap,
                     topic, str(partition), str(before)])

    def delete(self, topic):
        self.admin.delete_topics([topic], operation_timeout=30,
                                 request_timeout=REQUEST_TIMEOUT_S)[topic].result(60)


class KafkajsAdmin:
    def __init__(self, bootstrap):
        self.bootstrap = bootstrap

    def _call(self, op, **args):
        out = clients.run(["node", os.path.join(HERE, "js", "admin.js"), self.bootstrap, op,
                           json.dumps(args)])
        return json.loads(out)

    def create(self, topic, partitions, configs):
        self._call("create", topic=topic, partitions=partitions, configs=configs)

    def describe(self, topic):
        return self._call("describe", topic=topic)

    def alter(self, topic, configs):
        self._call("alter", topic=topic, configs=configs)

    def add_partitions(self, topic, count):
        self._call("partitions", topic=topic, count=count)

    def delete_records(self, topic, partition, before):
        self._call("delete-records", topic=topic, partition=partition, offset=before)

    def delete(self, topic):
        self._call("delete", topic=topic)


@pytest.fixture(params=["confluent", "kafkajs"])
def admin(request, broker):
    if request.param == "kafkajs":
        reason = clients.unsupported("kafkajs", "none")
        if reason:
            pytest.skip(reason)
        return KafkajsAdmin(broker.bootstrap)
    return ConfluentAdmin(broker.bootstrap)


def topic_names(bootstrap):
    from confluent_kafka.admin import AdminClient

    return set(AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics)


def watermarks(bootstrap, topic, partition):
    import confluent_kafka as ck

    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-admin"})
    try:
        return c.get_watermark_offsets(ck.TopicPartition(topic, partition), timeout=10)
    finally:
        c.close()


@pytest.mark.mock_xfail("no CreateTopics")
def test_create_topic(broker, admin, topic_name):
    admin.create(topic_name, 2, {"retention.ms": "3600000"})
    broker.wait_for_topic(topic_name, 2)


@pytest.mark.mock_xfail("no DescribeConfigs")
def test_describe_configs(broker, admin, topic_name):
    broker.create_topic(topic_name, 1, config={"retention.ms": "3600000"})
    configs = admin.describe(topic_name)
    assert configs["retention.ms"] == "3600000"
    assert configs["cleanup.policy"] == "delete"  # a default, reported too


@pytest.mark.mock_xfail("no DescribeConfigs/AlterConfigs")
def test_alter_configs(broker, admin, topic_name):
    broker.create_topic(topic_name, 1)
    admin.alter(topic_name, {"retention.ms": "123456"})
    assert admin.describe(topic_name)["retention.ms"] == "123456"
    # Seen by the other client as well.
    other = KafkajsAdmin if isinstance(admin, ConfluentAdmin) else ConfluentAdmin
    if other is KafkajsAdmin and clients.unsupported("kafkajs", "none"):
        return
    assert other(broker.bootstrap).describe(topic_name)["retention.ms"] == "123456"


@pytest.mark.mock_xfail("no CreatePartitions")
def test_add_partitions(broker, admin, topic_name):
    broker.create_topic(topic_name, 2)
    admin.add_partitions(topic_name, 5)
    broker.wait_for_topic(topic_name, 5)


@pytest.mark.mock_xfail("no DeleteRecords")
def test_delete_records(broker, admin, topic_name):
    broker.create_topic(topic_name, 1)
    ms = messages.new_set("delrec", 10, 1)
    clients.produce("confluent", broker.bootstrap, topic_name, ms, "none")
    assert watermarks(broker.bootstrap, topic_name, 0) == (0, 10)
    admin.delete_records(topic_name, 0, 4)
    assert watermarks(broker.bootstrap, topic_name, 0) == (4, 10)
    records = clients.consume("rdkafka_c", broker.bootstrap, topic_name, 1, 6)
    assert [r.offset for r in records] == list(range(4, 10))
    assert [r.key for r in records] == [ms.key(i) for i in range(4, 10)]


@pytest.mark.mock_xfail("no DeleteTopics")
def test_delete_topic(broker, admin, topic_name):
    broker.create_topic(topic_name, 3)
    assert topic_name in topic_names(broker.bootstrap)
    admin.delete(topic_name)
    deadline = time.time() + 30
    while topic_name in topic_names(broker.bootstrap):
        assert time.time() < deadline, "topic still listed 30 s after DeleteTopics"
        time.sleep(0.2)
