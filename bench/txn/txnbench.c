/* txnbench: transactional produce throughput against plain and idempotent produce, over
 * librdkafka's C API (bench/txn/run.sh, bench/README.md "Transactions (issue 7)").
 *
 *   txnbench -b BOOT [-n COUNT] [-s BYTES] [-p PARTITIONS] [-r ROUNDS] [-l LINGER_MS]
 *            [-c CASE,...]   (-c plain,idem: only those cases)
 *   (defaults: 400,000 messages of 1,024 B, 3 partitions, 5 rounds, linger 5 ms)
 *
 * Creates one topic per case and round (PARTITIONS partitions, messages spread round robin), then
 * in every round runs the cases one after another, in a rotated order so none is always first:
 *   plain   acks=all, enable.idempotence=false
 *   idem    acks=all, enable.idempotence=true
 *   txn100  transactional.id, a commit every 100 messages
 *   txn1000 transactional.id, a commit every 1,000 messages
 * Each case produces COUNT messages of BYTES (default 1024) with the same batching settings;
 * the time runs from the first send to the last delivery (non-transactional) or the last
 * commit's return (transactional). Prints one JSON line per run, then the best msgs/s of each
 * case and the ratios txnN / idem and idem / plain. */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { cases_n = 4 };
static const char* case_names[cases_n] = {"plain", "idem", "txn100", "txn1000"};
static const long case_txn_size[cases_n] = {0, 0, 100, 1000};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char* usage =
    "txnbench -b BOOT [-n COUNT] [-s BYTES] [-p PARTITIONS] [-r ROUNDS] [-l LINGER_MS] "
    "[-c CASE,...]";

static void die(const char* what, const char* detail) {
  fprintf(stderr, "txnbench: %s: %s\n", what, detail);
  exit(1);
}

static void die_error(const char* what, rd_kafka_error_t* error) {
  if (error) die(what, rd_kafka_error_string(error));
}

static void set(rd_kafka_conf_t* conf, const char* key, const char* value) {
  char errstr[256];
  if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
    die(key, errstr);
}

struct options {
  const char* bootstrap;
  long count;
  long size;
  int partitions;
  int rounds;
  const char* linger_ms;
  const char* cases; /* comma-separated case names to run; NULL: all */
};

static int case_selected(const struct options* o, int c) {
  if (!o->cases) return 1;
  size_t n = strlen(case_names[c]);
  for (const char* p = o->cases; (p = strstr(p, case_names[c])) != NULL; p += n) {
    int starts = p == o->cases || p[-1] == ',';
    int ends = p[n] == '\0' || p[n] == ',';
    if (starts && ends) return 1;
  }
  return 0;
}

static long failed;

/* a / b, or 0 when a case did not run. */
static double ratio(double a, double b) {
  return a > 0 && b > 0 ? a / b : 0;
}

static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque) {
  (void)rk;
  (void)opaque;
  if (m->err && !failed++) fprintf(stderr, "txnbench: delivery: %s\n", rd_kafka_err2str(m->err));
}

/* Same settings for every case but idempotence and transactions: linger (5 ms), 1 MB batches, a
 * client queue bounded at 32 MiB. */
static rd_kafka_t* new_producer(const struct options* o, int c, const char* tid) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  set(conf, "bootstrap.servers", o->bootstrap);
  set(conf, "acks", "all");
  set(conf, "linger.ms", o->linger_ms);
  set(conf, "batch.size", "1000000");
  set(conf, "batch.num.messages", "1000000");
  set(conf, "queue.buffering.max.messages", "100000");
  set(conf, "queue.buffering.max.kbytes", "32768");
  set(conf, "enable.idempotence", c == 0 ? "false" : "true");
  /* Without idempotence librdkafka allows 1,000,000 in flight; Kafka's limit for idempotence is
   * 5, so give plain produce the same window to compare like with like. */
  set(conf, "max.in.flight.requests.per.connection", "5");
  if (case_txn_size[c]) set(conf, "transactional.id", tid);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) die("producer", errstr);
  return rk;
}

static void create_topic(const struct options* o, const char* topic) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", o->bootstrap);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) die("admin", errstr);
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic, o->partitions, 1, errstr, sizeof(errstr));
  if (!nt) die("NewTopic", errstr);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 60000);
  if (!ev) die("CreateTopics", "no answer in 60 s");
  size_t n = 0;
  const rd_kafka_topic_result_t** res =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
  if (rd_kafka_event_error(ev)) die("CreateTopics", rd_kafka_event_error_string(ev));
  if (n != 1 || rd_kafka_topic_result_error(res[0]))
    die("CreateTopics", n ? rd_kafka_topic_result_error_string(res[0]) : "no result");
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_destroy(rk);
}

static void produce_one(rd_kafka_t* rk, const char* topic, int partition, const char* value,
                        size_t size) {
  for (;;) {
    rd_kafka_resp_err_t err =
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_VALUE((void*)value, size),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (!err) return;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce", rd_kafka_err2str(err));
    rd_kafka_poll(rk, 1);
  }
}

/* One case: warm-up (connections, metadata, InitProducerId, one committed transaction), then
 * the timed run. Returns messages per second. */
static double run_case(const struct options* o, int c, const char* topic, const char* payload,
                       size_t pool) {
  char tid[160];
  snprintf(tid, sizeof(tid), "txnbench-%s", topic);
  rd_kafka_t* rk = new_producer(o, c, tid);
  long txn = case_txn_size[c];
  if (txn) {
    die_error("init_transactions", rd_kafka_init_transactions(rk, 60000));
    die_error("begin_transaction", rd_kafka_begin_transaction(rk));
  }
  for (int p = 0; p < o->partitions; p++) produce_one(rk, topic, p, "warm", 4);
  if (txn) die_error("commit_transaction", rd_kafka_commit_transaction(rk, 60000));
  if (rd_kafka_flush(rk, 30000)) die("warm-up", "not delivered in 30 s");

  uint64_t start = now_ns();
  for (long i = 0; i < o->count; i++) {
    if (txn && i % txn == 0) die_error("begin_transaction", rd_kafka_begin_transaction(rk));
    produce_one(rk, topic, (int)(i % o->partitions), payload + (size_t)(i * 7919) % pool,
                (size_t)o->size);
    if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
    if (txn && (i % txn == txn - 1 || i == o->count - 1))
      die_error("commit_transaction", rd_kafka_commit_transaction(rk, 120000));
  }
  if (rd_kafka_flush(rk, 120000)) die("flush", "messages still queued after 120 s");
  double secs = (double)(now_ns() - start) / 1e9;
  if (failed) die("delivery", "some messages failed");
  rd_kafka_destroy(rk);
  double rate = (double)o->count / secs;
  printf(
      "{\"case\":\"%s\",\"count\":%ld,\"size\":%ld,\"partitions\":%d,\"seconds\":%.3f,"
      "\"msgs_per_s\":%.0f,\"mib_per_s\":%.1f}\n",
      case_names[c], o->count, o->size, o->partitions, secs, rate,
      rate * (double)o->size / (1 << 20));
  fflush(stdout);
  return rate;
}

int main(int argc, char** argv) {
  struct options o = {.bootstrap = NULL,
                      .count = 400000,
                      .size = 1024,
                      .partitions = 3,
                      .rounds = 5,
                      .linger_ms = "5",
                      .cases = NULL};
  int opt;
  while ((opt = getopt(argc, argv, "b:n:s:p:r:l:c:")) != -1) {
    switch (opt) {
      case 'b':
        o.bootstrap = optarg;
        break;
      case 'n':
        o.count = atol(optarg);
        break;
      case 's':
        o.size = atol(optarg);
        break;
      case 'p':
        o.partitions = atoi(optarg);
        break;
      case 'r':
        o.rounds = atoi(optarg);
        break;
      case 'l':
        o.linger_ms = optarg;
        break;
      case 'c':
        o.cases = optarg;
        break;
      default:
        die("usage", usage);
    }
  }
  if (!o.bootstrap || o.count <= 0 || o.size <= 0 || o.partitions <= 0 || o.rounds <= 0)
    die("usage", usage);

  /* Values: a deterministic pseudo-random pool; message i starts at a different place. */
  size_t pool = 1 << 20;
  char* payload = malloc(pool + (size_t)o.size);
  if (!payload) die("malloc", "payload");
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < pool + (size_t)o.size; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    payload[i] = (char)('a' + x % 26);
  }

  double best[cases_n] = {0};
  char topic[128];
  for (int r = 0; r < o.rounds; r++) {
    for (int k = 0; k < cases_n; k++) {
      int c = (k + r) % cases_n;
      if (!case_selected(&o, c)) continue;
      snprintf(topic, sizeof(topic), "txnbench-%d-%s-%d", (int)getpid(), case_names[c], r);
      create_topic(&o, topic);
      double rate = run_case(&o, c, topic, payload, pool);
      if (rate > best[c]) best[c] = rate;
    }
  }
  fprintf(stderr, "\nbest of %d rounds, %ld messages of %ld B over %d partitions:\n", o.rounds,
          o.count, o.size, o.partitions);
  for (int c = 0; c < cases_n; c++)
    fprintf(stderr, "  %-8s %9.0f msgs/s  %7.1f MiB/s\n", case_names[c], best[c],
            best[c] * (double)o.size / (1 << 20));
  /* What a transaction adds to the time of its messages produced idempotently. */
  double extra_ms[cases_n] = {0};
  for (int c = 2; c < cases_n; c++)
    if (best[c] > 0 && best[1] > 0)
      extra_ms[c] = ((double)case_txn_size[c] / best[c] - (double)case_txn_size[c] / best[1]) * 1e3;
  fprintf(stderr,
          "  txn100 / idem   %.2f  (%.2f ms per transaction on top of its messages)\n"
          "  txn1000 / idem  %.2f  (%.2f ms; goal >= 0.80)\n"
          "  idem / plain    %.2f  (goal >= 0.95)\n",
          ratio(best[2], best[1]), extra_ms[2], ratio(best[3], best[1]), extra_ms[3],
          ratio(best[1], best[0]));
  printf(
      "{\"summary\":true,\"plain\":%.0f,\"idem\":%.0f,\"txn100\":%.0f,\"txn1000\":%.0f,"
      "\"txn100_over_idem\":%.3f,\"txn1000_over_idem\":%.3f,\"idem_over_plain\":%.3f,"
      "\"txn100_extra_ms\":%.2f,\"txn1000_extra_ms\":%.2f}\n",
      best[0], best[1], best[2], best[3], ratio(best[2], best[1]), ratio(best[3], best[1]),
      ratio(best[1], best[0]), extra_ms[2], extra_ms[3]);
  free(payload);
  return 0;
}
