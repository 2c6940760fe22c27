// kafkajs consumer in a group for the interop group tests (../groups.py starts it and reads
// its events): node group_consumer.js '<json config>'
// Also kafkajs' group admin: node group_consumer.js admin <bootstrap> <op> '<json args>' prints
// the result as JSON (exit 1 with the error on stderr); ops: list {}, describe {groups},
// fetch {group, topic}, reset {group, topic, earliest}, delete {groups}.
// Config: bootstrap, topic, group, commit (after|before|none|auto), strategy (roundrobin|range),
// batch, pause_ms, session_ms, heartbeat_ms, rebalance_ms. Prints one JSON event per line, as
// groups.py describes; "close" on stdin (or its end) disconnects, which sends LeaveGroup.
const path = require('path');
const readline = require('readline');

const { Kafka, logLevel, PartitionAssigners } = require(
  path.join(__dirname, '../../js/node_modules/kafkajs'));

function emit(ev) {
  process.stdout.write(`${JSON.stringify(ev)}\n`);
}

// kafkajs names its round-robin assignor "RoundRobinAssigner", which no other client knows;
// under the standard name "roundrobin" (same ConsumerProtocol encodings) it can share a group
// with librdkafka and kafka-python members. The assignment algorithm is the leader's business.
function roundRobinNamed(name) {
  return (args) => {
    const base = PartitionAssigners.roundRobin(args);
    return { ...base, name };
  };
}

const adminOps = {
  list: (admin) => admin.listGroups(),
  describe: (admin, a) => admin.describeGroups(a.groups),
  fetch: (admin, a) => admin.fetchOffsets({ groupId: a.group, topics: [a.topic] }),
  reset: (admin, a) => admin.resetOffsets({
    groupId: a.group, topic: a.topic, earliest: a.earliest,
  }),
  delete: async (admin, a) => {
    try {
      return await admin.deleteGroups(a.groups);
    } catch (e) {
      // Per-group errors are the answer, not a failure of the call.
      if (e.name === 'KafkaJSDeleteGroupsError') {
        return e.groups.map((g) => ({ groupId: g.groupId, errorCode: g.errorCode }));
      }
      throw e;
    }
  },
};

async function admin(bootstrap, op, json) {
  const kafka = new Kafka({
    clientId: 'interop-kafkajs-group-admin',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    requestTimeout: 10000,
    retry: { retries: 3 },
  });
  const a = kafka.admin();
  await a.connect();
  try {
    const result = await adminOps[op](a, JSON.parse(json || '{}'));
    process.stdout.write(`${JSON.stringify(result === undefined ? null : result)}\n`);
  } finally {
    await a.disconnect();
  }
}

async function main() {
  if (process.argv[2] === 'admin') {
    await admin(...process.argv.slice(3));
    process.stdout.write('', () => process.exit(0));
    return;
  }
  const cfg = JSON.parse(process.argv[2]);
  if (cfg.instance_id) throw new Error('kafkajs 2.2 has no static membership');
  const kafka = new Kafka({
    clientId: 'interop-kafkajs-group',
    brokers: cfg.bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    requestTimeout: 10000,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const consumer = kafka.consumer({
    groupId: cfg.group,
    sessionTimeout: cfg.session_ms,
    heartbeatInterval: cfg.heartbeat_ms,
    rebalanceTimeout: cfg.rebalance_ms,
    partitionAssigners: [roundRobinNamed(cfg.strategy === 'range' ? 'range' : 'roundrobin')],
    maxWaitTimeInMs: 100,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const { GROUP_JOIN, CRASH } = consumer.events;
  consumer.on(GROUP_JOIN, (e) => {
    const parts = (e.payload.memberAssignment[cfg.topic] || []).slice().sort((a, b) => a - b);
    emit({ e: 'assign', p: parts, full: true });
  });
  consumer.on(CRASH, (e) => emit({ e: 'error', m: `crash: ${e.payload.error.message}` }));

  await consumer.connect();
  await consumer.subscribe({ topics: [cfg.topic], fromBeginning: true });

  const commit = async (partition, next) => {
    await consumer.commitOffsets([{ topic: cfg.topic, partition, offset: String(next) }]);
    emit({ e: 'commit', o: { [partition]: next } });
  };
  const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

  await consumer.run({
    autoCommit: cfg.commit === 'auto',
    autoCommitInterval: 200,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const { partition } = batch;
      for (let i = 0; i < batch.messages.length; i += cfg.batch) {
        if (!isRunning() || isStale()) return;
        const chunk = batch.messages.slice(i, i + cfg.batch);
        const next = Number(chunk[chunk.length - 1].offset) + 1;
        try {
          if (cfg.commit === 'before') await commit(partition, next);
          for (const m of chunk) {
            emit({
              e: 'msg', p: partition, o: Number(m.offset), k: m.key ? m.key.toString() : '',
            });
            if (cfg.pause_ms) await sleep(cfg.pause_ms);
          }
          if (cfg.commit === 'after') await commit(partition, next);
        } catch (e) {
          // A commit refused during a rebalance: printed messages stay uncommitted (allowed
          // by at-least-once) and are read again by whoever gets the partition.
          emit({ e: 'error', m: `commit: ${e.message}` });
          return;
        }
        resolveOffset(chunk[chunk.length - 1].offset);
        await heartbeat();
      }
    },
  });

  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await consumer.disconnect();
    emit({ e: 'closed' });
    process.stdout.write('', () => process.exit(0));
  };
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => { if (line.trim() === 'close') close(); });
  rl.on('close', close);
}

main().catch((e) => {
  emit({ e: 'error', m: `fatal: ${e.message}` });
  process.stderr.write(`kafkajs group consumer: ${e.stack}\n`);
  process.stdout.write('', () => process.exit(1));
});
