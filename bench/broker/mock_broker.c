/* librdkafka's in-memory mock cluster as the benchmark's peer broker, in a process of its own
 * so that its CPU time can be read from /proc like the broker's.
 *
 *   mock_broker TOPIC...    creates each TOPIC with one partition, prints the bootstrap
 *                           address, and serves until stdin closes.
 *
 * The mock stores every message in memory and never touches a disk. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>

int main(int argc, char** argv) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) {
    fprintf(stderr, "mock_broker: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, 1);
  if (!mc) {
    fprintf(stderr, "mock_broker: cannot create the mock cluster\n");
    return 1;
  }
  for (int i = 1; i < argc; i++) {
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, argv[i], 1, 1);
    if (err) {
      fprintf(stderr, "mock_broker: topic %s: %s\n", argv[i], rd_kafka_err2str(err));
      return 1;
    }
  }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  char line[256];
  while (fgets(line, sizeof(line), stdin)) {
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
