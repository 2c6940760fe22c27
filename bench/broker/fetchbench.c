/* fetchbench: a lean Kafka fetch client over plain sockets, to measure how fast the broker
 * serves Fetch (bench/broker/README.md). One librdkafka consumer tops out near 500 MB/s on this
 * machine for any broker (it decodes, copies and queues every message), so it measures the
 * client; this one sends Fetch v11 for a pre-filled partition, walks only the record batch
 * headers to find the next offset, and throws the bytes away, as iperf3 does with its own.
 *
 *   fetchbench -b HOST:PORT -t TOPIC [-c CONNECTIONS] [-p PARTITIONS] [-d SECONDS]
 *              [-m PARTITION_MAX_BYTES] [-s START_OFFSET] [-e]
 *
 * Connection i reads partition i % PARTITIONS from START_OFFSET (default 0) to the high
 * watermark, again and again, one Fetch in flight, until SECONDS passed. Prints one JSON line:
 * record bytes received per second over all connections.
 *
 * Wire layout (Kafka protocol guide; our src/protocol/schema/fetch.api): request header v1
 * (api_key, api_version, correlation_id, client_id); Fetch v11 request: replica_id, max_wait_ms,
 * min_bytes, max_bytes, isolation_level, session_id, session_epoch, [topic, [partition,
 * current_leader_epoch, fetch_offset, log_start_offset, partition_max_bytes]],
 * [forgotten topics], rack_id. Response header v0 (correlation_id); Fetch v11 response:
 * throttle_time_ms, error_code, session_id, [topic, [partition_index, error_code,
 * high_watermark, last_stable_offset, log_start_offset, [aborted txns], preferred_read_replica,
 * records]]. v11 is what librdkafka 2.0.2 sends, so both clients take the same broker path. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { fetch_api_key = 1, fetch_version = 11, record_batch_header_bytes = 61 };
/* 256 KiB receive chunks stay in L2, as iperf3's 128 KiB buffer does. */
enum { chunk_bytes = 256 * 1024 };

static void die(const char* what, const char* detail) {
  fprintf(stderr, "fetchbench: %s: %s\n", what, detail);
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint16_t be16(const uint8_t* p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t be32(const uint8_t* p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint64_t be64(const uint8_t* p) {
  return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint8_t* put16(uint8_t* p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
  return p + 2;
}
static uint8_t* put32(uint8_t* p, uint32_t v) {
  return put16(put16(p, (uint16_t)(v >> 16)), (uint16_t)v);
}
static uint8_t* put64(uint8_t* p, uint64_t v) {
  return put32(put32(p, (uint32_t)(v >> 32)), (uint32_t)v);
}
static uint8_t* put_str(uint8_t* p, const char* s) {
  size_t n = strlen(s);
  p = put16(p, (uint16_t)n);
  memcpy(p, s, n);
  return p + n;
}

struct options {
  const char* host;
  const char* port;
  const char* topic;
  int connections;
  int partitions;
  double seconds;
  int32_t partition_max_bytes;
  int64_t start_offset;
  int at_end; /* -e */
};

/* A connection's receive side: a chunk buffer holding [start, end) not yet parsed. */
struct reader {
  int fd;
  uint8_t* buf;
  size_t start, end;
};

static void recv_some(struct reader* r) {
  ssize_t n = recv(r->fd, r->buf + r->end, chunk_bytes - r->end, 0);
  if (n < 0 && errno == EINTR) return;
  if (n < 0) die("recv", strerror(errno));
  if (n == 0) die("recv", "the broker closed the connection");
  r->end += (size_t)n;
}

/* Makes n (<= chunk_bytes) bytes available at r->buf + r->start. */
static const uint8_t* need(struct reader* r, size_t n) {
  if (r->end - r->start < n) {
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
    while (r->end < n) recv_some(r);
  }
  const uint8_t* p = r->buf + r->start;
  r->start += n;
  return p;
}

/* Reads and drops n bytes without looking at them. */
static void skip(struct reader* r, uint64_t n) {
  for (;;) {
    size_t have = r->end - r->start;
    if (have >= n) {
      r->start += n;
      return;
    }
    n -= have;
    r->start = r->end = 0;
    recv_some(r);
  }
}

static void skip_str(struct reader* r) {
  skip(r, be16(need(r, 2)));
}

static size_t build_fetch(uint8_t* out, const struct options* o, int32_t correlation,
                          int32_t partition, int64_t offset) {
  uint8_t* p = out + 4;
  p = put16(p, fetch_api_key), p = put16(p, fetch_version), p = put32(p, (uint32_t)correlation);
  p = put_str(p, "fetchbench");
  p = put32(p, (uint32_t)-1);                         /* replica_id: a consumer */
  p = put32(p, o->at_end ? 0 : 500), p = put32(p, 1); /* max_wait_ms, min_bytes */
  p = put32(p, (uint32_t)o->partition_max_bytes);     /* max_bytes */
  *p++ = 0;                                           /* isolation_level: read_uncommitted */
  p = put32(p, 0), p = put32(p, (uint32_t)-1);        /* session_id 0, epoch -1: no session */
  p = put32(p, 1), p = put_str(p, o->topic);
  p = put32(p, 1), p = put32(p, (uint32_t)partition);
  p = put32(p, (uint32_t)-1); /* current_leader_epoch: unknown */
  p = put64(p, (uint64_t)offset), p = put64(p, (uint64_t)-1);
  p = put32(p, (uint32_t)o->partition_max_bytes);
  p = put32(p, 0); /* forgotten_topics_data */
  p = put16(p, 0); /* rack_id "" */
  put32(out, (uint32_t)(p - out - 4));
  return (size_t)(p - out);
}

struct conn_result {
  uint64_t record_bytes, batches, fetches;
};

struct worker {
  const struct options* o;
  int index;
  uint64_t deadline_ns;
  struct conn_result result;
};

static int connect_to(const struct options* o) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
  int rc = getaddrinfo(o->host, o->port, &hints, &ai);
  if (rc != 0) die("getaddrinfo", gai_strerror(rc));
  int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
  if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) die("connect", strerror(errno));
  freeaddrinfo(ai);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

/* Walks the records of one partition: whole batches give the next offset; a batch cut off at
 * the response's end (the broker may send a partial one) is dropped and fetched again. */
static int64_t walk_records(struct reader* r, uint64_t size, int64_t offset,
                            struct conn_result* res) {
  res->record_bytes += size;
  while (size >= record_batch_header_bytes) {
    const uint8_t* h = need(r, 27);
    uint64_t total = 12 + (uint64_t)be32(h + 8);
    if (h[16] != 2) die("records", "batch magic is not 2");
    if (total > size) break;
    offset = (int64_t)be64(h) + (int64_t)be32(h + 23) + 1;
    skip(r, total - 27);
    size -= total;
    res->batches++;
  }
  skip(r, size);
  return offset;
}

/* Reads one Fetch v11 response for one partition; returns the next offset to fetch. */
static int64_t read_response(struct reader* r, int32_t correlation, int64_t offset,
                             int64_t* high_watermark, struct conn_result* res) {
  const uint8_t* p = need(r, 4 + 4 + 4 + 2 + 4);
  if ((int32_t)be32(p + 4) != correlation) die("response", "correlation id mismatch");
  if (be16(p + 12) != 0) die("response", "top-level error");
  if (be32(need(r, 4)) != 1) die("response", "expected one topic");
  skip_str(r);
  if (be32(need(r, 4)) != 1) die("response", "expected one partition");
  p = need(r, 4 + 2 + 8 + 8 + 8 + 4);
  uint16_t error = be16(p + 4);
  if (error != 0) {
    fprintf(stderr, "fetchbench: partition error %u at offset %lld\n", error, (long long)offset);
    exit(1);
  }
  *high_watermark = (int64_t)be64(p + 6);
  int32_t aborted = (int32_t)be32(p + 30);
  if (aborted > 0) skip(r, (uint64_t)aborted * 16);
  p = need(r, 4 + 4);
  int32_t size = (int32_t)be32(p + 4);
  if (size <= 0) return offset;
  return walk_records(r, (uint64_t)size, offset, res);
}

static void* run_connection(void* arg) {
  struct worker* w = arg;
  const struct options* o = w->o;
  struct reader r = {.fd = connect_to(o), .buf = malloc(chunk_bytes)};
  if (!r.buf) die("malloc", "receive buffer");
  uint8_t request[512];
  int32_t partition = w->index % o->partitions, correlation = 0;
  int64_t offset = o->start_offset, high_watermark = 0;
  while (now_ns() < w->deadline_ns) {
    size_t n = build_fetch(request, o, ++correlation, partition, offset);
    if (send(r.fd, request, n, 0) != (ssize_t)n) die("send", strerror(errno));
    offset = read_response(&r, correlation, offset, &high_watermark, &w->result);
    w->result.fetches++;
    if (high_watermark <= 0) die("fetch", "the partition is empty");
    if (o->at_end) {
      offset = high_watermark;
    } else if (offset >= high_watermark) {
      offset = o->start_offset; /* read it again: the page cache serves it */
    }
  }
  close(r.fd);
  free(r.buf);
  return NULL;
}

static void usage(void) {
  fprintf(stderr,
          "usage: fetchbench -b HOST:PORT -t TOPIC [-c CONNECTIONS] [-p PARTITIONS] "
          "[-d SECONDS] [-m PARTITION_MAX_BYTES] [-s START_OFFSET] [-e]\n");
  exit(2);
}

int main(int argc, char** argv) {
  struct options o = {
      .connections = 1, .partitions = 1, .seconds = 5, .partition_max_bytes = 8 * 1024 * 1024};
  char* bootstrap = NULL;
  int c;
  while ((c = getopt(argc, argv, "b:t:c:p:d:m:s:e")) != -1) {
    switch (c) {
      case 'b':
        bootstrap = strdup(optarg);
        break;
      case 't':
        o.topic = optarg;
        break;
      case 'c':
        o.connections = atoi(optarg);
        break;
      case 'p':
        o.partitions = atoi(optarg);
        break;
      case 'd':
        o.seconds = atof(optarg);
        break;
      case 'm':
        o.partition_max_bytes = atoi(optarg);
        break;
      case 's':
        o.start_offset = atoll(optarg);
        break;
      case 'e':
        o.at_end = 1;
        break;
      default:
        usage();
    }
  }
  char* colon = bootstrap ? strrchr(bootstrap, ':') : NULL;
  if (!colon || !o.topic || o.connections < 1 || o.connections > 64 || o.partitions < 1 ||
      o.partition_max_bytes < record_batch_header_bytes)
    usage();
  *colon = '\0';
  o.host = bootstrap, o.port = colon + 1;

  struct worker workers[64];
  pthread_t threads[64];
  uint64_t start = now_ns(), deadline = start + (uint64_t)(o.seconds * 1e9);
  for (int i = 0; i < o.connections; i++) {
    workers[i] = (struct worker){.o = &o, .index = i, .deadline_ns = deadline};
    if (pthread_create(&threads[i], NULL, run_connection, &workers[i]) != 0)
      die("pthread_create", "failed");
  }
  struct conn_result total = {0};
  for (int i = 0; i < o.connections; i++) {
    pthread_join(threads[i], NULL);
    total.record_bytes += workers[i].result.record_bytes;
    total.batches += workers[i].result.batches;
    total.fetches += workers[i].result.fetches;
  }
  double elapsed_s = (double)(now_ns() - start) / 1e9;
  if (total.fetches == 0) die("fetch", "no fetch completed in the time given");
  printf(
      "{\"mode\":\"fetch\",\"connections\":%d,\"partitions\":%d,\"seconds\":%.2f,"
      "\"record_bytes\":%llu,\"batches\":%llu,\"fetches\":%llu,\"mb_per_s\":%.1f,"
      "\"us_per_fetch\":%.1f}\n",
      o.connections, o.partitions, elapsed_s, (unsigned long long)total.record_bytes,
      (unsigned long long)total.batches, (unsigned long long)total.fetches,
      (double)total.record_bytes / elapsed_s / 1e6,
      total.fetches ? elapsed_s * 1e6 * o.connections / (double)total.fetches : 0.0);
  free(bootstrap);
  return 0;
}
