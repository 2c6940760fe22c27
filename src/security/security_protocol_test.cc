#include "security/security_protocol.h"

#include <gtest/gtest.h>

namespace vltava::security {
namespace {

TEST(SecurityProtocol, ListenersMapToProtocols) {
  std::vector<std::string> map = {"CLIENT:SASL_SSL", "internal:ssl", "PLAINTEXT:PLAINTEXT"};
  EXPECT_EQ(protocol_of_listener(map, "CLIENT").value(), security_protocol::sasl_ssl);
  EXPECT_EQ(protocol_of_listener(map, "INTERNAL").value(), security_protocol::ssl);
  EXPECT_EQ(protocol_of_listener(map, "PLAINTEXT").value(), security_protocol::plaintext);
  EXPECT_FALSE(protocol_of_listener(map, "OTHER"));
  EXPECT_FALSE(protocol_of_listener({"X:TLS"}, "X"));
  EXPECT_FALSE(protocol_of_listener({"X"}, "X"));
}

TEST(SecurityProtocol, WhatEachProtocolUses) {
  EXPECT_TRUE(uses_tls(security_protocol::sasl_ssl));
  EXPECT_TRUE(uses_sasl(security_protocol::sasl_plaintext));
  EXPECT_FALSE(uses_tls(security_protocol::sasl_plaintext));
  EXPECT_FALSE(uses_sasl(security_protocol::ssl));
}

}  // namespace
}  // namespace vltava::security
