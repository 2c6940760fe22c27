#include "kafka/server/authorize.h"

#include "base/log.h"
#include "cluster/metadata_store.h"

namespace vltava::kafka {
namespace {

constexpr std::string_view anonymous = "User:ANONYMOUS";

}  // namespace

std::string_view principal_of(const request_context& ctx) {
  if (ctx.forwarded_for != nullptr) return ctx.forwarded_for->principal;
  const auto& session = ctx.connection.session;
  return session ? std::string_view(session->principal()) : anonymous;
}

request_authz::request_authz(const request_context& ctx) : _auth(ctx.services.authorizer) {
  if (_auth == nullptr) return;
  _image = ctx.services.metadata.image();
  _who = security::requester{principal_of(ctx), ctx.forwarded_for != nullptr
                                                    ? std::string_view(ctx.forwarded_for->host)
                                                    : security::host_of_peer(ctx.connection.peer)};
}

bool request_authz::check(acl_operation op, resource_type type, std::string_view name) const {
  bool ok = _auth->authorize(_image->acls, _who, op, type, name);
  if (!ok) {
    log::debug("authorizer", "principal {} from {} denied {} on {}:{}", _who.principal, _who.host,
               security::name_of(op), security::name_of(type), name);
  }
  return ok;
}

bool request_authz::check_any(acl_operation op, resource_type type) const {
  return _auth->authorize_any(_image->acls, _who, op, type);
}

}  // namespace vltava::kafka
