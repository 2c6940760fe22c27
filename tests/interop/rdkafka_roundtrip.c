/* A librdkafka C client for the interop suite. The messages it produces are the same pure
 * function of (tag, index) as in messages.py, so the Python side can check them exactly.
 *
 *   rdkafka_roundtrip produce   <bootstrap> <topic> <partitions> <codec> <n> <tag> <base_ts>
 *   rdkafka_roundtrip consume   <bootstrap> <topic> <partitions> <n>
 *   rdkafka_roundtrip roundtrip <bootstrap> <topic> <partitions> <codec> <n> <tag> <base_ts>
 *   rdkafka_roundtrip delete-records <bootstrap> <topic> <partition> <before_offset>
 *
 * produce reports "delivered <n>" on stderr (exit 1 on any delivery error); consume prints one
 * line per record on stdout: partition offset timestamp key_hex value_hex hk:hv,... (hex), then
 * "consumed <n> checksum <fnv1a-64 of those lines>" on stderr. */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char filler[] = "abcdefghijklmnop";
static long delivered;
static long delivery_errors;
static uint64_t checksum = 1469598103934665603ULL;

static void die(const char* what, const char* why) {
  fprintf(stderr, "rdkafka_roundtrip: %s: %s\n", what, why);
  exit(2);
}

static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    if (delivery_errors++ < 5) fprintf(stderr, "delivery error: %s\n", rd_kafka_err2str(m->err));
  } else {
    delivered++;
  }
}

static rd_kafka_conf_t* base_conf(const char* bootstrap) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)))
    die("conf", errstr);
  return conf;
}

static void set(rd_kafka_conf_t* conf, const char* k, const char* v) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr))) die(k, errstr);
}

static int produce(const char* bootstrap, const char* topic, int partitions, const char* codec,
                   long n, const char* tag, int64_t base_ts) {
  char errstr[512];
  rd_kafka_conf_t* conf = base_conf(bootstrap);
  set(conf, "compression.codec", codec);
  set(conf, "linger.ms", "5");
  set(conf, "batch.size", "1000000");
  set(conf, "acks", "all");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) die("producer", errstr);
  for (long i = 0; i < n; i++) {
    char key[32], value[128], id[32];
    snprintf(key, sizeof(key), "k%ld", i);
    snprintf(value, sizeof(value), "%s-%ld-%.*s", tag, i, (int)(i % 17), filler);
    snprintf(id, sizeof(id), "%ld", i);
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(2);
    rd_kafka_header_add(hdrs, "id", -1, id, -1);
    if (i % 4 == 0) rd_kafka_header_add(hdrs, "n", -1, tag, -1);
    for (;;) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION((int32_t)(i % partitions)),
          RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(value, strlen(value)),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(base_ts + i),
          RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 10);
        continue;
      }
      if (err) die("produce", rd_kafka_err2str(err));
      break;
    }
    rd_kafka_poll(rk, 0);
  }
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 50);
  rd_kafka_destroy(rk);
  fprintf(stderr, "delivered %ld errors %ld\n", delivered, delivery_errors);
  return delivered == n && delivery_errors == 0 ? 0 : 1;
}

static void emit(const char* line) {
  for (const char* p = line; *p; p++) {
    checksum ^= (unsigned char)*p;
    checksum *= 1099511628211ULL;
  }
  fputs(line, stdout);
}

static void emit_hex(const void* data, size_t len) {
  static const char digits[] = "0123456789abcdef";
  char buf[3] = {0, 0, 0};
  for (size_t i = 0; i < len; i++) {
    buf[0] = digits[((const unsigned char*)data)[i] >> 4];
    buf[1] = digits[((const unsigned char*)data)[i] & 15];
    emit(buf);
  }
}

static int consume(const char* bootstrap, const char* topic, int partitions, long n) {
  char errstr[512];
  rd_kafka_conf_t* conf = base_conf(bootstrap);
  set(conf, "group.id", "interop-rdkafka");
  set(conf, "enable.auto.commit", "false");
  set(conf, "enable.partition.eof", "true");
  set(conf, "auto.offset.reset", "earliest");
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (!rk) die("consumer", errstr);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; p++)
    rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  if (rd_kafka_assign(rk, parts)) die("assign", "failed");
  rd_kafka_topic_partition_list_destroy(parts);
  long count = 0;
  /* Gives up after 600 s, or 30 s without a new record (the caller's check then fails). */
  time_t deadline = time(NULL) + 600;
  time_t idle_until = time(NULL) + 30;
  while (count < n && time(NULL) < deadline && time(NULL) < idle_until) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 500);
    if (!m) continue;
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
        fprintf(stderr, "consume error: %s\n", rd_kafka_message_errstr(m));
      rd_kafka_message_destroy(m);
      continue;
    }
    idle_until = time(NULL) + 30;
    char head[96];
    snprintf(head, sizeof(head), "%d %lld %lld ", (int)m->partition, (long long)m->offset,
             (long long)rd_kafka_message_timestamp(m, NULL));
    emit(head);
    emit_hex(m->key, m->key_len);
    emit(" ");
    emit_hex(m->payload, m->len);
    emit(" ");
    rd_kafka_headers_t* hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* val;
      size_t size;
      for (size_t idx = 0; !rd_kafka_header_get_all(hdrs, idx, &name, &val, &size); idx++) {
        if (idx) emit(",");
        emit_hex(name, strlen(name));
        emit(":");
        emit_hex(val, size);
      }
    }
    emit("\n");
    count++;
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  fprintf(stderr, "consumed %ld checksum %016llx\n", count, (unsigned long long)checksum);
  return count == n ? 0 : 1;
}

static int delete_records(const char* bootstrap, const char* topic, int partition, long before) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, base_conf(bootstrap), errstr, sizeof(errstr));
  if (!rk) die("admin", errstr);
  rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(offsets, topic, partition)->offset = before;
  rd_kafka_DeleteRecords_t* del = rd_kafka_DeleteRecords_new(offsets);
  rd_kafka_topic_partition_list_destroy(offsets);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_DeleteRecords(rk, &del, 1, NULL, q);
  rd_kafka_DeleteRecords_destroy(del);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  int rc = 1;
  if (!ev) {
    fprintf(stderr, "delete-records: timed out\n");
  } else if (rd_kafka_event_error(ev)) {
    fprintf(stderr, "delete-records: %s\n", rd_kafka_event_error_string(ev));
  } else {
    const rd_kafka_topic_partition_list_t* res =
        rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
    if (res->cnt == 1 && !res->elems[0].err) {
      printf("low_watermark %lld\n", (long long)res->elems[0].offset);
      rc = 0;
    } else {
      fprintf(stderr, "delete-records: %s\n",
              res->cnt ? rd_kafka_err2str(res->elems[0].err) : "no result");
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return rc;
}

int main(int argc, char** argv) {
  if (argc == 9 && (!strcmp(argv[1], "produce") || !strcmp(argv[1], "roundtrip"))) {
    int partitions = atoi(argv[4]);
    long n = atol(argv[6]);
    int rc = produce(argv[2], argv[3], partitions, argv[5], n, argv[7], atoll(argv[8]));
    if (rc || !strcmp(argv[1], "produce")) return rc;
    return consume(argv[2], argv[3], partitions, n);
  }
  if (argc == 6 && !strcmp(argv[1], "consume"))
    return consume(argv[2], argv[3], atoi(argv[4]), atol(argv[5]));
  if (argc == 6 && !strcmp(argv[1], "delete-records"))
    return delete_records(argv[2], argv[3], atoi(argv[4]), atol(argv[5]));
  fprintf(stderr, "usage: see the comment at the top of rdkafka_roundtrip.c\n");
  return 2;
}
