// kafkajs admin for the interop suite: node admin.js <bootstrap> <op> '<json args>'
// prints the operation's result as JSON on stdout; exits 1 with the error on stderr.
//   create {topic, partitions, configs}   describe {topic}   alter {topic, configs}
//   partitions {topic, count}   delete-records {topic, partition, offset}   delete {topic}
//   metadata {topic}   offsets {topic}   list {}
const path = require('path');

const { Kafka, ConfigResourceTypes, logLevel } = require(
  path.join(__dirname, '../../js/node_modules/kafkajs'));

const ops = {
  create: (admin, a) => admin.createTopics({
    waitForLeaders: true,
    topics: [{
      topic: a.topic,
      numPartitions: a.partitions,
      replicationFactor: 1,
      configEntries: Object.entries(a.configs || {}).map(([name, value]) => ({ name, value })),
    }],
  }),
  describe: async (admin, a) => {
    const res = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: a.topic }],
    });
    const r = res.resources[0];
    if (r.errorCode) throw new Error(`describeConfigs error ${r.errorCode} ${r.errorMessage}`);
    return Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]));
  },
  alter: (admin, a) => admin.alterConfigs({
    validateOnly: false,
    resources: [{
      type: ConfigResourceTypes.TOPIC,
      name: a.topic,
      configEntries: Object.entries(a.configs).map(([name, value]) => ({ name, value })),
    }],
  }),
  partitions: (admin, a) => admin.createPartitions({
    topicPartitions: [{ topic: a.topic, count: a.count }],
  }),
  'delete-records': async (admin, a) => {
    // kafkajs 2.2.4 looks up partition leaders in its metadata cache before loading it, so on a
    // fresh admin client deleteTopicRecords throws KafkaJSTopicMetadataNotLoaded against any
    // broker; loading the topic's metadata first is the usual workaround.
    await admin.fetchTopicMetadata({ topics: [a.topic] });
    return admin.deleteTopicRecords({
      topic: a.topic,
      partitions: [{ partition: a.partition, offset: String(a.offset) }],
    });
  },
  delete: (admin, a) => admin.deleteTopics({ topics: [a.topic], timeout: 30000 }),
  metadata: async (admin, a) => {
    const m = await admin.fetchTopicMetadata({ topics: [a.topic] });
    return m.topics[0].partitions.length;
  },
  offsets: (admin, a) => admin.fetchTopicOffsets(a.topic),
  list: (admin) => admin.listTopics(),
};

async function main() {
  const [bootstrap, op, json] = process.argv.slice(2);
  const kafka = new Kafka({
    clientId: 'interop-kafkajs-admin',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    requestTimeout: 10000,
    retry: { retries: 2 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const result = await ops[op](admin, JSON.parse(json || '{}'));
    process.stdout.write(`${JSON.stringify(result === undefined ? null : result)}\n`);
  } finally {
    await admin.disconnect();
  }
}

function exit(code) {
  process.stdout.write('', () => process.exit(code));
}

main().then(() => exit(0), (e) => {
  process.stderr.write(`kafkajs admin: ${e.name}: ${e.message}\n`);
  exit(1);
});
