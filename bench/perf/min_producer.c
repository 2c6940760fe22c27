/* The smallest librdkafka produce loop that does what `vltava perf produce` does (same settings,
 * same unpaced send loop, a delivery callback per record), with none of its measuring: the
 * baseline that bench/run compares the perf tool's throughput against.
 * Usage: min_producer BOOTSTRAP TOPIC RECORDS SIZE ACKS
 * Prints {"records":N,"failed":N,"seconds":S,"records_per_sec":R} on stdout. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long delivered, failed;
static struct timespec last_done;

static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque) {
  (void)rk;
  (void)opaque;
  if (m->err)
    failed++;
  else
    delivered++;
  clock_gettime(CLOCK_MONOTONIC, &last_done);
}

static void set(rd_kafka_conf_t* conf, const char* k, const char* v) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "min_producer: %s\n", errstr);
    exit(2);
  }
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: min_producer BOOTSTRAP TOPIC RECORDS SIZE ACKS\n");
    return 2;
  }
  long long n = atoll(argv[3]);
  size_t size = (size_t)atoll(argv[4]);
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", argv[1]);
  set(conf, "acks", argv[5]);
  set(conf, "linger.ms", "5");
  set(conf, "batch.size", "1000000");
  set(conf, "queue.buffering.max.messages", "1000000");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) {
    fprintf(stderr, "min_producer: %s\n", errstr);
    return 1;
  }
  char* payload = malloc(size ? size : 1);
  for (size_t i = 0; i < size; i++) payload[i] = (char)('A' + rand() % 26);
  const rd_kafka_metadata_t* md;
  if (rd_kafka_metadata(rk, 1, NULL, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
    rd_kafka_metadata_destroy(md);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long long sent = 0; sent < n;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[2]),
                                                RD_KAFKA_V_VALUE(payload, size), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk, 1);
      continue;
    }
    if (err) {
      fprintf(stderr, "min_producer: %s\n", rd_kafka_err2str(err));
      return 1;
    }
    if ((++sent & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 100);
  double s =
      (double)(last_done.tv_sec - start.tv_sec) + (double)(last_done.tv_nsec - start.tv_nsec) / 1e9;
  printf("{\"records\":%lld,\"failed\":%lld,\"seconds\":%.3f,\"records_per_sec\":%.1f}\n",
         delivered, failed, s, s > 0 ? (double)delivered / s : 0.0);
  rd_kafka_destroy(rk);
  free(payload);
  return failed ? 1 : 0;
}
