// Drives kafkajs through produce (each codec kafkajs ships), a consumer group with commits, and
// admin calls against the bootstrap address in argv[2], so its request bytes can be captured.
const path = require('path');
const { Kafka, CompressionTypes, logLevel } = require(path.join(__dirname, '../../js/node_modules/kafkajs'));

async function main() {
  const kafka = new Kafka({ clientId: 'golden-kafkajs', brokers: process.argv[2].split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  for (const codec of [CompressionTypes.None, CompressionTypes.GZIP]) {
    await producer.send({
      topic: 'golden',
      compression: codec,
      messages: [0, 1, 2, 3, 4].map((i) => ({ key: `k${i}`, value: `v${i}`.repeat(10), headers: { h: 'v' }, partition: i % 3 })),
    });
  }
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'golden-kafkajs' });
  await consumer.connect();
  await consumer.subscribe({ topics: ['golden'], fromBeginning: true });
  let seen = 0;
  await consumer.run({ eachMessage: async () => { seen += 1; } });
  await new Promise((r) => setTimeout(r, 8000));
  await consumer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  try { await admin.createTopics({ topics: [{ topic: 'golden-admin-js', numPartitions: 2 }] }); } catch (e) { console.log('createTopics', e.message); }
  try { await admin.fetchTopicMetadata({ topics: ['golden'] }); } catch (e) { console.log('metadata', e.message); }
  try { await admin.listGroups(); } catch (e) { console.log('listGroups', e.message); }
  await admin.disconnect();
  console.log(`kafkajs consumed ${seen}`);
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
