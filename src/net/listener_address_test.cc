#include "net/listener_address.h"

#include <gtest/gtest.h>

namespace vltava::net {
namespace {

TEST(ListenerAddress, ParsesKafkaSyntax) {
  EXPECT_EQ(*parse_listener("PLAINTEXT://127.0.0.1:9092"),
            (listener_address{"PLAINTEXT", "127.0.0.1", 9092}));
  EXPECT_EQ(*parse_listener("ssl://[::1]:9093"), (listener_address{"SSL", "::1", 9093}));
  EXPECT_EQ(*parse_listener("PLAINTEXT://:0"), (listener_address{"PLAINTEXT", "", 0}));
  EXPECT_EQ(*parse_listener("INTERNAL://broker-1.local:19092"),
            (listener_address{"INTERNAL", "broker-1.local", 19092}));
}

TEST(ListenerAddress, RefusesMalformed) {
  for (const char* bad : {"127.0.0.1:9092", "PLAINTEXT://127.0.0.1", "PLAINTEXT://h:99999",
                          "PLAINTEXT://h:x", "://h:1", "PLAIN TEXT://h:1", "SSL://[::1:9"}) {
    EXPECT_FALSE(parse_listener(bad)) << bad;
  }
}

}  // namespace
}  // namespace vltava::net
