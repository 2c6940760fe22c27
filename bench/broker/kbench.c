/* kbench: a load tool over librdkafka's C API for the broker benchmark (bench/broker/README.md).
 *
 *   kbench produce -b BOOT -t TOPIC -n COUNT -s BYTES [-a ACKS] [-z none|lz4]
 *   kbench consume -b BOOT -t TOPIC -n COUNT [-w WINDOW_MESSAGES]
 *   kbench e2e     -b BOOT -t TOPIC -r MSGS_PER_S -d SECONDS -s BYTES [-l LINGER_MS] [-a ACKS]
 *
 * Each mode prints one JSON object on stdout. All traffic goes to partition 0 of TOPIC, and the
 * consumer reads by assigning that partition (no consumer group), so the benchmark needs
 * nothing but produce, fetch, metadata and list-offsets from the broker. */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char* what, const char* detail) {
  fprintf(stderr, "kbench: %s: %s\n", what, detail);
  exit(1);
}

static void set(rd_kafka_conf_t* conf, const char* key, const char* value) {
  char errstr[256];
  if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
    die(key, errstr);
}

struct options {
  const char* mode;
  const char* bootstrap;
  const char* topic;
  long count;
  long size;
  const char* acks;
  const char* compression;
  long window;
  long rate;
  long seconds;
  const char* linger_ms;
};

/* Payload: random words from a small dictionary, so lz4 finds matches as it would in real
 * text-like messages (random bytes would make lz4 a pure cost). */
static char* make_payload(size_t bytes) {
  static const char* words[] = {"offset",    "leader",  "epoch",   "batch",   "record",    "topic",
                                "partition", "replica", "fetch",   "produce", "timestamp", "header",
                                "key",       "value",   "segment", "index"};
  char* buf = malloc(bytes);
  if (!buf) die("malloc", "payload");
  uint64_t x = 88172645463325252ull;
  size_t at = 0;
  while (at < bytes) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const char* w = words[x % 16];
    for (size_t i = 0; w[i] && at < bytes; i++) buf[at++] = w[i];
    if (at < bytes) buf[at++] = (char)('0' + (x >> 8) % 10);
    if (at < bytes) buf[at++] = ' ';
  }
  return buf;
}

static int cmp_u64(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

/* Percentile p (0..100) of sorted samples, in milliseconds. */
static double pct_ms(const uint64_t* sorted, long n, double p) {
  if (n == 0) return -1;
  long i = (long)(p / 100.0 * (double)(n - 1) + 0.5);
  return (double)sorted[i] / 1e6;
}

static rd_kafka_t* new_producer(const struct options* o, const char* linger_ms,
                                rd_kafka_conf_t* conf) {
  char errstr[512];
  set(conf, "bootstrap.servers", o->bootstrap);
  set(conf, "acks", o->acks);
  set(conf, "linger.ms", linger_ms);
  set(conf, "batch.size", "1000000");
  set(conf, "batch.num.messages", "1000000");
  set(conf, "compression.type", o->compression);
  /* The same bounded client queue for every broker: produce->ack latency includes the time a
   * message waits in it, which is what an application sees. */
  set(conf, "queue.buffering.max.messages", "100000");
  set(conf, "queue.buffering.max.kbytes", "32768");
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) die("producer", errstr);
  return rk;
}

/* One message through to the broker before timing starts: metadata, topic auto-creation and
 * connections are not part of the measurement. */
static void warm_up(rd_kafka_t* rk, const char* topic) {
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE("warm", 4),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(NULL), RD_KAFKA_V_END);
  if (err) die("warm-up produce", rd_kafka_err2str(err));
  if (rd_kafka_flush(rk, 30000)) die("warm-up", "not delivered in 30 s");
}

struct produce_state {
  uint64_t* latency_ns;
  long delivered;
  long failed;
  rd_kafka_resp_err_t first_error;
  uint64_t last_ack_ns;
};

static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque) {
  (void)rk;
  struct produce_state* st = opaque;
  if (m->_private == NULL) return; /* the warm-up message */
  if (m->err) {
    if (!st->failed++) st->first_error = m->err;
    return;
  }
  uint64_t now = now_ns();
  st->latency_ns[st->delivered++] = now - (uint64_t)(uintptr_t)m->_private;
  st->last_ack_ns = now;
}

static int run_produce(const struct options* o) {
  struct produce_state st = {0};
  st.latency_ns = calloc((size_t)o->count, sizeof(uint64_t));
  if (!st.latency_ns) die("calloc", "latencies");
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &st);
  rd_kafka_t* rk = new_producer(o, "5", conf);
  warm_up(rk, o->topic);
  size_t pool = 1 << 20;
  char* payload = make_payload(pool + (size_t)o->size);
  uint64_t start = now_ns();
  for (long i = 0; i < o->count; i++) {
    char* value = payload + (size_t)(i * 7919) % pool;
    for (;;) {
      uint64_t t = now_ns();
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(o->topic), RD_KAFKA_V_PARTITION(0),
          RD_KAFKA_V_VALUE(value, (size_t)o->size), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_OPAQUE((void*)(uintptr_t)t), RD_KAFKA_V_END);
      if (!err) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce", rd_kafka_err2str(err));
      rd_kafka_poll(rk, 1);
    }
    if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  if (rd_kafka_flush(rk, 120000)) die("flush", "messages still queued after 120 s");
  double secs = (double)(st.last_ack_ns - start) / 1e9;
  qsort(st.latency_ns, (size_t)st.delivered, sizeof(uint64_t), cmp_u64);
  printf(
      "{\"mode\":\"produce\",\"count\":%ld,\"size\":%ld,\"acks\":\"%s\",\"compression\":\"%s\","
      "\"delivered\":%ld,\"failed\":%ld,\"first_error\":\"%s\",\"seconds\":%.3f,"
      "\"msgs_per_s\":%.0f,\"mb_per_s\":%.2f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
      "\"p999_ms\":%.3f}\n",
      o->count, o->size, o->acks, o->compression, st.delivered, st.failed,
      st.failed ? rd_kafka_err2name(st.first_error) : "", secs, (double)st.delivered / secs,
      (double)st.delivered * (double)o->size / secs / 1e6, pct_ms(st.latency_ns, st.delivered, 50),
      pct_ms(st.latency_ns, st.delivered, 99), pct_ms(st.latency_ns, st.delivered, 99.9));
  rd_kafka_destroy(rk);
  free(payload);
  free(st.latency_ns);
  return st.failed ? 2 : 0;
}

static rd_kafka_t* new_consumer(const struct options* o, const char* fetch_wait_ms) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", o->bootstrap);
  set(conf, "fetch.wait.max.ms", fetch_wait_ms);
  set(conf, "enable.auto.commit", "false");
  set(conf, "enable.auto.offset.store", "false");
  if (getenv("KBENCH_DEBUG")) set(conf, "debug", getenv("KBENCH_DEBUG"));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (!rk) die("consumer", errstr);
  return rk;
}

struct consume_state {
  long wanted;
  long got;
  long errors;
  uint64_t bytes;
  uint64_t first_ns;
  uint64_t last_ns;
  /* e2e only */
  uint64_t* latency_ns;
  long samples;
  long skip_below; /* sequence numbers below this are warm-up */
  long max_seq;
  /* consume passes */
  int64_t pass_last;
  int pass_done;
};

static void on_message(rd_kafka_message_t* m, void* opaque) {
  struct consume_state* st = opaque;
  if (m->err) {
    if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) st->errors++;
    return;
  }
  uint64_t now = now_ns();
  if (!st->got) st->first_ns = now;
  st->got++;
  st->bytes += m->len;
  st->last_ns = now;
  if (m->offset == st->pass_last) st->pass_done = 1;
  if (st->latency_ns && m->len >= 16) {
    uint64_t stamp, seq;
    memcpy(&stamp, m->payload, 8);
    memcpy(&seq, (const char*)m->payload + 8, 8);
    if ((long)seq > st->max_seq) st->max_seq = (long)seq;
    if ((long)seq >= st->skip_below && st->samples < st->wanted)
      st->latency_ns[st->samples++] = now - stamp;
  }
}

/* Reads the last WINDOW messages of partition 0 again and again (seeking back after each
 * pass) until COUNT messages arrived. The window keeps the test inside what the mock retains
 * (it keeps only the last ~5 MB or 100,000 messages of a partition), so both brokers serve
 * exactly the same reads. */
static int run_consume(const struct options* o) {
  /* A short long-poll: at the end of each pass the consumer's fetch at the log end parks, and
   * the seek back waits for that fetch to return. */
  rd_kafka_t* rk = new_consumer(o, "5");
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o->topic, NULL);
  int64_t lo = 0, hi = 0;
  rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, o->topic, 0, &lo, &hi, 10000);
  if (err) die("watermarks", rd_kafka_err2str(err));
  if (o->window > 0 && hi - lo > o->window) lo = hi - o->window;
  if (hi <= lo) die("consume", "the partition is empty");
  struct consume_state st = {.wanted = o->count, .pass_last = hi - 1};
  uint64_t start = now_ns();
  if (rd_kafka_consume_start(rkt, 0, lo) == -1)
    die("consume_start", rd_kafka_err2str(rd_kafka_last_error()));
  uint64_t last_progress = now_ns();
  long seen = 0, passes = 0;
  while (st.got < o->count) {
    rd_kafka_consume_callback(rkt, 0, 200, on_message, &st);
    if (st.pass_done) {
      st.pass_done = 0, passes++;
      if (st.got < o->count && (err = rd_kafka_seek(rkt, 0, lo, 10000)))
        die("seek", rd_kafka_err2str(err));
    }
    if (st.got != seen) seen = st.got, last_progress = now_ns();
    if (now_ns() - last_progress > 30000000000ull) break; /* 30 s without a message: stalled */
  }
  uint64_t end = st.last_ns;
  rd_kafka_consume_stop(rkt, 0);
  double secs = (double)(end - start) / 1e9;
  printf(
      "{\"mode\":\"consume\",\"count\":%ld,\"window\":%lld,\"passes\":%ld,\"got\":%ld,"
      "\"errors\":%ld,\"bytes\":%llu,\"seconds\":%.3f,\"msgs_per_s\":%.0f,"
      "\"mb_per_s\":%.2f,\"first_message_ms\":%.1f}\n",
      o->count, (long long)(hi - lo), passes, st.got, st.errors, (unsigned long long)st.bytes, secs,
      (double)st.got / secs, (double)st.bytes / secs / 1e6, (double)(st.first_ns - start) / 1e6);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return st.got >= o->count ? 0 : 2;
}

/* End-to-end: one producer at a fixed rate stamps CLOCK_MONOTONIC and a sequence number into
 * each value; a consumer in the same process (same clock) reads partition 0 and records
 * now - stamp. The producer's delivery reports give produce->ack at the same fixed rate (a
 * throughput run's ack latency is mostly time in the full client queue). The first second is
 * warm-up and not counted. */
static int run_e2e(const struct options* o) {
  long total = o->rate * o->seconds;
  struct produce_state acks = {0};
  acks.latency_ns = calloc((size_t)total, sizeof(uint64_t));
  if (!acks.latency_ns) die("calloc", "ack latencies");
  rd_kafka_conf_t* pconf = rd_kafka_conf_new();
  rd_kafka_conf_set_dr_msg_cb(pconf, on_delivery);
  rd_kafka_conf_set_opaque(pconf, &acks);
  rd_kafka_t* prk = new_producer(o, o->linger_ms, pconf);
  warm_up(prk, o->topic);
  struct consume_state st = {
      .wanted = total, .skip_below = o->rate, .max_seq = -1, .pass_last = -1};
  st.latency_ns = calloc((size_t)total, sizeof(uint64_t));
  if (!st.latency_ns) die("calloc", "latencies");
  rd_kafka_t* crk = new_consumer(o, "500");
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(crk, o->topic, NULL);
  if (rd_kafka_consume_start(rkt, 0, RD_KAFKA_OFFSET_END) == -1)
    die("consume_start", rd_kafka_err2str(rd_kafka_last_error()));
  /* Let the consumer resolve its start offset and park its first fetch before producing. */
  uint64_t ready_by = now_ns() + 2000000000ull;
  while (now_ns() < ready_by) rd_kafka_consume_callback(rkt, 0, 100, on_message, &st);
  size_t size = o->size < 16 ? 16 : (size_t)o->size;
  char* value = make_payload(size);
  uint64_t t0 = now_ns(), interval = 1000000000ull / (uint64_t)o->rate;
  long sent = 0;
  while (sent < total) {
    uint64_t now = now_ns();
    if (now >= t0 + (uint64_t)sent * interval) {
      uint64_t seq = (uint64_t)sent;
      memcpy(value, &now, 8);
      memcpy(value + 8, &seq, 8);
      /* Warm-up messages carry no stamp, so their delivery reports are not counted. */
      void* ack_stamp = sent >= o->rate ? (void*)(uintptr_t)now : NULL;
      rd_kafka_resp_err_t err = rd_kafka_producev(
          prk, RD_KAFKA_V_TOPIC(o->topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE(value, size),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(ack_stamp), RD_KAFKA_V_END);
      if (err) die("produce", rd_kafka_err2str(err));
      sent++;
      rd_kafka_poll(prk, 0);
      continue;
    }
    /* The consumer is served from this thread too: at most 1 ms per call, so pacing holds. */
    rd_kafka_consume_callback(rkt, 0, 0, on_message, &st);
    uint64_t next = t0 + (uint64_t)sent * interval, after = now_ns();
    if (next > after + 200000) usleep((useconds_t)((next - after) / 2000));
  }
  uint64_t stop_by = now_ns() + 10000000000ull;
  while (st.max_seq < total - 1 && now_ns() < stop_by) {
    rd_kafka_consume_callback(rkt, 0, 100, on_message, &st);
    rd_kafka_poll(prk, 0);
  }
  rd_kafka_consume_stop(rkt, 0);
  rd_kafka_flush(prk, 10000);
  qsort(st.latency_ns, (size_t)st.samples, sizeof(uint64_t), cmp_u64);
  qsort(acks.latency_ns, (size_t)acks.delivered, sizeof(uint64_t), cmp_u64);
  printf(
      "{\"mode\":\"e2e\",\"rate\":%ld,\"seconds\":%ld,\"size\":%zu,\"linger_ms\":\"%s\","
      "\"acks\":\"%s\",\"sent\":%ld,\"received\":%ld,\"samples\":%ld,\"p50_ms\":%.3f,"
      "\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,\"acked\":%ld,\"ack_failed\":%ld,"
      "\"ack_p50_ms\":%.3f,\"ack_p99_ms\":%.3f,\"ack_p999_ms\":%.3f}\n",
      o->rate, o->seconds, size, o->linger_ms, o->acks, sent, st.got, st.samples,
      pct_ms(st.latency_ns, st.samples, 50), pct_ms(st.latency_ns, st.samples, 99),
      pct_ms(st.latency_ns, st.samples, 99.9), pct_ms(st.latency_ns, st.samples, 100),
      acks.delivered, acks.failed, pct_ms(acks.latency_ns, acks.delivered, 50),
      pct_ms(acks.latency_ns, acks.delivered, 99), pct_ms(acks.latency_ns, acks.delivered, 99.9));
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(crk);
  rd_kafka_destroy(prk);
  free(value);
  free(st.latency_ns);
  free(acks.latency_ns);
  return st.max_seq == total - 1 ? 0 : 2;
}

int main(int argc, char** argv) {
  struct options o = {.acks = "1", .compression = "none", .linger_ms = "1", .size = 1024};
  if (argc < 2) die("usage", "kbench produce|consume|e2e -b BOOT -t TOPIC ...");
  o.mode = argv[1];
  int c;
  optind = 2;
  while ((c = getopt(argc, argv, "b:t:n:s:a:z:r:d:l:w:")) != -1) {
    switch (c) {
      case 'b':
        o.bootstrap = optarg;
        break;
      case 't':
        o.topic = optarg;
        break;
      case 'n':
        o.count = atol(optarg);
        break;
      case 's':
        o.size = atol(optarg);
        break;
      case 'a':
        o.acks = optarg;
        break;
      case 'z':
        o.compression = optarg;
        break;
      case 'r':
        o.rate = atol(optarg);
        break;
      case 'd':
        o.seconds = atol(optarg);
        break;
      case 'l':
        o.linger_ms = optarg;
        break;
      case 'w':
        o.window = atol(optarg);
        break;
      default:
        die("usage", "unknown option");
    }
  }
  if (!o.bootstrap || !o.topic) die("usage", "-b and -t are required");
  if (o.size < 1 || o.size > 900000) die("usage", "-s must be 1..900000");
  if (!strcmp(o.mode, "produce") && o.count > 0) return run_produce(&o);
  if (!strcmp(o.mode, "consume") && o.count > 0) return run_consume(&o);
  if (!strcmp(o.mode, "e2e") && o.rate > 0 && o.seconds > 1) return run_e2e(&o);
  die("usage", "unknown mode or missing -n/-r/-d");
  return 1;
}
