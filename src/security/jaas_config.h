#pragma once

// Kafka's `sasl.jaas.config` value: one JAAS login module with its options,
//   org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="secret";
// options are name=value with the value quoted ("..." with \" and \\ escapes) or bare.

#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vltava::security {

struct jaas_config {
  std::string login_module;
  std::string control_flag;  // required, requisite, sufficient, optional
  std::map<std::string, std::string, std::less<>> options;
};

result<jaas_config, std::string> parse_jaas_config(std::string_view text);

}  // namespace vltava::security
