// Request/response framing, header versions, ApiVersions' fallback, and bad input through
// real generated decoders (Produce, Metadata).

#include "protocol/framing.h"

#include <gtest/gtest.h>

#include "protocol/api_table.h"
#include "protocol/generated/metadata.h"
#include "protocol/generated/produce.h"

namespace vltava::protocol {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(api_table, sorted_and_consistent) {
  auto table = api_table();
  ASSERT_FALSE(table.empty());
  for (size_t i = 0; i < table.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(table[i - 1].key, table[i].key);
    }
    EXPECT_LE(table[i].min_version, table[i].max_version) << table[i].name;
    EXPECT_EQ(find_api(table[i].key), &table[i]);
  }
  EXPECT_EQ(find_api(-5), nullptr);
  const api_info* produce = find_api(produce_api::key);
  ASSERT_NE(produce, nullptr);
  EXPECT_EQ(produce->name, "Produce");
  EXPECT_EQ(produce->max_version, produce_api::max_version);
}

TEST(api_table, header_versions) {
  EXPECT_EQ(request_header_version(produce_api::key, 8), 1);
  EXPECT_EQ(request_header_version(produce_api::key, 9), 2);
  EXPECT_EQ(response_header_version(produce_api::key, 8), 0);
  EXPECT_EQ(response_header_version(produce_api::key, 9), 1);
  EXPECT_EQ(request_header_version(7, 0), 0);  // ControlledShutdown v0
  if (const api_info* av = find_api(api_versions_key)) {
    EXPECT_EQ(response_header_version(api_versions_key, av->max_version), 0);
    EXPECT_EQ(request_header_version(api_versions_key, av->max_version), 2);
    // A version newer than ours is still read with the flexible header.
    EXPECT_EQ(request_header_version(api_versions_key, 1000), 2);
  }
  EXPECT_EQ(request_header_version(-1, 0), -1);
}

TEST(framing, parses_request_header_v2) {
  // Metadata v12: key 3, version 12, correlation id 7, client id "ab", one unknown tag.
  auto frame = bytes_of({0, 3, 0, 12, 0, 0, 0, 7, 0, 2, 'a', 'b', 1, 5, 1, 0xEE});
  auto body = bytes_of({0, 1, 0, 0});  // topics null, allow auto create, no auth ops, no tags
  frame.insert(frame.end(), body.begin(), body.end());
  auto h = parse_request_header(frame);
  ASSERT_TRUE(h.has_value()) << h.error().to_string();
  EXPECT_EQ(h->api_key, 3);
  EXPECT_EQ(h->api_version, 12);
  EXPECT_EQ(h->correlation_id, 7);
  EXPECT_EQ(h->client_id, "ab");
  EXPECT_EQ(h->header_version, 2);
  ASSERT_EQ(h->unknown_tags.size(), 1u);
  EXPECT_EQ(h->unknown_tags[0].tag, 5u);
  EXPECT_EQ(h->body_offset, 16u);
  reader r(std::span<const std::byte>(frame).subspan(h->body_offset));
  metadata_request req;
  ASSERT_TRUE(req.decode(r, 12).has_value());
  EXPECT_FALSE(req.topics.has_value());
  EXPECT_TRUE(r.empty());
}

TEST(framing, request_header_truncated_at_every_byte) {
  auto frame = bytes_of({0, 3, 0, 12, 0, 0, 0, 7, 0, 2, 'a', 'b', 0});
  for (size_t cut = 0; cut < frame.size(); ++cut) {
    std::vector<std::byte> prefix(frame.begin(), frame.begin() + static_cast<ptrdiff_t>(cut));
    EXPECT_FALSE(parse_request_header(prefix).has_value()) << cut;
  }
  EXPECT_TRUE(parse_request_header(frame).has_value());
}

TEST(framing, api_versions_header_without_tags_is_still_answerable) {
  // ApiVersions v127 framed with header v1 (no tag section): read as far as the client id, so
  // the dispatcher can send the UNSUPPORTED_VERSION fallback. Other APIs stay strict.
  auto probe = bytes_of({0, 18, 0, 127, 0, 0, 0, 42, 0, 1, 'x'});
  auto h = parse_request_header(probe);
  ASSERT_TRUE(h.has_value()) << h.error().to_string();
  EXPECT_EQ(h->correlation_id, 42);
  EXPECT_EQ(h->client_id, "x");
  EXPECT_EQ(h->body_offset, probe.size());
  auto metadata = bytes_of({0, 3, 0, 12, 0, 0, 0, 42, 0, 1, 'x'});
  EXPECT_FALSE(parse_request_header(metadata).has_value());
}

TEST(framing, null_client_id_and_v0_header) {
  auto frame = bytes_of({0, 3, 0, 1, 0, 0, 0, 9, 0xFF, 0xFF});
  auto h = parse_request_header(frame);
  ASSERT_TRUE(h.has_value());
  EXPECT_FALSE(h->client_id.has_value());
  auto v0 = bytes_of({0, 7, 0, 0, 0, 0, 0, 9});  // ControlledShutdown v0: no client id
  auto h0 = parse_request_header(v0);
  ASSERT_TRUE(h0.has_value());
  EXPECT_EQ(h0->header_version, 0);
  EXPECT_EQ(h0->body_offset, 8u);
}

TEST(framing, response_frame_has_size_and_header) {
  metadata_response resp;
  resp.controller_id = 1;
  auto frame = encode_response_frame(metadata_api::key, 12, 42, resp);
  ASSERT_GE(frame.size(), 9u);
  reader r(frame);
  int32_t size, corr;
  uint32_t tags;
  ASSERT_TRUE(r.read_fixed(size) && r.read_fixed(corr) && r.read_uvarint(tags));
  EXPECT_EQ(static_cast<size_t>(size), frame.size() - 4);
  EXPECT_EQ(corr, 42);
  EXPECT_EQ(tags, 0u);
  metadata_response back;
  ASSERT_TRUE(back.decode(r, 12).has_value());
  EXPECT_EQ(back, resp);
}

TEST(framing, api_versions_fallback_is_v0_with_unsupported_version) {
  const api_info apis[] = {{0, "Produce", 0, 13, 9, listener_client},
                           {18, "ApiVersions", 0, 4, 3, listener_client}};
  auto frame = encode_api_versions_fallback(77, apis);
  EXPECT_EQ(frame, bytes_of({0, 0,  0, 22,  // size
                             0, 0,  0, 77,  // correlation id, header v0
                             0, 35,         // UNSUPPORTED_VERSION
                             0, 0,  0, 2,   // two APIs
                             0, 0,  0, 0,  0, 13, 0, 18, 0, 0, 0, 4}));
}

TEST(generated, produce_truncated_records_names_the_field) {
  produce_request req;
  req.acks = -1;
  req.timeout_ms = 1000;
  static const std::byte batch[] = {std::byte{1}, std::byte{2}, std::byte{3}};
  auto& topic = req.topic_data.emplace_back();
  topic.name = "t";
  auto& part = topic.partition_data.emplace_back();
  part.records = records_view{batch, false};
  writer w;
  req.encode(w, 8);
  auto bytes = std::move(w).take();
  bytes.pop_back();
  reader r(bytes);
  produce_request back;
  auto res = back.decode(r, 8);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().field, "topic_data[0].partition_data[0].records");
}

TEST(generated, array_length_two_to_the_31_in_100_byte_frame) {
  // Metadata v1 request: topics count 0x7FFFFFFF followed by 96 bytes.
  auto frame = bytes_of({0x7F, 0xFF, 0xFF, 0xFF});
  frame.resize(100, std::byte{0x41});
  reader r(frame);
  metadata_request req;
  auto res = req.decode(r, 1);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().field, "topics");
  EXPECT_EQ(req.topics.has_value() ? req.topics->capacity() : 0u, 0u);
  // Compact form (v9+): uvarint 2^31 + 1.
  auto compact = bytes_of({0x81, 0x80, 0x80, 0x80, 0x08});
  compact.resize(100);
  reader rc(compact);
  EXPECT_FALSE(req.decode(rc, 9).has_value());
}

TEST(generated, unknown_tagged_fields_preserved) {
  produce_request req;
  req.transactional_id = "tx";
  req.unknown_tags.push_back({42, bytes_of({1, 2, 3})});
  auto& topic = req.topic_data.emplace_back();
  topic.name = "t";
  topic.unknown_tags.push_back({9, bytes_of({7})});
  writer w;
  req.encode(w, 9);
  reader r(w.buffer());
  produce_request back;
  ASSERT_TRUE(back.decode(r, 9).has_value());
  ASSERT_EQ(back.unknown_tags.size(), 1u);
  EXPECT_EQ(back.unknown_tags[0].tag, 42u);
  EXPECT_EQ(back.unknown_tags[0].value, bytes_of({1, 2, 3}));
  ASSERT_EQ(back.topic_data.size(), 1u);
  EXPECT_EQ(back.topic_data[0].unknown_tags, topic.unknown_tags);
  writer w2;
  back.encode(w2, 9);
  EXPECT_EQ(w2.buffer(), w.buffer());
}

TEST(generated, unsupported_version_is_an_error) {
  auto frame = bytes_of({0, 0});
  reader r(frame);
  produce_request req;
  auto res = req.decode(r, produce_api::max_version + 1);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().field, "version");
}

}  // namespace
}  // namespace vltava::protocol
