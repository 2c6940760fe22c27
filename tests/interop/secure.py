"""Helpers of the security tests: certificates made with openssl at test time (no key is ever
committed), a vltava broker with extra listeners, and the four clients producing and consuming
with security settings.

Settings are given in librdkafka's names (security.protocol, ssl.ca.location,
ssl.certificate.location, ssl.key.location, sasl.mechanism, sasl.username, sasl.password) and
translated for kafka-python and kafkajs."""

import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import time

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
JS_MODULES = os.path.join(HERE, "..", "js", "node_modules", "kafkajs")


# ---- certificates ------------------------------------------------------------------------------

class Pki:
    """A CA, a broker certificate for 127.0.0.1 and client certificates, in a temp dir."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="vltava-pki-")
        self.ca = self._ca("test-ca")
        self.other_ca = self._ca("other-ca")
        self.broker = self.issue("broker", "/CN=localhost", san="IP:127.0.0.1,DNS:localhost")
        self.keystore = self.path("broker-keystore.pem")
        with open(self.keystore, "w") as f:
            f.write(self.read(self.broker[0]) + self.read(self.broker[1]))

    def path(self, name):
        return os.path.join(self.dir, name)

    def read(self, path):
        with open(path) as f:
            return f.read()

    def _openssl(self, *args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=self.dir)

    def _ca(self, name):
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days", "2",
                      "-subj", "/CN=" + name)
        return self.path(name + ".pem"), self.path(name + ".key")

    def issue(self, name, subject, san=None, ca=None):
        """A key and a certificate signed by `ca` (default: the test CA); (cert, key) paths."""
        ca = ca or self.ca
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                      "-keyout", name + ".key", "-out", name + ".csr", "-subj", subject)
        args = ["x509", "-req", "-in", name + ".csr", "-CA", ca[0], "-CAkey", ca[1],
                "-CAcreateserial", "-out", name + ".pem", "-days", "2"]
        if san:
            with open(self.path(name + ".ext"), "w") as f:
                f.write("subjectAltName=%s\n" % san)
            args += ["-extfile", name + ".ext"]
        self._openssl(*args)
        return self.path(name + ".pem"), self.path(name + ".key")

    def encrypted_key(self, key, password):
        out = key + ".enc"
        self._openssl("pkcs8", "-topk8", "-in", key, "-out", out, "-v2", "aes-256-cbc",
                      "-passout", "pass:" + password)
        return out

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- a broker with named listeners -------------------------------------------------------------

class SecureBroker(harness.VltavaBroker):
    """vltava with its PLAINTEXT listener (readiness, topic creation) and the named listeners
    `listeners` ({name: protocol}), each on its own free port."""

    def __init__(self, listeners, sets=()):
        self.ports = {name: harness.free_port() for name in listeners}
        protocol_map = ["PLAINTEXT:PLAINTEXT"] + ["%s:%s" % kv for kv in listeners.items()]
        super().__init__(extra_sets=["listener.security.protocol.map=" + ",".join(protocol_map)]
                         + list(sets))

    def start(self):
        names = ["PLAINTEXT://127.0.0.1:%d" % self.port] + [
            "%s://127.0.0.1:%d" % (n, p) for n, p in self.ports.items()]
        self.extra_sets = [s for s in self.extra_sets if not s.startswith("listeners=")] + [
            "listeners=" + ",".join(names)]
        super().start()

    def address(self, listener):
        return "127.0.0.1:%d" % self.ports[listener]


# ---- raw TLS ------------------------------------------------------------------------------------

def tls_context(pki, cert=None, max_version=None):
    ctx = ssl.create_default_context(cafile=pki.ca[0])
    if cert:
        ctx.load_cert_chain(cert[0], cert[1])
    if max_version:
        ctx.maximum_version = max_version
    return ctx


def tls_api_versions(address, ctx, timeout_s=10):
    """ApiVersions v0 over TLS; the error code, or raises when the broker refuses us."""
    host, port = harness.split_host_port(address)
    with socket.create_connection((host, port), timeout=timeout_s) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            s.sendall(harness.frame(18, 0, 7))
            cid, body = harness.recv_response(s)
            assert cid == 7
            return harness.parse_api_versions_v0(body)[0]


def refused(address, ctx):
    """True when the broker ends the TLS connection instead of answering."""
    try:
        tls_api_versions(address, ctx)
    except (ssl.SSLError, ConnectionError, OSError):
        return True
    return False


def closed_within(sock, timeout_s):
    """Seconds until the peer closed `sock` (None: still open after timeout_s)."""
    start = time.time()
    sock.settimeout(timeout_s)
    try:
        while sock.recv(4096):
            pass
    except socket.timeout:
        return None
    except OSError:
        pass
    return time.time() - start


# ---- clients ------------------------------------------------------------------------------------

def value(i):
    return ("v%06d-" % i + "x" * (i % 50)).encode()


def produce_consume(client, address, topic, n, settings):
    """Produces n values with `client` through `address`, consumes them back with the same
    client and returns the values read (in order: the topic has one partition)."""
    return {"kcat": _kcat, "confluent": _confluent, "kafka_python": _kafka_python,
            "kafkajs": _kafkajs}[client](address, topic, n, settings)


def _kcat(address, topic, n, settings):
    opts = []
    for k, v in settings.items():
        opts += ["-X", "%s=%s" % (k, v)]
    lines = b"".join(value(i) + b"\n" for i in range(n))
    subprocess.run(["kcat", "-P", "-b", address, "-t", topic] + opts, input=lines, check=True,
                   timeout=120, capture_output=True)
    out = subprocess.run(["kcat", "-C", "-b", address, "-t", topic, "-o", "beginning", "-e",
                          "-q", "-c", str(n)] + opts, check=True, timeout=120,
                         capture_output=True).stdout
    return out.splitlines()


def _confluent(address, topic, n, settings):
    import confluent_kafka as ck

    conf = dict(settings, **{"bootstrap.servers": address})
    p = ck.Producer(dict(conf, **{"linger.ms": 5}))
    for i in range(n):
        p.produce(topic, value(i))
        p.poll(0)
    assert p.flush(60) == 0
    c = ck.Consumer(dict(conf, **{"group.id": "g-" + topic, "auto.offset.reset": "earliest",
                                  "enable.auto.commit": False}))
    c.assign([ck.TopicPartition(topic, 0, ck.OFFSET_BEGINNING)])
    got = []
    deadline = time.time() + 60
    while len(got) < n and time.time() < deadline:
        for m in c.consume(num_messages=1000, timeout=0.5):
            assert not m.error(), m.error()
            got.append(m.value())
    c.close()
    return got


def _kafka_python_conf(settings):
    out = {"security_protocol": settings.get("security.protocol", "PLAINTEXT")}
    if "ssl.ca.location" in settings:
        out.update(ssl_cafile=settings["ssl.ca.location"], ssl_check_hostname=True)
    if "ssl.certificate.location" in settings:
        out.update(ssl_certfile=settings["ssl.certificate.location"],
                   ssl_keyfile=settings["ssl.key.location"])
    if "sasl.mechanism" in settings:
        out.update(sasl_mechanism=settings["sasl.mechanism"],
                   sasl_plain_username=settings["sasl.username"],
                   sasl_plain_password=settings["sasl.password"])
    return out


def _kafka_python(address, topic, n, settings):
    import kafka

    conf = _kafka_python_conf(settings)
    p = kafka.KafkaProducer(bootstrap_servers=address, linger_ms=5, **conf)
    futures = [p.send(topic, value(i), partition=0) for i in range(n)]
    p.flush(60)
    assert all(f.succeeded() for f in futures), [f.exception for f in futures][:1]
    p.close(10)
    c = kafka.KafkaConsumer(bootstrap_servers=address, group_id=None, enable_auto_commit=False,
                            auto_offset_reset="earliest", **conf)
    tp = kafka.TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    got = []
    deadline = time.time() + 60
    while len(got) < n and time.time() < deadline:
        for records in c.poll(timeout_ms=500).values():
            got += [r.value for r in records]
    c.close()
    return got


def _kafkajs(address, topic, n, settings):
    spec = {"bootstrap": address, "topic": topic, "n": n, "settings": settings}
    out = subprocess.run(["node", os.path.join(HERE, "js", "secure_client.js"), json.dumps(spec)],
                         check=True, timeout=180, capture_output=True).stdout
    return [v.encode() for v in json.loads(out)]


def kafkajs_missing():
    if not shutil.which("node"):
        return "node is not installed"
    if not os.path.isdir(JS_MODULES):
        return "run `npm ci` in tests/js"
    return None


def frame_size(data):
    return struct.pack(">i", len(data)) + data
