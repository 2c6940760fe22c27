#include "cluster/bootstrap_metadata.h"

#include <charconv>
#include <map>

#include "quorum/io/checkpoint.h"
#include "security/scram.h"

namespace vltava::cluster {
namespace {

// The bootstrap file's snapshot id: it precedes every log entry.
constexpr quorum::snapshot_id bootstrap_id{model::offset(0), model::leader_epoch(0)};

std::string path_of(const std::string& dir) {
  return dir + "/" + std::string(bootstrap_file_name);
}

// "k=v,k2="v=2"" → {k: v, k2: v=2}: split on commas, then on the first '=' outside quotes.
result<std::map<std::string, std::string>, std::string> parse_pairs(std::string_view body) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= body.size()) {
    size_t comma = body.find(',', start);
    if (comma == std::string_view::npos) comma = body.size();
    std::string_view pair = body.substr(start, comma - start);
    size_t eq = std::string_view::npos;
    bool quoted = false;
    for (size_t i = 0; i < pair.size() && eq == std::string_view::npos; ++i) {
      if (pair[i] == '"') quoted = !quoted;
      if (pair[i] == '=' && !quoted) eq = i;
    }
    if (eq == std::string_view::npos || eq == 0) {
      return fail("'" + std::string(pair) + "' is not key=value");
    }
    std::string value;
    for (char c : pair.substr(eq + 1)) {
      if (c != '"') value.push_back(c);
    }
    out[std::string(pair.substr(0, eq))] = std::move(value);
    start = comma + 1;
  }
  return out;
}

result<std::vector<uint8_t>, std::string> base64_field(const std::map<std::string, std::string>& m,
                                                       const std::string& key) {
  auto bytes = security::base64_decode(m.at(key));
  if (!bytes || bytes->empty()) return fail("'" + key + "' is not base64");
  return *bytes;
}

std::string describe(const storage::storage_error& e) {
  return std::string(storage::describe(e.code)) + ": " + e.message;
}

}  // namespace

result<void, std::string> write_bootstrap_metadata(storage::file_io& io, const std::string& dir,
                                                   std::span<const metadata_record> records,
                                                   int64_t now_ms) {
  std::vector<std::vector<std::byte>> batches;
  if (!records.empty()) batches.push_back(build_metadata_batch(records, now_ms));
  auto bytes = quorum::build_checkpoint(bootstrap_id, batches, now_ms, model::timestamp_ms(now_ms));
  if (auto w = storage::write_file_atomic(io, dir, std::string(bootstrap_file_name), bytes); !w) {
    return fail(path_of(dir) + ": " + describe(w.error()));
  }
  return {};
}

result<std::vector<metadata_record>, std::string> read_bootstrap_metadata(storage::file_io& io,
                                                                          const std::string& dir) {
  const std::string path = path_of(dir);
  auto exists = io.exists(path);
  if (!exists) return fail(path + ": " + describe(exists.error()));
  if (!*exists) return std::vector<metadata_record>{};
  auto bytes = storage::read_small_file(io, path, quorum::checkpoint_bytes_max);
  if (!bytes) return fail(path + ": " + describe(bytes.error()));
  auto contents = quorum::read_checkpoint(bootstrap_id, *bytes);
  if (!contents) return fail(path + ": " + contents.error());
  std::vector<metadata_record> out;
  for (const auto& b : contents->data_batches) {
    auto records = read_metadata_batch(b);
    if (!records) return fail(path + ": " + records.error());
    for (auto& r : *records) out.push_back(std::move(r));
  }
  return out;
}

result<protocol::metadata_user_scram_credential_record, std::string> parse_add_scram(
    std::string_view arg) {
  const size_t eq = arg.find('=');
  auto m = security::parse_scram_mechanism(arg.substr(0, eq));
  if (!m) {
    return fail("The add-scram mechanism " + std::string(arg.substr(0, eq)) + " is not supported.");
  }
  std::string_view body = eq == std::string_view::npos ? "" : arg.substr(eq + 1);
  if (body.size() < 2 || body.front() != '[' || body.back() != ']') {
    return fail(std::string("add-scram: expected ") + std::string(arg.substr(0, eq)) +
                "=[name=...,password=...]");
  }
  auto pairs = parse_pairs(body.substr(1, body.size() - 2));
  if (!pairs) return fail("add-scram: " + pairs.error());
  const auto& kv = *pairs;
  for (const auto& [k, _] : kv) {
    if (k != "name" && k != "password" && k != "saltedpassword" && k != "salt" &&
        k != "iterations") {
      return fail("add-scram: unknown key '" + k + "'");
    }
  }
  if (!kv.contains("name") || kv.at("name").empty()) {
    return fail(std::string("You must supply 'name' to add-scram"));
  }
  std::vector<uint8_t> salt;
  if (kv.contains("salt")) {
    auto s = base64_field(kv, "salt");
    if (!s) return fail("add-scram: " + s.error());
    salt = std::move(*s);
  } else {
    auto random = security::scram_random_salt();
    if (!random) return fail(std::string("add-scram: no random bytes for a salt"));
    salt = std::move(*random);
  }
  int32_t iterations = security::scram_min_iterations;
  if (kv.contains("iterations")) {
    const std::string& text = kv.at("iterations");
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), iterations);
    if (ec != std::errc{} || end != text.data() + text.size()) {
      return fail("add-scram: 'iterations' is not a number: " + text);
    }
    if (iterations < security::scram_min_iterations) {
      return fail("The 'iterations' value must be >= " +
                  std::to_string(security::scram_min_iterations) + " for add-scram");
    }
    if (iterations > security::scram_max_iterations) {
      return fail("The 'iterations' value must be <= " +
                  std::to_string(security::scram_max_iterations) + " for add-scram");
    }
  }
  std::vector<uint8_t> salted;
  if (kv.contains("password")) {
    if (kv.contains("saltedpassword")) {
      return fail(
          std::string("You must only supply one of 'password' or 'saltedpassword' to add-scram"));
    }
    salted = security::scram_salted_password(*m, kv.at("password"), salt, iterations);
  } else {
    if (!kv.contains("saltedpassword")) {
      return fail(
          std::string("You must supply one of 'password' or 'saltedpassword' to add-scram"));
    }
    if (!kv.contains("salt")) {
      return fail(std::string("You must supply 'salt' with 'saltedpassword' to add-scram"));
    }
    auto s = base64_field(kv, "saltedpassword");
    if (!s) return fail("add-scram: " + s.error());
    salted = std::move(*s);
  }
  auto c = security::scram_credential_from_salted(*m, salted, std::move(salt), iterations);
  return scram_record(kv.at("name"), *m, c);
}

}  // namespace vltava::cluster
