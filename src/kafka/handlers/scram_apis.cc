#include "kafka/handlers/scram_apis.h"

#include <map>
#include <set>

#include "cluster/metadata_store.h"
#include "kafka/server/authorize.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
using describe_response = protocol::describe_user_scram_credentials_response;
using alter_response = protocol::alter_user_scram_credentials_response;

constexpr std::string_view cluster_denied = "Cluster authorization failed.";

std::vector<uint8_t> octets(const std::vector<std::byte>& b) {
  std::vector<uint8_t> out(b.size());
  for (size_t i = 0; i < b.size(); ++i) out[i] = static_cast<uint8_t>(b[i]);
  return out;
}

describe_response::describe_user_scram_credentials_result describe_user(
    const security::scram_credential_map& creds, const std::string& user) {
  describe_response::describe_user_scram_credentials_result r;
  r.user = user;
  r.error_code = error_code::none;
  r.error_message = std::nullopt;
  for (auto it = creds.lower_bound({user, security::scram_mechanism::sha256});
       it != creds.end() && it->first.first == user; ++it) {
    describe_response::describe_user_scram_credentials_result::credential_info info;
    info.mechanism = security::scram_mechanism_type(it->first.second);
    info.iterations = it->second.iterations;
    r.credential_infos.push_back(info);
  }
  if (r.credential_infos.empty()) {
    r.error_code = error_code::resource_not_found;
    r.error_message = "Attempt to describe a user credential that does not exist: " + user;
  }
  return r;
}

}  // namespace

net::awaitable<std::optional<describe_response>> serve_describe_user_scram_credentials(
    request_context& ctx, const protocol::describe_user_scram_credentials_request& request) {
  describe_response response;
  response.error_code = error_code::none;
  response.error_message = std::nullopt;
  if (!request_authz(ctx).allowed_on_cluster(acl_operation::describe)) {
    response.error_code = error_code::cluster_authorization_failed;
    response.error_message = std::string(cluster_denied);
    if (request.users) {
      for (const auto& u : *request.users) {
        describe_response::describe_user_scram_credentials_result r;
        r.user = u.name;
        r.error_code = error_code::cluster_authorization_failed;
        r.error_message = std::string(cluster_denied);
        response.results.push_back(std::move(r));
      }
    }
    co_return response;
  }
  cluster::image_ptr image = ctx.services.metadata.image();
  const auto& creds = image->scram_credentials;
  if (!request.users || request.users->empty()) {
    // Every user with a credential, once.
    for (auto it = creds.begin(); it != creds.end();) {
      const std::string user = it->first.first;
      response.results.push_back(describe_user(creds, user));
      while (it != creds.end() && it->first.first == user) ++it;
    }
    co_return response;
  }
  std::map<std::string, int> mentions;
  for (const auto& u : *request.users) ++mentions[u.name];
  std::set<std::string> answered;
  for (const auto& u : *request.users) {
    if (!answered.insert(u.name).second) continue;
    if (mentions[u.name] > 1) {
      describe_response::describe_user_scram_credentials_result r;
      r.user = u.name;
      r.error_code = error_code::duplicate_resource;
      r.error_message =
          "Cannot describe SCRAM credentials for the same user twice in a single request: " +
          u.name;
      response.results.push_back(std::move(r));
      continue;
    }
    response.results.push_back(describe_user(creds, u.name));
  }
  co_return response;
}

net::awaitable<std::optional<alter_response>> serve_alter_user_scram_credentials(
    request_context& ctx, const protocol::alter_user_scram_credentials_request& request) {
  alter_response response;
  if (!request_authz(ctx).allowed_on_cluster(acl_operation::alter)) {
    std::set<std::string> seen;
    auto refuse = [&](const std::string& user) {
      if (!seen.insert(user).second) return;
      alter_response::alter_user_scram_credentials_result r;
      r.user = user;
      r.error_code = error_code::cluster_authorization_failed;
      r.error_message = std::string(cluster_denied);
      response.results.push_back(std::move(r));
    };
    for (const auto& d : request.deletions) refuse(d.name);
    for (const auto& u : request.upsertions) refuse(u.name);
    co_return response;
  }
  std::vector<cluster::scram_deletion> deletions;
  for (const auto& d : request.deletions) deletions.push_back({d.name, d.mechanism});
  std::vector<cluster::scram_upsertion> upsertions;
  for (const auto& u : request.upsertions) {
    upsertions.push_back(
        {u.name, u.mechanism, u.iterations, octets(u.salt), octets(u.salted_password)});
  }
  auto task =
      ctx.services.metadata.alter_scram_credentials(std::move(deletions), std::move(upsertions));
  auto results = co_await std::move(task);
  for (auto& r : results) {
    alter_response::alter_user_scram_credentials_result out;
    out.user = std::move(r.user);
    out.error_code = r.error;
    out.error_message = r.ok() ? std::nullopt : r.message;
    response.results.push_back(std::move(out));
  }
  co_return response;
}

}  // namespace vltava::kafka
