// @platformatic/kafka with groupProtocol 'consumer' (KIP-848's ConsumerGroupHeartbeat): two
// consumers of one group read a topic until, together, they have seen `n` records and both own
// partitions; each prints its assignment and what it read, one JSON line per consumer.
// It first produces `n` records itself, spread over `partitions` partitions.
//   node kip848_consumer.mjs <bootstrap> <topic> <group> <n> <partitions>
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The client asks for Node >= 22; Debian's Node 20 lacks only Promise.withResolvers of what it
// uses here (ES2024), so it is supplied before the client loads.
if (!Promise.withResolvers) {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, '../../js/node_modules');
const kafka = await import(path.join(modules, '@platformatic/kafka/dist/index.js'));
const { Consumer, Producer, MessagesStreamModes, stringDeserializers, stringSerializers } = kafka;

const [bootstrap, topic, group, nText, partitionsText] = process.argv.slice(2);
const n = Number(nText);
const partitions = Number(partitionsText);

const producer = new Producer({
  clientId: 'kip848-producer',
  bootstrapBrokers: [bootstrap],
  serializers: stringSerializers,
});
const messages = [];
for (let i = 0; i < n; ++i) {
  messages.push({ topic, partition: i % partitions, key: `k${i}`, value: `v${i}` });
}
await producer.send({ messages });
await producer.close();
const seen = new Map();  // "partition/offset" -> consumer index
const timeoutMs = 90000;

async function run(index) {
  const consumer = new Consumer({
    clientId: `kip848-${index}`,
    groupId: group,
    groupProtocol: 'consumer',
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
  });
  const stream = await consumer.consume({
    topics: [topic],
    mode: MessagesStreamModes.EARLIEST,
    autocommit: false,
  });
  const mine = [];
  stream.on('data', (m) => {
    const key = `${m.partition}/${m.offset}`;
    if (!seen.has(key)) seen.set(key, index);
    mine.push(key);
  });
  return { consumer, stream, mine };
}

const deadline = Date.now() + timeoutMs;
const a = await run(0);
const b = await run(1);
while (seen.size < n && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 200));
}
// The second member's partitions come once the first has revoked them, over a few heartbeats
// (5 s apart): wait until both own some, or the deadline.
const owns = (c) => (c.consumer.assignments ?? []).some((t) => t.partitions.length > 0);
while (!(owns(a) && owns(b)) && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 200));
}
for (const [i, c] of [a, b].entries()) {
  console.log(JSON.stringify({
    consumer: i,
    memberId: c.consumer.memberId,
    assignments: c.consumer.assignments,
    read: c.mine.length,
    total: seen.size,
  }));
}
await a.stream.close();
await b.stream.close();
await a.consumer.close(true);
await b.consumer.close(true);
process.exit(seen.size >= n ? 0 : 1);
