#include "cluster/isr_sender.h"

#include "base/log.h"
#include "protocol/generated/alter_partition.h"

namespace vltava::cluster {

using protocol::error_code;

namespace {

constexpr std::string_view module = "replication";
constexpr int16_t alter_partition_version = 3;
constexpr auto call_timeout = std::chrono::seconds(10);
// Changes waiting beyond this are dropped back to their partitions (they propose again).
constexpr size_t queue_max = 10'000;

}  // namespace

struct isr_sender::state {
  net::shard_pool& shards;
  partition_manager& pm;
  metadata_store& store;
  controller_channel* channel;
  std::vector<isr_change> queue;  // shard 0 only
  bool sending = false;           // shard 0 only
};

namespace {

using sender_state = isr_sender::state;

protocol::alter_partition_request request_of(const metadata_image& image, model::node_id self,
                                             const std::vector<isr_change>& changes) {
  protocol::alter_partition_request req;
  req.broker_id = self;
  if (const broker_info* me = image.find_broker(self)) req.broker_epoch = me->epoch;
  for (const auto& c : changes) {
    if (req.topics.empty() || req.topics.back().topic_id != c.topic_id) {
      auto& t = req.topics.emplace_back();
      t.topic_id = c.topic_id;
      t.topic_name = c.topic;
    }
    auto& p = req.topics.back().partitions.emplace_back();
    p.partition_index = c.partition;
    p.leader_epoch = c.leader_epoch;
    p.partition_epoch = c.proposal.partition_epoch;
    for (size_t i = 0; i < c.proposal.isr.size(); ++i) {
      const model::node_id n = c.proposal.isr[i];
      auto& b = p.new_isr_with_epochs.emplace_back();
      b.broker_id = n;
      // KIP-903: the epoch the member's own fetches carried, so a broker that restarted
      // (a new registration) since is refused; the leader's own is the registration's.
      b.broker_epoch = i < c.proposal.broker_epochs.size() ? c.proposal.broker_epochs[i] : -1;
      if (n == self) {
        if (const broker_info* me = image.find_broker(self)) b.broker_epoch = me->epoch;
      }
      p.new_isr.push_back(n());
    }
  }
  return req;
}

alter_partition_request local_request_of(const protocol::alter_partition_request& r) {
  alter_partition_request out;
  out.broker = r.broker_id;
  out.broker_epoch = r.broker_epoch;
  out.version = alter_partition_version;
  for (const auto& t : r.topics) {
    for (const auto& p : t.partitions) {
      alter_partition_item item;
      item.topic_id = t.topic_id;
      item.topic_name = t.topic_name;
      item.partition = p.partition_index();
      item.leader_epoch = p.leader_epoch;
      item.partition_epoch = p.partition_epoch;
      for (const auto& b : p.new_isr_with_epochs)
        item.new_isr.push_back({b.broker_id, b.broker_epoch});
      out.items.push_back(std::move(item));
    }
  }
  return out;
}

// Per change, in order: the controller's answer (none when accepted).
net::awaitable<std::vector<error_code>> send(sender_state& st,
                                             const std::vector<isr_change>& changes) {
  std::vector<error_code> out(changes.size(), error_code::request_timed_out);
  image_ptr image = st.store.image();
  if (!image) co_return out;
  const auto req = request_of(*image, st.pm.node_id(), changes);
  if (st.channel == nullptr) {
    auto r = co_await st.store.alter_partition(local_request_of(req));
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = !r.ok() ? r.error : r.items.at(i).error;
    }
    co_return out;
  }
  auto r = co_await st.channel->call<protocol::alter_partition_api>(req, alter_partition_version,
                                                                    call_timeout);
  if (!r) co_return out;
  if (r->body.error_code != error_code::none) {
    std::fill(out.begin(), out.end(), r->body.error_code);
    co_return out;
  }
  size_t i = 0;
  for (const auto& t : r->body.topics) {
    for (const auto& p : t.partitions) {
      if (i < out.size()) out[i++] = p.error_code;
    }
  }
  co_return out;
}

net::awaitable<void> send_loop(std::shared_ptr<sender_state> st) {
  while (!st->queue.empty()) {
    std::vector<isr_change> batch = std::move(st->queue);
    st->queue.clear();
    const auto answers = co_await send(*st, batch);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (answers[i] == error_code::none) continue;
      log::warn(module, "{}-{}: ISR change refused by the controller: {}", batch[i].topic,
                batch[i].partition(), protocol::error_name(answers[i]));
      st->pm.isr_change_failed(batch[i].topic_id, batch[i].partition);
    }
  }
  st->sending = false;
}

}  // namespace

isr_sender::isr_sender(net::shard_pool& shards, partition_manager& partitions,
                       metadata_store& store, controller_channel* channel)
    : _state(std::make_shared<state>(state{shards, partitions, store, channel, {}, false})) {}

void isr_sender::submit(isr_change change) {
  auto st = _state;
  asio::post(st->shards.shard(0), [st, change = std::move(change)]() mutable {
    if (st->queue.size() >= queue_max) {
      st->pm.isr_change_failed(change.topic_id, change.partition);
      return;
    }
    log::info(module, "{}-{}: asking the controller for ISR of {} at partition epoch {}",
              change.topic, change.partition(), change.proposal.isr.size(),
              change.proposal.partition_epoch);
    st->queue.push_back(std::move(change));
    if (st->sending) return;
    st->sending = true;
    asio::co_spawn(st->shards.shard(0), send_loop(st), asio::detached);
  });
}

}  // namespace vltava::cluster
