#!/usr/bin/env node
// One kafkajs producer of the transactions workload (README.md here), a child process of
// tests/chaos/run, beside the librdkafka ones of txn_worker.py: an independent implementation
// of the transactional producer (its own InitProducerId, AddPartitionsToTxn, EndTxn and
// retries).
//
//     txn_worker.js PROCESS BOOTSTRAP TOPIC PARTITIONS RATE HISTORY
//
// The same transactions, values and history events as txn_worker.py: invoke (values, commit),
// then ok (with each value's offset), fail (the abort returned) or unknown; on unknown the
// producer is replaced by a new one with the same transactional.id, whose InitProducerId
// fences the old and aborts what it left open. kafkajs comes from tests/js (npm ci).

'use strict';

const fs = require('fs');
const path = require('path');

const { Kafka, logLevel } = require(path.join(__dirname, '..', 'js', 'node_modules', 'kafkajs'));

const TRANSACTION_TIMEOUT_MS = 15000;
const REQUEST_TIMEOUT_MS = 5000;
const ABORT_EVERY = 5;

let stopping = false;
process.on('SIGTERM', () => { stopping = true; });

class History {
  constructor(file, processName) {
    this.fd = fs.openSync(file, 'a');
    this.process = processName;
  }

  event(type, f, fields = {}) {
    const e = { time: Date.now() / 1000, process: this.process, type, f, ...fields };
    fs.writeSync(this.fd, JSON.stringify(e) + '\n');  // one line per event, as history.py
  }
}

function newProducer(bootstrap, processName) {
  const kafka = new Kafka({
    clientId: processName,
    brokers: bootstrap.split(','),
    requestTimeout: REQUEST_TIMEOUT_MS,
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 8 },
    logLevel: logLevel.NOTHING,
  });
  return kafka.producer({
    transactionalId: processName,
    transactionTimeout: TRANSACTION_TIMEOUT_MS,
    idempotent: true,
    maxInFlightRequests: 1,
  });
}

async function connected(bootstrap, processName, log) {
  for (;;) {
    const producer = newProducer(bootstrap, processName);
    try {
      await producer.connect();
      return producer;
    } catch (e) {
      log.event('info', 'txn-error', { op: 'init', error: String(e) });
      await producer.disconnect().catch(() => {});
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

// One transaction: [outcome, {value: offset}, error].
async function transaction(producer, topic, values, commit) {
  const offsets = {};
  let txn;
  try {
    txn = await producer.transaction();
  } catch (e) {
    return ['unknown', offsets, 'begin: ' + e];
  }
  let committing = false;
  try {
    for (const [partition, value] of values) {
      const [meta] = await txn.send({ topic, messages: [{ partition, value }] });
      offsets[value] = Number(meta.baseOffset);
    }
    if (commit) {
      committing = true;
      await txn.commit();
      return ['ok', offsets, null];
    }
  } catch (e) {
    // A failed commit may have been decided at the coordinator; a failed send is aborted below.
    if (committing) return ['unknown', offsets, 'commit: ' + e];
  }
  try {
    await txn.abort();
    return ['fail', offsets, null];
  } catch (e) {
    return ['unknown', offsets, 'abort: ' + e];
  }
}

async function main() {
  const [processName, bootstrap, topic, partitionsArg, rateArg, file] = process.argv.slice(2);
  const partitions = Number(partitionsArg);
  const rate = Number(rateArg);
  const log = new History(file, processName);
  let producer = await connected(bootstrap, processName, log);
  const start = Date.now();
  for (let n = 0; !stopping; n++) {
    const due = start + (n * 1000) / rate;
    while (!stopping && Date.now() < due) {
      await new Promise((r) => setTimeout(r, Math.min(10, due - Date.now())));
    }
    if (stopping) break;
    const width = 2 + (n % 2);
    const values = [];
    for (let k = 0; k < width; k++) {
      values.push([(n + k * 2) % partitions, `${processName}/${n}/${k}`]);
    }
    const commit = n % ABORT_EVERY !== ABORT_EVERY - 1;
    log.event('invoke', 'txn', { txn: n, values, commit });
    const [outcome, offsets, error] = await transaction(producer, topic, values, commit);
    const fields = { txn: n };
    if (outcome === 'ok') fields.offsets = offsets;
    if (error) fields.error = error;
    log.event(outcome, 'txn', fields);
    if (outcome === 'unknown') {
      await producer.disconnect().catch(() => {});
      producer = await connected(bootstrap, processName, log);
    }
  }
  log.event('info', 'drained', { outstanding: 0 });
  process.exit(0);  // without the client's own shutdown, which may wait on a paused broker
}

main().catch((e) => {
  fs.appendFileSync(process.argv[7], JSON.stringify({
    time: Date.now() / 1000, process: process.argv[2], type: 'info', f: 'fatal', error: String(e),
  }) + '\n');
  process.exit(3);
});
