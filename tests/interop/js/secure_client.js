// kafkajs over SSL and SASL for the security tests: produces n values through the broker, then
// reads them back from partition 0 and prints them as a JSON list.
//   node secure_client.js '{"bootstrap":..., "topic":..., "n":..., "settings":{librdkafka names}}'
const fs = require('fs');
const path = require('path');

const { Kafka, logLevel } = require(path.join(__dirname, '../../js/node_modules', 'kafkajs'));

function value(i) {
  return `v${String(i).padStart(6, '0')}-${'x'.repeat(i % 50)}`;
}

function clientConfig(bootstrap, s) {
  const protocol = s['security.protocol'] || 'PLAINTEXT';
  const config = { clientId: 'secure-kafkajs', brokers: [bootstrap], logLevel: logLevel.ERROR,
    retry: { retries: 3 } };
  if (protocol.endsWith('SSL')) {
    config.ssl = { ca: [fs.readFileSync(s['ssl.ca.location'])] };
    if (s['ssl.certificate.location']) {
      config.ssl.cert = fs.readFileSync(s['ssl.certificate.location']);
      config.ssl.key = fs.readFileSync(s['ssl.key.location']);
    }
  }
  if (protocol.startsWith('SASL')) {
    config.sasl = { mechanism: s['sasl.mechanism'].toLowerCase(), username: s['sasl.username'],
      password: s['sasl.password'] };
  }
  return config;
}

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const kafka = new Kafka(clientConfig(spec.bootstrap, spec.settings));
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < spec.n; i++) messages.push({ value: value(i), partition: 0 });
  await producer.send({ topic: spec.topic, acks: -1, messages });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `g-${spec.topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic: spec.topic, fromBeginning: true });
  const got = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${got.length} of ${spec.n}`)), 60000);
    consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value.toString());
        if (got.length >= spec.n) {
          clearTimeout(timer);
          resolve();
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  process.stdout.write(JSON.stringify(got));
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
