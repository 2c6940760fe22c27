// vltava user create | list | delete: SCRAM credentials through AlterUserScramCredentials and
// DescribeUserScramCredentials (KIP-554), which librdkafka 2.0 cannot send, so the CLI's own
// wire client does (PLAINTEXT only: point -b at a PLAINTEXT listener). As kafka-configs.sh
// --entity-type users --alter --add-config 'SCRAM-SHA-256=[iterations=8192,password=x]': the
// password never leaves this process; the request carries a random salt and the salted
// password (RFC 5802's Hi), and the controller derives what it keeps.

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/table.h"
#include "cli/wire_client.h"
#include "protocol/error_code.h"
#include "protocol/generated/alter_user_scram_credentials.h"
#include "protocol/generated/describe_user_scram_credentials.h"

namespace vltava::cli {
namespace {

using alter_api = protocol::alter_user_scram_credentials_api;
using describe_api = protocol::describe_user_scram_credentials_api;

// Kafka's ScramMechanism type codes.
struct mechanism {
  const char* name;
  int8_t type;
  const EVP_MD* (*md)();
};
constexpr mechanism mechanisms[] = {{"SCRAM-SHA-256", 1, EVP_sha256},
                                    {"SCRAM-SHA-512", 2, EVP_sha512}};

const mechanism* mechanism_named(const std::string& name) {
  for (const auto& m : mechanisms) {
    if (name == m.name) return &m;
  }
  return nullptr;
}

std::string mechanism_name(int8_t type) {
  for (const auto& m : mechanisms) {
    if (type == m.type) return m.name;
  }
  return "UNKNOWN(" + std::to_string(type) + ")";
}

wire_client connect(const common_options& common) {
  if (wants_security(common)) {
    throw cli_error(exit_code::usage,
                    "vltava user speaks PLAINTEXT only (librdkafka 2.0 has no SCRAM admin "
                    "calls): point -b at a PLAINTEXT listener");
  }
  wire_client c = wire_client::open_any(common);
  return c;
}

template <typename Api>
int16_t version_or_fail(const wire_client& c) {
  auto v = c.version_of<Api>();
  if (!v) {
    throw cli_error(exit_code::failed,
                    fmt::format("{} does not serve {}", c.address(), std::string(Api::name)));
  }
  return *v;
}

[[noreturn]] void refused(std::string_view what, protocol::error_code e,
                          const std::optional<std::string>& message) {
  throw cli_error(exit_code::failed, fmt::format("{}: {}{}", what, protocol::error_name(e),
                                                 message ? ": " + *message : std::string()));
}

std::vector<std::byte> bytes_of(const std::vector<unsigned char>& v) {
  std::vector<std::byte> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<std::byte>(v[i]);
  return out;
}

// One alteration of one user; throws on its refusal.
void alter(wire_client& c, const protocol::alter_user_scram_credentials_request& req,
           std::string_view what) {
  auto resp = c.call<alter_api>(req, version_or_fail<alter_api>(c));
  for (const auto& r : resp.results) {
    if (r.error_code != protocol::error_code::none) refused(what, r.error_code, r.error_message);
  }
}

protocol::describe_user_scram_credentials_response describe(wire_client& c,
                                                            const std::vector<std::string>& users) {
  protocol::describe_user_scram_credentials_request req;
  req.users.emplace();
  for (const auto& u : users) req.users->push_back({.name = u});
  auto resp = c.call<describe_api>(req, version_or_fail<describe_api>(c));
  if (resp.error_code != protocol::error_code::none) {
    refused("describe users", resp.error_code, resp.error_message);
  }
  return resp;
}

}  // namespace

int user_create(const args_t& args) {
  command_line cl({"user create", "NAME --password P [--mechanism M] [--iterations N]",
                   "Create or replace a user's SCRAM credential (kafka-configs.sh --entity-type "
                   "users --alter --add-config 'SCRAM-SHA-256=[password=P]').",
                   "vltava user create alice --password alice-secret --mechanism SCRAM-SHA-512"});
  cl.options().add_options()("name", po::value<std::string>(), "the user")(
      "password", po::value<std::string>(), "the password (salted here, never sent)")(
      "mechanism", po::value<std::string>()->default_value("SCRAM-SHA-256"),
      "SCRAM-SHA-256 or SCRAM-SHA-512")("iterations", po::value<int32_t>()->default_value(4096),
                                        "PBKDF2 iterations (the broker accepts 4096..16384)");
  cl.positional("name", 1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  if (!vm->count("name")) cl.usage_error("name the user");
  if (!vm->count("password")) cl.usage_error("give the --password");
  const mechanism* m = mechanism_named((*vm)["mechanism"].as<std::string>());
  if (m == nullptr) cl.usage_error("--mechanism is SCRAM-SHA-256 or SCRAM-SHA-512");
  const int32_t iterations = (*vm)["iterations"].as<int32_t>();
  if (iterations <= 0) cl.usage_error("--iterations must be positive");
  const auto user = (*vm)["name"].as<std::string>();
  const auto password = (*vm)["password"].as<std::string>();

  std::vector<unsigned char> salt(32);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    throw cli_error(exit_code::failed, "no random bytes for a salt");
  }
  const EVP_MD* md = m->md();
  std::vector<unsigned char> salted(static_cast<size_t>(EVP_MD_get_size(md)));
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), iterations, md,
                        static_cast<int>(salted.size()), salted.data()) != 1) {
    throw cli_error(exit_code::failed, "PBKDF2 failed");
  }
  wire_client c = connect(cl.common());
  protocol::alter_user_scram_credentials_request req;
  req.upsertions.push_back({.name = user,
                            .mechanism = m->type,
                            .iterations = iterations,
                            .salt = bytes_of(salt),
                            .salted_password = bytes_of(salted)});
  alter(c, req, "create user " + user);
  std::printf("Set the %s credential of user %s (%d iterations)\n", m->name, user.c_str(),
              iterations);
  return 0;
}

int user_list(const args_t& args) {
  command_line cl({"user list", "[NAME...] [--json]",
                   "List users' SCRAM mechanisms and iterations (never secrets); every user "
                   "with a credential when none is named.",
                   "vltava user list alice"});
  cl.options().add_options()("name", po::value<std::vector<std::string>>(), "users")(
      "json", po::bool_switch(), "print JSON");
  cl.positional("name", -1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  std::vector<std::string> users;
  if (vm->count("name")) users = (*vm)["name"].as<std::vector<std::string>>();
  wire_client c = connect(cl.common());
  auto resp = describe(c, users);
  std::vector<std::vector<std::string>> rows;
  int missing = 0;
  for (const auto& r : resp.results) {
    if (r.error_code == protocol::error_code::resource_not_found) {
      std::fprintf(stderr, "user %s has no SCRAM credential\n", r.user.c_str());
      ++missing;
      continue;
    }
    if (r.error_code != protocol::error_code::none) {
      refused("describe user " + r.user, r.error_code, r.error_message);
    }
    for (const auto& info : r.credential_infos) {
      rows.push_back({r.user, mechanism_name(info.mechanism), std::to_string(info.iterations)});
    }
  }
  if ((*vm)["json"].as<bool>()) {
    std::string out = "[";
    for (size_t i = 0; i < rows.size(); ++i) {
      out += i ? ",{\"user\":" : "{\"user\":";
      append_json_string(rows[i][0], out);
      out += ",\"mechanism\":";
      append_json_string(rows[i][1], out);
      out += ",\"iterations\":" + rows[i][2] + "}";
    }
    std::printf("%s]\n", out.c_str());
  } else {
    rows.insert(rows.begin(), {"USER", "MECHANISM", "ITERATIONS"});
    print_table(rows);
  }
  return missing > 0 ? to_int(exit_code::not_found) : 0;
}

int user_delete(const args_t& args) {
  command_line cl({"user delete", "NAME [--mechanism M]",
                   "Delete a user's SCRAM credential: the one of --mechanism, else every one "
                   "the user has (kafka-configs.sh --delete-config SCRAM-SHA-256).",
                   "vltava user delete alice --mechanism SCRAM-SHA-512"});
  cl.options().add_options()("name", po::value<std::string>(), "the user")(
      "mechanism", po::value<std::string>(), "SCRAM-SHA-256 or SCRAM-SHA-512");
  cl.positional("name", 1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  if (!vm->count("name")) cl.usage_error("name the user");
  const auto user = (*vm)["name"].as<std::string>();
  std::vector<int8_t> types;
  if (vm->count("mechanism")) {
    const mechanism* m = mechanism_named((*vm)["mechanism"].as<std::string>());
    if (m == nullptr) cl.usage_error("--mechanism is SCRAM-SHA-256 or SCRAM-SHA-512");
    types.push_back(m->type);
  }
  wire_client c = connect(cl.common());
  if (types.empty()) {
    auto resp = describe(c, {user});
    for (const auto& r : resp.results) {
      if (r.error_code == protocol::error_code::resource_not_found) {
        throw cli_error(exit_code::not_found, "user " + user + " has no SCRAM credential");
      }
      if (r.error_code != protocol::error_code::none) {
        refused("describe user " + user, r.error_code, r.error_message);
      }
      for (const auto& info : r.credential_infos) types.push_back(info.mechanism);
    }
  }
  // One request per mechanism: Kafka refuses two changes of one user in one request.
  for (int8_t t : types) {
    protocol::alter_user_scram_credentials_request req;
    req.deletions.push_back({.name = user, .mechanism = t});
    auto resp = c.call<alter_api>(req, version_or_fail<alter_api>(c));
    for (const auto& r : resp.results) {
      if (r.error_code == protocol::error_code::resource_not_found) {
        throw cli_error(exit_code::not_found,
                        fmt::format("user {} has no {} credential", user, mechanism_name(t)));
      }
      if (r.error_code != protocol::error_code::none) {
        refused("delete user " + user, r.error_code, r.error_message);
      }
    }
    std::printf("Deleted the %s credential of user %s\n", mechanism_name(t).c_str(), user.c_str());
  }
  return 0;
}

}  // namespace vltava::cli
