#include "kafka/server/envelope.h"

#include <gtest/gtest.h>

#include "kafka/testing/admin_test_fixture.h"
#include "protocol/generated/create_topics.h"
#include "protocol/generated/envelope.h"
#include "protocol/generated/metadata.h"
#include "security/authorizer.h"

namespace vltava::kafka {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(EnvelopePrincipal, IsVersionPrefixedDefaultPrincipalData) {
  // int16 version 0, then v0 (flexible): compact "User", compact "alice", false, no tags.
  EXPECT_EQ(encode_principal("User:alice"),
            bytes_of({0, 0, 5, 'U', 's', 'e', 'r', 6, 'a', 'l', 'i', 'c', 'e', 0, 0}));
  EXPECT_EQ(decode_principal(encode_principal("User:alice")).value(), "User:alice");
  // Only the first colon separates the type.
  EXPECT_EQ(decode_principal(encode_principal("User:CN=a:b")).value(), "User:CN=a:b");
  EXPECT_EQ(decode_principal(encode_principal("bob")).value(), "User:bob");
}

TEST(EnvelopePrincipal, RefusesWhatItCannotRead) {
  EXPECT_FALSE(decode_principal({}).has_value());
  EXPECT_FALSE(decode_principal(bytes_of({0})).has_value());
  auto v1 = encode_principal("User:alice");
  v1[1] = std::byte{1};  // a version this node does not know
  EXPECT_FALSE(decode_principal(v1).has_value());
  auto cut = encode_principal("User:alice");
  cut.resize(cut.size() - 3);
  EXPECT_FALSE(decode_principal(cut).has_value());
  EXPECT_FALSE(decode_principal(bytes_of({0, 0, 1, 1, 0, 0})).has_value());  // empty names
  EXPECT_FALSE(
      decode_principal(std::vector<std::byte>(envelope_principal_max_bytes + 1, std::byte{0}))
          .has_value());
}

TEST(EnvelopeAddress, RoundTripsIpv4AndIpv6) {
  EXPECT_EQ(address_bytes("10.0.0.7"), bytes_of({10, 0, 0, 7}));
  EXPECT_EQ(host_of_address(bytes_of({10, 0, 0, 7})), "10.0.0.7");
  auto v6 = address_bytes("::1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->size(), 16u);
  EXPECT_EQ(host_of_address(*v6), "::1");
  EXPECT_FALSE(address_bytes("not-an-address").has_value());
  EXPECT_FALSE(host_of_address(bytes_of({1, 2, 3})).has_value());
  EXPECT_FALSE(host_of_address({}).has_value());
}

TEST(EnvelopeResponseHead, SkipsTheHeaderOfEitherVersion) {
  auto head = read_response_head(bytes_of({0, 0, 0, 9, 42}), 0);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->correlation_id, 9);
  EXPECT_EQ(head->body_offset, 4u);
  // v1 with one tagged field (tag 3, 2 bytes).
  head = read_response_head(bytes_of({0, 0, 0, 9, 1, 3, 2, 7, 7, 42}), 1);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->body_offset, 9u);
  EXPECT_FALSE(read_response_head(bytes_of({0, 0}), 0).has_value());
  EXPECT_FALSE(read_response_head(bytes_of({0, 0, 0, 9, 1, 3, 9}), 1).has_value());
}

TEST(EnvelopeForwardable, OnlyWhatBrokersForward) {
  EXPECT_TRUE(forwardable(protocol::create_topics_api::key));
  EXPECT_FALSE(forwardable(protocol::metadata_api::key));
  EXPECT_FALSE(forwardable(protocol::envelope_api::key));  // never an Envelope in an Envelope
}

// ---- the controller's handler --------------------------------------------------------------

constexpr int16_t create_topics_version = 7;

// A client's CreateTopics frame (size prefix removed), header v2, correlation id 99.
std::vector<std::byte> create_topics_frame(const std::string& topic) {
  protocol::writer w;
  w.write_fixed(protocol::create_topics_api::key);
  w.write_fixed(create_topics_version);
  w.write_fixed(int32_t{99});
  w.write_string("client-1", false);
  w.write_uvarint(0);
  protocol::create_topics_request req;
  auto& t = req.topics.emplace_back();
  t.name = topic;
  t.num_partitions = 1;
  t.replication_factor = 1;
  req.timeout_ms = 5000;
  req.encode(w, create_topics_version);
  return std::move(w).take();
}

const handler& envelope_handler() {
  const handler* h = find_handler(protocol::envelope_api::key);
  VLTAVA_ASSERT(h != nullptr, "Envelope is registered");
  return *h;
}

class EnvelopeHandler : public ::testing::Test {
 protected:
  EnvelopeHandler() {
    f.services().listeners = listener_scopes{"CONTROLLER", false};
    f.set_listener("CONTROLLER");
  }

  net::handler_result send(const protocol::envelope_request& e) {
    protocol::writer w;
    e.encode(w, 0);
    return f.call_raw(envelope_handler(), 0, std::move(w).take());
  }
  protocol::envelope_response answer(const protocol::envelope_request& e) {
    auto out = send(e);
    EXPECT_FALSE(out.close_after);
    EXPECT_TRUE(out.reply.has_value());
    protocol::envelope_response r;
    if (!out.reply) return r;
    const auto& bytes = std::get<std::vector<std::byte>>(out.reply->parts.at(0));
    auto head = read_response_head(bytes, 1);
    EXPECT_TRUE(head.has_value());
    EXPECT_EQ(head->correlation_id, 7);
    protocol::reader rd(std::span(bytes).subspan(head->body_offset));
    EXPECT_TRUE(r.decode(rd, 0).has_value());
    return r;
  }
  static protocol::envelope_request wrapped(std::vector<std::byte> inner,
                                            std::string_view principal = "User:alice") {
    protocol::envelope_request e;
    e.request_data = std::move(inner);
    e.request_principal = encode_principal(principal);
    e.client_host_address = *address_bytes("10.0.0.7");
    return e;
  }

  testing::admin_fixture f;
};

TEST_F(EnvelopeHandler, ServesTheInnerRequestAndWrapsItsResponse) {
  auto r = answer(wrapped(create_topics_frame("wrapped")));
  ASSERT_EQ(r.error_code, protocol::error_code::none);
  ASSERT_TRUE(r.response_data.has_value());
  auto head = read_response_head(*r.response_data, 1);  // CreateTopics v7: header v1
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->correlation_id, 99);  // the client's
  protocol::create_topics_response inner;
  protocol::reader rd(std::span(*r.response_data).subspan(head->body_offset));
  ASSERT_TRUE(inner.decode(rd, create_topics_version).has_value());
  ASSERT_EQ(inner.topics.size(), 1u);
  EXPECT_EQ(inner.topics[0].name, "wrapped");
  EXPECT_EQ(inner.topics[0].error_code, protocol::error_code::none);
  EXPECT_NE(f.store().image()->find_topic("wrapped"), nullptr);
}

TEST_F(EnvelopeHandler, RefusesABadPrincipal) {
  auto e = wrapped(create_topics_frame("bad-principal"));
  e.request_principal = bytes_of({0, 7, 1, 1, 0, 0});
  EXPECT_EQ(answer(e).error_code, protocol::error_code::principal_deserialization_failure);
  e.request_principal = std::nullopt;
  EXPECT_EQ(answer(e).error_code, protocol::error_code::principal_deserialization_failure);
  EXPECT_EQ(f.store().image()->find_topic("bad-principal"), nullptr);
}

TEST_F(EnvelopeHandler, RefusesABadInnerRequestOrAddress) {
  auto cut = create_topics_frame("cut");
  cut.resize(cut.size() - 6);
  EXPECT_EQ(answer(wrapped(cut)).error_code, protocol::error_code::invalid_request);
  EXPECT_EQ(answer(wrapped(bytes_of({0, 19}))).error_code, protocol::error_code::invalid_request);
  // A Metadata request is not one brokers forward.
  auto metadata = create_topics_frame("x");
  metadata[1] = std::byte{protocol::metadata_api::key};
  EXPECT_EQ(answer(wrapped(metadata)).error_code, protocol::error_code::invalid_request);
  auto bad_host = wrapped(create_topics_frame("bad-host"));
  bad_host.client_host_address = bytes_of({1, 2, 3});
  EXPECT_EQ(answer(bad_host).error_code, protocol::error_code::invalid_request);
  EXPECT_EQ(f.store().image()->find_topic("cut"), nullptr);
  EXPECT_EQ(f.store().image()->find_topic("bad-host"), nullptr);
}

TEST_F(EnvelopeHandler, NotTheControllerAnswersNotController) {
  f.services().node_id = model::node_id(2);  // the image names node 1
  EXPECT_EQ(answer(wrapped(create_topics_frame("elsewhere"))).error_code,
            protocol::error_code::not_controller);
  EXPECT_EQ(f.store().image()->find_topic("elsewhere"), nullptr);
}

// The forwarding node's connection here is PLAINTEXT, i.e. User:ANONYMOUS.
TEST_F(EnvelopeHandler, TheSenderNeedsClusterAction) {
  const security::authorizer auth(security::authorizer_config{{"User:alice"}});
  f.services().authorizer = &auth;
  EXPECT_EQ(answer(wrapped(create_topics_frame("no-cluster-action"))).error_code,
            protocol::error_code::cluster_authorization_failed);
  EXPECT_EQ(f.store().image()->find_topic("no-cluster-action"), nullptr);
}

TEST_F(EnvelopeHandler, AuthorizesTheInnerRequestAsTheClient) {
  const security::authorizer auth(security::authorizer_config{{"User:ANONYMOUS", "User:alice"}});
  f.services().authorizer = &auth;
  auto inner_error = [this](std::string_view principal, const std::string& topic) {
    auto r = answer(wrapped(create_topics_frame(topic), principal));
    EXPECT_EQ(r.error_code, protocol::error_code::none);
    auto head = read_response_head(*r.response_data, 1);
    protocol::create_topics_response inner;
    protocol::reader rd(std::span(*r.response_data).subspan(head->body_offset));
    EXPECT_TRUE(inner.decode(rd, create_topics_version).has_value());
    return inner.topics.at(0).error_code;
  };
  EXPECT_EQ(inner_error("User:bob", "bobs"), protocol::error_code::topic_authorization_failed);
  EXPECT_EQ(inner_error("User:alice", "alices"), protocol::error_code::none);
  EXPECT_EQ(f.store().image()->find_topic("bobs"), nullptr);
  EXPECT_NE(f.store().image()->find_topic("alices"), nullptr);
}

TEST_F(EnvelopeHandler, ClosesAConnectionOnABrokerListener) {
  f.services().listeners = listener_scopes{"CONTROLLER", false};
  f.set_listener("PLAINTEXT");
  auto out = send(wrapped(create_topics_frame("from-client")));
  EXPECT_TRUE(out.close_after);
  EXPECT_FALSE(out.reply.has_value());
  EXPECT_EQ(f.store().image()->find_topic("from-client"), nullptr);
}

}  // namespace
}  // namespace vltava::kafka
