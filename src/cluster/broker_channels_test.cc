#include "cluster/broker_channels.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "protocol/generated/api_versions.h"

namespace vltava::cluster {
namespace {

using namespace std::chrono_literals;

// A metadata image with brokers 1 and 2, each on a PLAINTEXT and an INTERNAL listener.
std::shared_ptr<metadata_image> image_with(uint16_t internal_port_of_2) {
  auto image = std::make_shared<metadata_image>();
  for (int id : {1, 2}) {
    broker_info b;
    b.id = model::node_id(id);
    b.fenced = false;
    b.endpoints.push_back({"PLAINTEXT", "127.0.0." + std::to_string(id), 9092, 0});
    const uint16_t internal = id == 2 ? internal_port_of_2 : 9093;
    b.endpoints.push_back({"INTERNAL", "127.0.0." + std::to_string(id), internal, 0});
    image->brokers.push_back(std::move(b));
  }
  return image;
}

struct image_source {
  std::mutex mu;
  image_ptr current;
  void set(image_ptr i) {
    std::lock_guard lock(mu);
    current = std::move(i);
  }
  image_ptr get() {
    std::lock_guard lock(mu);
    return current;
  }
};

TEST(broker_channels, one_client_per_broker_on_the_inter_broker_listener) {
  net::shard_pool shards(1);
  image_source images;
  images.set(image_with(9093));
  broker_channels channels(
      shards, 0, [&images] { return images.get(); }, "INTERNAL");

  auto a = channels.client_for(model::node_id(2));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->host(), "127.0.0.2");
  EXPECT_EQ(a->port(), 9093);
  EXPECT_EQ(channels.client_for(model::node_id(2)), a) << "reused while the endpoint stays";
  EXPECT_NE(channels.client_for(model::node_id(1)), a);
  EXPECT_EQ(channels.client_for(model::node_id(7)), nullptr) << "not in the image";

  // The broker restarted on another port: the next call goes there.
  images.set(image_with(19093));
  auto b = channels.client_for(model::node_id(2));
  ASSERT_NE(b, nullptr);
  EXPECT_NE(b, a);
  EXPECT_EQ(b->port(), 19093);
}

TEST(broker_channels, no_endpoint_on_the_listener) {
  net::shard_pool shards(1);
  image_ptr image = image_with(9093);
  broker_channels channels(
      shards, 0, [image] { return image; }, "REPLICATION");
  EXPECT_EQ(channels.client_for(model::node_id(1)), nullptr);
  EXPECT_FALSE(channels.endpoint_of(model::node_id(1)).has_value());
}

net::awaitable<int> call_api_versions(broker_channels* channels, model::node_id broker) {
  protocol::api_versions_request request;
  auto r = co_await channels->call<protocol::api_versions_api>(broker, request, 0, 500ms);
  co_return r ? 0 : static_cast<int>(r.error());
}

TEST(broker_channels, calls_from_another_shard_fail_as_values) {
  net::shard_pool shards(2);
  shards.start();
  // Nothing listens on the port of broker 2 (a port just closed, on loopback).
  uint16_t closed_port = 0;
  {
    asio::io_context ctx;
    asio::ip::tcp::acceptor a(ctx, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = a.local_endpoint().port();
  }
  auto image = image_with(closed_port);
  image->brokers[1].endpoints[1].host = "127.0.0.1";
  image_ptr fixed = image;
  broker_channels channels(
      shards, 0, [fixed] { return fixed; }, "INTERNAL");
  auto unknown = asio::co_spawn(shards.shard(1), call_api_versions(&channels, model::node_id(9)),
                                asio::use_future);
  EXPECT_EQ(unknown.get(), static_cast<int>(broker_errc::no_endpoint));
  auto refused = asio::co_spawn(shards.shard(1), call_api_versions(&channels, model::node_id(2)),
                                asio::use_future);
  EXPECT_EQ(refused.get(), static_cast<int>(broker_errc::call_failed));
  std::promise<void> closed;
  asio::post(shards.shard(0), [&] {
    channels.close_all();
    closed.set_value();
  });
  closed.get_future().wait();
  shards.stop();
  shards.join();
}

}  // namespace
}  // namespace vltava::cluster
