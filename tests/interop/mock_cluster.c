/* librdkafka's in-process mock Kafka cluster as a stand-in broker for the interop suite (the
 * `mock` backend of harness.py). Prints its bootstrap address, then reads commands from stdin
 * until it closes:
 *   topic <name> <partitions>   create a topic (the mock has no CreateTopics API); answers
 *                               "ok" or "error <text>" on stdout
 * A copy of tests/golden/capture/mock_cluster.c extended with the topic command. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) {
    fprintf(stderr, "mock_cluster: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    fprintf(stderr, "mock_cluster: cannot create the mock cluster\n");
    return 1;
  }
  rd_kafka_mock_topic_create(mc, "golden", 3, 1);
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  char line[512];
  while (fgets(line, sizeof(line), stdin)) {
    char name[256];
    int partitions = 0;
    if (sscanf(line, "topic %255s %d", name, &partitions) == 2 && partitions > 0) {
      rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, name, partitions, 1);
      if (err)
        printf("error %s\n", rd_kafka_err2str(err));
      else
        printf("ok\n");
    } else {
      printf("error unknown command\n");
    }
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
