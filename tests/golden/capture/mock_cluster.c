/* Runs librdkafka's in-process mock Kafka cluster until stdin closes, printing its bootstrap
 * address first. The golden-capture script points real clients at it and records their bytes. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>

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
  while (getchar() != EOF) {
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
