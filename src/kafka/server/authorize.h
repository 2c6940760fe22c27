#pragma once

// The one place handlers ask whether the connection's principal may do something (Kafka's
// AuthHelper). Built per request: with authorization off (no authorizer.class.name) it holds
// nothing and every question is one branch; with it on, it reads the image's ACLs once, so a
// request asking about many topics sees one consistent set.

#include <string_view>

#include "cluster/metadata_image.h"
#include "kafka/server/handler.h"
#include "security/authorizer.h"

namespace vltava::kafka {

using security::acl_operation;
using security::resource_type;

class request_authz {
 public:
  explicit request_authz(const request_context& ctx);

  bool enabled() const { return _auth != nullptr; }
  bool allowed(acl_operation op, resource_type type, std::string_view name) const {
    return _auth == nullptr || check(op, type, name);
  }
  bool allowed_on_cluster(acl_operation op) const {
    return allowed(op, resource_type::cluster, security::cluster_resource_name);
  }
  // Some resource of `type` allows `op` (KIP-679: an idempotent producer needs WRITE on some
  // topic instead of IDEMPOTENT_WRITE on the cluster).
  bool allowed_on_any(acl_operation op, resource_type type) const {
    return _auth == nullptr || check_any(op, type);
  }

 private:
  bool check(acl_operation op, resource_type type, std::string_view name) const;
  bool check_any(acl_operation op, resource_type type) const;

  const security::authorizer* _auth = nullptr;
  cluster::image_ptr _image;
  security::requester _who;
};

// The request's principal: the client's for a request inside an Envelope, else the
// connection's (the session's, or User:ANONYMOUS on a PLAINTEXT listener).
std::string_view principal_of(const request_context& ctx);

}  // namespace vltava::kafka
