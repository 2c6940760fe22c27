// kafkajs idempotent producer for test_idempotence.py:
//   node idempotent_producer.js <bootstrap> <topic> <partitions> <n> <chunk>
// Sends values "<i>" (key "<i>", partition i % partitions) in sends of <chunk> messages, one
// send at a time, with idempotent: true (acks -1, one request in flight, retries that reuse the
// batch's sequence numbers). Prints "delivered <n>" on stderr when every send succeeded.
const path = require('path');

const modules = path.join(__dirname, '../../js/node_modules');
const { Kafka, logLevel } = require(path.join(modules, 'kafkajs'));

async function main() {
  const [bootstrap, topic, partitions, n, chunk] = process.argv.slice(2);
  const kafka = new Kafka({
    clientId: 'interop-kafkajs-idempotent',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    requestTimeout: 5000,
    retry: { retries: 100, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  for (let start = 0; start < +n; start += +chunk) {
    const messages = [];
    for (let i = start; i < Math.min(+n, start + +chunk); i++) {
      messages.push({ key: String(i), value: String(i), partition: i % +partitions });
    }
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
  process.stderr.write(`delivered ${n}\n`);
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`kafkajs idempotent producer: ${e.stack || e}\n`);
  process.exit(1);
});
