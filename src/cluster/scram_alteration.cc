#include "cluster/scram_alteration.h"

#include <map>

namespace vltava::cluster {
namespace {

using protocol::error_code;

constexpr std::string_view altered_twice =
    "A user credential cannot be altered twice in the same request";

struct refusal {
  error_code error;
  std::string message;
};

std::optional<refusal> invalid_name_or_mechanism(const std::string& user, int8_t mechanism) {
  if (user.empty())
    return refusal{error_code::unacceptable_credential, "Username must not be empty"};
  if (!security::scram_mechanism_from_type(mechanism)) {
    return refusal{error_code::unsupported_sasl_mechanism, "Unknown SCRAM mechanism"};
  }
  return std::nullopt;
}

std::optional<refusal> invalid_upsertion(const scram_upsertion& u) {
  if (auto bad = invalid_name_or_mechanism(u.user, u.mechanism)) return bad;
  if (u.iterations < security::scram_min_iterations) {
    return refusal{error_code::unacceptable_credential, "Too few iterations"};
  }
  if (u.iterations > security::scram_max_iterations) {
    return refusal{error_code::unacceptable_credential, "Too many iterations"};
  }
  return std::nullopt;
}

std::optional<refusal> invalid_deletion(const metadata_image& image, const scram_deletion& d) {
  if (auto bad = invalid_name_or_mechanism(d.user, d.mechanism)) return bad;
  auto m = *security::scram_mechanism_from_type(d.mechanism);
  if (!image.scram_credentials.contains({d.user, m})) {
    return refusal{error_code::resource_not_found,
                   "Attempt to delete a user credential that does not exist"};
  }
  return std::nullopt;
}

// The state of one request's users while its changes are read, in Kafka's order (deletions,
// then upsertions): a user is accepted with one change, or refused for good.
struct users {
  std::vector<std::string> order;
  std::map<std::string, refusal> refused;
  std::map<std::string, const scram_deletion*> deletions;
  std::map<std::string, const scram_upsertion*> upsertions;

  void see(const std::string& user) {
    if (!refused.contains(user) && !deletions.contains(user) && !upsertions.contains(user)) {
      order.push_back(user);
    }
  }
  // A user already accepted with another change: both are refused.
  bool duplicate(const std::string& user) {
    if (deletions.erase(user) + upsertions.erase(user) == 0) return false;
    refused.emplace(user, refusal{error_code::duplicate_resource, std::string(altered_twice)});
    return true;
  }
};

}  // namespace

scram_plan plan_scram_alteration(const metadata_image& image,
                                 const std::vector<scram_deletion>& deletions,
                                 const std::vector<scram_upsertion>& upsertions) {
  users u;
  for (const auto& d : deletions) {
    u.see(d.user);
    if (u.refused.contains(d.user) || u.duplicate(d.user)) continue;
    if (auto bad = invalid_deletion(image, d)) {
      u.refused.emplace(d.user, std::move(*bad));
    } else {
      u.deletions.emplace(d.user, &d);
    }
  }
  for (const auto& up : upsertions) {
    u.see(up.user);
    if (u.refused.contains(up.user) || u.duplicate(up.user)) continue;
    if (auto bad = invalid_upsertion(up)) {
      u.refused.emplace(up.user, std::move(*bad));
    } else {
      u.upsertions.emplace(up.user, &up);
    }
  }
  scram_plan plan;
  for (const auto& [user, d] : u.deletions) {
    protocol::metadata_remove_user_scram_credential_record r;
    r.name = user;
    r.mechanism = d->mechanism;
    plan.records.emplace_back(std::move(r));
  }
  for (const auto& [user, up] : u.upsertions) {
    auto m = *security::scram_mechanism_from_type(up->mechanism);
    auto c =
        security::scram_credential_from_salted(m, up->salted_password, up->salt, up->iterations);
    plan.records.emplace_back(scram_record(user, m, c));
  }
  for (const auto& user : u.order) {
    scram_user_result r{.user = user};
    if (auto it = u.refused.find(user); it != u.refused.end()) {
      r.error = it->second.error;
      r.message = it->second.message;
    }
    plan.results.push_back(std::move(r));
  }
  return plan;
}

}  // namespace vltava::cluster
