// kafkajs consume-transform-produce for test_transactions.py:
//   node transactions.js '<json config>'
// config: bootstrap, input, output, group, transactional_id, max_batch, session_ms,
// per_message_ms (time spent "transforming" each message inside the transaction, so that a kill
// lands inside one more often).
// A group consumer (read committed, no auto commit) hands batches to eachBatch; every chunk of at
// most max_batch messages is copied to the same partition of the output topic inside one
// transaction of a transactional producer (idempotent, one request in flight) that also commits
// the consumer's next offset (sendOffsets). Prints JSON lines on stdout: ready (joined the group),
// begin {n}, commit {p, o}, error {m}. Stops cleanly (exit 0) when stdin says "stop" or closes.
const path = require('path');
const readline = require('readline');

const modules = path.join(__dirname, '../../js/node_modules');
const { Kafka, logLevel } = require(path.join(modules, 'kafkajs'));

function emit(ev) {
  process.stdout.write(`${JSON.stringify(ev)}\n`);
}

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const kafka = new Kafka({
    clientId: 'interop-kafkajs-txn',
    brokers: cfg.bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const producer = kafka.producer({
    transactionalId: cfg.transactional_id,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: 20000,
    allowAutoTopicCreation: false,
  });
  const consumer = kafka.consumer({
    groupId: cfg.group,
    readUncommitted: false,
    sessionTimeout: cfg.session_ms,
    heartbeatInterval: Math.floor(cfg.session_ms / 5),
    rebalanceTimeout: 10000,
    allowAutoTopicCreation: false,
  });
  let stopping = false;
  let stopped;
  const done = new Promise((resolve) => { stopped = resolve; });
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'stop') stopped();
  }).on('close', () => stopped());

  await producer.connect(); // InitProducerId: fences and aborts a killed predecessor
  consumer.on(consumer.events.GROUP_JOIN, () => emit({ e: 'ready' }));
  await consumer.connect();
  await consumer.subscribe({ topic: cfg.input, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      for (let i = 0; i < batch.messages.length; i += cfg.max_batch) {
        if (stopping || !isRunning() || isStale()) return;
        const chunk = batch.messages.slice(i, i + cfg.max_batch);
        const last = chunk[chunk.length - 1].offset;
        const txn = await producer.transaction();
        emit({ e: 'begin', n: chunk.length });
        try {
          await txn.send({
            topic: cfg.output,
            messages: chunk.map((m) => ({
              key: m.key, value: m.value, partition: batch.partition,
            })),
          });
          const transform_ms = cfg.per_message_ms * chunk.length;
          await new Promise((resolve) => { setTimeout(resolve, transform_ms); });
          const next = (BigInt(last) + 1n).toString();
          await txn.sendOffsets({
            consumerGroupId: cfg.group,
            topics: [{
              topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }],
            }],
          });
          await txn.commit();
          emit({ e: 'commit', p: batch.partition, o: Number(next) });
        } catch (e) {
          emit({ e: 'error', m: String(e.stack || e) });
          await txn.abort();
          throw e; // the consumer restarts from the committed offsets
        }
        resolveOffset(last);
        await heartbeat();
      }
    },
  });
  await done;
  stopping = true;
  await consumer.disconnect();
  await producer.disconnect();
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`kafkajs transactions: ${e.stack || e}\n`);
  process.exit(1);
});
