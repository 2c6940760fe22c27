#!/usr/bin/python3
"""Drives confluent-kafka-python or kafka-python through produce, consume, groups and admin
calls against BOOTSTRAP, so their request bytes can be captured. Usage: CLIENT BOOTSTRAP"""
import sys
import time


def confluent(bootstrap):
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        p = Producer({"bootstrap.servers": bootstrap, "compression.type": codec,
                      "enable.idempotence": codec == "zstd", "linger.ms": 5})
        for i in range(5):
            p.produce("golden", key=f"k{i}", value=f"{codec}-{i}" * 10,
                      headers=[("h", b"v")], partition=i % 3)
        p.flush(10)
    t = Producer({"bootstrap.servers": bootstrap, "transactional.id": "golden-txn"})
    t.init_transactions(10)
    t.begin_transaction()
    t.produce("golden", key="tk", value="txn")
    t.commit_transaction(10)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "golden-confluent",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe(["golden"])
    deadline = time.time() + 10
    got = 0
    while time.time() < deadline and got < 10:
        m = c.poll(0.5)
        if m is not None and not m.error():
            got += 1
            c.commit(m, asynchronous=False)
    c.close()
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic("golden-admin", 2, 1)]).values():
        try:
            f.result(10)
        except Exception as e:  # the mock may refuse; the request bytes are what we want
            print("create_topics:", e)


def kafka_python(bootstrap):
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    for codec in (None, "gzip", "snappy", "lz4"):
        try:
            p = KafkaProducer(bootstrap_servers=bootstrap, compression_type=codec)
        except Exception as e:  # a codec whose Python module is missing
            print("producer", codec, e)
            continue
        for i in range(5):
            p.send("golden", key=f"k{i}".encode(), value=f"{codec}-{i}".encode() * 10,
                   headers=[("h", b"v")], partition=i % 3)
        p.flush(10)
        p.close()
    c = KafkaConsumer("golden", bootstrap_servers=bootstrap, group_id="golden-kafka-python",
                      auto_offset_reset="earliest", enable_auto_commit=False,
                      consumer_timeout_ms=8000)
    for n, _ in enumerate(c):
        c.commit()
        if n >= 9:
            break
    c.close()
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        admin.create_topics([NewTopic("golden-admin-kp", 2, 1)])
        admin.list_consumer_groups()
        admin.close()
    except Exception as e:
        print("admin:", e)


if __name__ == "__main__":
    {"confluent": confluent, "kafka-python": kafka_python}[sys.argv[1]](sys.argv[2])
