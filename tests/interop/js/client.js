// kafkajs client for the interop suite. Messages are the same pure function of (tag, index) as
// in ../messages.py, so the Python side checks them exactly.
//   node client.js produce <bootstrap> <topic> <partitions> <codec> <n> <tag> <base_ts>
//   node client.js consume <bootstrap> <topic> <partitions> <n>
//   node client.js codecs                      prints the codecs this kafkajs can use
// consume prints one line per record: partition offset timestamp key_hex value_hex hk:hv,...
// It fetches through kafkajs' own cluster and Fetch code without a consumer group, since a
// group needs coordinator APIs that a broker may not have yet (kafkajs has no assign()).
const path = require('path');

const modules = path.join(__dirname, '../../js/node_modules');
const kafkajs = require(path.join(modules, 'kafkajs'));
const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = kafkajs;

const codecs = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP };
const missing = {};
function tryCodec(name, type, load) {
  try {
    CompressionCodecs[type] = load();
    codecs[name] = type;
  } catch (e) {
    missing[name] = e.message.split('\n')[0];
  }
}
tryCodec('snappy', CompressionTypes.Snappy, () => require(path.join(modules, 'kafkajs-snappy')));
tryCodec('lz4', CompressionTypes.LZ4, () => {
  const LZ4Codec = require(path.join(modules, 'kafkajs-lz4'));
  return new LZ4Codec().codec;
});
tryCodec('zstd', CompressionTypes.ZSTD, () => {
  // A kafkajs codec is a factory of { compress(encoder), decompress(buffer) }.
  const { Compressor, Decompressor } = require(path.join(modules, 'zstd-napi'));
  return () => ({
    async compress(encoder) {
      const c = new Compressor();
      c.setParameters({ compressionLevel: 3 });
      return c.compress(encoder.buffer);
    },
    async decompress(buffer) {
      return new Decompressor().decompress(buffer);
    },
  });
});

const filler = 'abcdefghijklmnop';
function message(tag, i, partitions, baseTs) {
  const headers = { id: String(i) };
  if (i % 4 === 0) headers.n = tag;
  return {
    key: `k${i}`,
    value: `${tag}-${i}-${filler.slice(0, i % 17)}`,
    headers,
    partition: i % partitions,
    timestamp: String(baseTs + i),
  };
}

function kafkaFor(bootstrap) {
  return new Kafka({
    clientId: 'interop-kafkajs',
    brokers: bootstrap.split(','),
    logLevel: logLevel.ERROR,
    retry: { retries: 10 },
  });
}

async function produce(bootstrap, topic, partitions, codec, n, tag, baseTs) {
  if (!(codec in codecs)) throw new Error(`codec ${codec} unavailable: ${missing[codec]}`);
  const producer = kafkaFor(bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const chunk = 2000;
  for (let start = 0; start < n; start += chunk) {
    const messages = [];
    for (let i = start; i < Math.min(n, start + chunk); i++) {
      messages.push(message(tag, i, partitions, baseTs));
    }
    // One send at a time keeps the order within each partition whatever the retries.
    await producer.send({ topic, compression: codecs[codec], acks: -1, messages });
  }
  await producer.disconnect();
  process.stderr.write(`delivered ${n}\n`);
}

function hex(b) {
  if (b === null || b === undefined) return '';
  return Buffer.from(b).toString('hex');
}

function headerText(headers) {
  const parts = [];
  for (const [k, v] of Object.entries(headers || {})) {
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${hex(Buffer.from(k))}:${hex(one)}`);
  }
  return parts.join(',');
}

function createCluster(kafka) {
  const sym = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.toString() === 'Symbol(private:Kafka:createCluster)');
  return kafka[sym]({ allowAutoTopicCreation: false });
}

async function consume(bootstrap, topic, partitions, n) {
  const cluster = createCluster(kafkaFor(bootstrap));
  await cluster.connect();
  await cluster.addTargetTopic(topic);
  await cluster.refreshMetadata();
  const next = new Map();
  for (let p = 0; p < partitions; p++) next.set(p, '0');
  const out = [];
  let count = 0;
  // Gives up after 600 s, or 30 s without a new record (the caller's check then fails).
  const deadline = Date.now() + 600000;
  let idleUntil = Date.now() + 30000;
  while (count < n && Date.now() < Math.min(deadline, idleUntil)) {
    const byLeader = new Map();
    const meta = cluster.findTopicPartitionMetadata(topic);
    for (const pm of meta) {
      if (!next.has(pm.partitionId)) continue;
      if (!byLeader.has(pm.leader)) byLeader.set(pm.leader, []);
      byLeader.get(pm.leader).push({
        partition: pm.partitionId,
        fetchOffset: next.get(pm.partitionId),
        maxBytes: 1048576,
      });
    }
    let got = 0;
    for (const [leader, parts] of byLeader) {
      const broker = await cluster.findBroker({ nodeId: leader });
      const res = await broker.fetch({
        replicaId: -1,
        isolationLevel: 0,
        maxWaitTime: 500,
        minBytes: 1,
        maxBytes: 4194304,
        topics: [{ topic, partitions: parts }],
      });
      for (const t of res.responses) {
        for (const p of t.partitions) {
          if (p.errorCode) throw new Error(`fetch ${topic}/${p.partition}: error ${p.errorCode}`);
          let pos = BigInt(next.get(p.partition));
          for (const m of p.messages) {
            const off = BigInt(m.offset);
            if (off < pos) continue; // a batch starts before the requested offset
            const fields = [p.partition, m.offset, m.timestamp, hex(m.key), hex(m.value)];
            out.push(`${fields.join(' ')} ${headerText(m.headers)}\n`);
            pos = off + 1n;
            count++;
            got++;
          }
          next.set(p.partition, pos.toString());
        }
      }
    }
    if (out.length > 10000) process.stdout.write(out.splice(0).join(''));
    if (got) idleUntil = Date.now() + 30000;
    else await new Promise((r) => setTimeout(r, 50));
  }
  process.stdout.write(out.join(''));
  await cluster.disconnect();
  process.stderr.write(`consumed ${count}\n`);
  if (count !== n) process.exitCode = 1;
}

async function main() {
  const [cmd, ...a] = process.argv.slice(2);
  if (cmd === 'produce') return produce(a[0], a[1], +a[2], a[3], +a[4], a[5], +a[6]);
  if (cmd === 'consume') return consume(a[0], a[1], +a[2], +a[3]);
  if (cmd === 'codecs') {
    process.stdout.write(JSON.stringify({ available: Object.keys(codecs), missing }) + '\n');
    return undefined;
  }
  throw new Error('usage: see the comment at the top of client.js');
}

// Exit once stdout has drained (it is asynchronous on pipes); kafkajs may hold timers open.
function exit(code) {
  process.stdout.write('', () => process.exit(code));
}

main().then(() => exit(process.exitCode || 0), (e) => {
  process.stderr.write(`kafkajs client: ${e.stack || e}\n`);
  exit(1);
});
