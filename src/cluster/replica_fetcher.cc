#include "cluster/replica_fetcher.h"

#include <algorithm>
#include <map>
#include <thread>

#include "base/log.h"
#include "cluster/partition_leadership.h"
#include "config/broker_configs.h"
#include "model/record_batch_header.h"
#include "net/shard_calls.h"
#include "protocol/generated/fetch.h"

namespace vltava::cluster {

using protocol::error_code;

namespace {

constexpr std::string_view module = "replication";
// Fetch v15: ReplicaState (replica id and broker epoch), topic ids, DivergingEpoch.
constexpr int16_t fetch_version = 15;
// Beyond the fetch's own wait: how long the leader may take to answer.
constexpr auto answer_grace = std::chrono::seconds(10);
// A leadership error (the leader has not applied the image naming it yet, or has moved on):
// asked again after this, not after the full backoff, so a failover costs little.
constexpr auto leadership_retry = std::chrono::milliseconds(50);

// A partition this node follows, as the image has it.
struct followed {
  std::string topic;
  protocol::uuid topic_id;
  model::partition_id partition;
  model::leader_epoch leader_epoch;
};

std::vector<followed> followed_from(const metadata_image& image, model::node_id self,
                                    model::node_id leader) {
  std::vector<followed> out;
  for (const auto& [name, t] : image.topics) {
    for (size_t i = 0; i < t.partitions.size(); ++i) {
      const partition_assignment& a = t.partitions[i];
      if (a.leader != leader || a.leader == self || !is_replica(a, self)) continue;
      out.push_back({name, t.id, model::partition_id(static_cast<int32_t>(i)), a.leader_epoch});
    }
  }
  return out;
}

std::set<model::node_id> leaders_followed(const metadata_image& image, model::node_id self) {
  std::set<model::node_id> out;
  for (const auto& [_, t] : image.topics) {
    for (const auto& a : t.partitions) {
      if (a.leader >= model::node_id(0) && a.leader != self && is_replica(a, self)) {
        out.insert(a.leader);
      }
    }
  }
  return out;
}

// The hosted partition when it still follows `leader` at the image's epoch.
std::shared_ptr<partition> follower_of(partition_manager& pm, const followed& f,
                                       model::node_id leader) {
  auto part = pm.find_shared(f.topic, f.partition);
  if (!part || part->closed() || part->role() != replica_role::follower ||
      part->leader_id() != leader || part->leader_epoch() != f.leader_epoch) {
    return nullptr;
  }
  return part;
}

struct position {
  bool ok = false;
  partition::fetch_position at;
  model::offset log_start{-1};
};

struct answer {
  bool present = false;
  error_code error = error_code::none;
  epoch_end diverging;
  model::offset high_watermark{-1};
  std::span<const std::byte> records;
};

// The whole batches at the front of `records` (a leader may end a response inside one).
std::span<const std::byte> whole_batches(std::span<const std::byte> records) {
  size_t pos = 0;
  while (pos < records.size()) {
    auto h = model::parse_header(records.subspan(pos));
    if (!h || h->size_bytes() > records.size() - pos) break;
    pos += h->size_bytes();
  }
  return records.first(pos);
}

}  // namespace

struct replica_fetchers::state {
  state(net::shard_pool& s, partition_manager& p, broker_channels& b, replica_fetcher_config c)
      : shards(s), pm(p), brokers(b), cfg(c) {}
  net::shard_pool& shards;
  partition_manager& pm;
  broker_channels& brokers;
  replica_fetcher_config cfg;
  std::atomic<bool> stopping{false};
  std::atomic<int> running{0};       // the supervisor and the loops
  std::set<model::node_id> leaders;  // shard 0 only: a loop runs for each
};

namespace {

using fetcher_state = replica_fetchers::state;

net::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  std::error_code ec;
  co_await t.async_wait(asio::redirect_error(net::use_awaitable, ec));
}

// On a partition's shard: where each of `mine` fetches from.
net::awaitable<std::vector<position>> positions_on_shard(partition_manager& pm,
                                                         const std::vector<followed>& parts,
                                                         const std::vector<size_t>& mine,
                                                         model::node_id leader) {
  std::vector<position> out(mine.size());
  for (size_t k = 0; k < mine.size(); ++k) {
    auto part = follower_of(pm, parts[mine[k]], leader);
    if (!part) continue;
    // Only a durable end is ever reported (after a restart the recovered tail is synced first).
    if (auto err = co_await part->flushed()) continue;
    out[k].ok = true;
    out[k].at = part->replica_position();
    out[k].log_start = part->log_start_offset();
  }
  co_return out;
}

// On a partition's shard: applies the leader's answers for `mine`, then waits until what was
// appended is durable. True for each partition that got news (records or a truncation).
net::awaitable<std::vector<bool>> apply_on_shard(partition_manager& pm,
                                                 const std::vector<followed>& parts,
                                                 const std::vector<answer>& answers,
                                                 const std::vector<size_t>& mine,
                                                 model::node_id leader) {
  std::vector<bool> news(mine.size(), false);
  std::vector<std::shared_ptr<partition>> appended;
  for (size_t k = 0; k < mine.size(); ++k) {
    const followed& f = parts[mine[k]];
    const answer& a = answers[mine[k]];
    if (!a.present || a.error != error_code::none) continue;
    auto part = follower_of(pm, f, leader);
    if (!part) continue;
    if (a.diverging.epoch >= model::leader_epoch(0) || a.diverging.end_offset >= model::offset(0)) {
      if (auto t = part->truncate_diverged(a.diverging); !t) {
        log::warn(module, "{}-{}: truncation failed: {}", f.topic, f.partition(),
                  t.error().message);
      }
      news[k] = true;
      continue;
    }
    if (!a.records.empty()) {
      std::vector<std::byte> copy(a.records.begin(), a.records.end());
      if (auto r = part->append_replicated(copy); !r) {
        log::warn(module, "{}-{}: leader's batches not appended: {}", f.topic, f.partition(),
                  r.error().message);
        continue;
      }
      news[k] = true;
      part->request_flush();
      appended.push_back(part);
    }
    part->set_leader_high_watermark(a.high_watermark);
  }
  // One group commit for all of them; the next fetch reports the durable ends.
  for (auto& part : appended) {
    if (auto err = co_await part->flushed()) {
      log::warn(module, "{}: not made durable: {}", part->log().identity().describe(),
                err->message);
    }
  }
  co_return news;
}

protocol::fetch_request request_for(const fetcher_state& st, const metadata_image& image,
                                    const std::vector<followed>& parts,
                                    const std::vector<position>& at) {
  const model::node_id self = st.pm.node_id();
  protocol::fetch_request req;
  req.replica_id = self;
  req.replica_state.replica_id = self;
  if (const broker_info* me = image.find_broker(self)) req.replica_state.replica_epoch = me->epoch;
  req.max_wait_ms = st.cfg.wait_max_ms;
  req.min_bytes = 1;
  req.max_bytes = st.cfg.response_max_bytes;
  req.isolation_level = 0;
  req.session_id = 0;
  req.session_epoch = -1;  // a full fetch without a session
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!at[i].ok) continue;
    if (req.topics.empty() || req.topics.back().topic_id != parts[i].topic_id) {
      auto& t = req.topics.emplace_back();
      t.topic_id = parts[i].topic_id;
      t.topic = parts[i].topic;
    }
    auto& p = req.topics.back().partitions.emplace_back();
    p.partition = parts[i].partition();
    p.current_leader_epoch = at[i].at.current_leader_epoch;
    p.fetch_offset = at[i].at.fetch_offset;
    p.last_fetched_epoch = at[i].at.last_fetched_epoch;
    p.log_start_offset = at[i].log_start;
    p.partition_max_bytes = st.cfg.partition_max_bytes;
  }
  return req;
}

std::vector<answer> answers_of(const protocol::fetch_response& resp,
                               const std::vector<followed>& parts) {
  // By topic id bytes and partition: one lookup per partition answered.
  using key = std::pair<decltype(protocol::uuid{}.bytes), int32_t>;
  std::map<key, size_t> index;
  for (size_t i = 0; i < parts.size(); ++i) {
    index.emplace(key(parts[i].topic_id.bytes, parts[i].partition()), i);
  }
  std::vector<answer> out(parts.size());
  for (const auto& t : resp.responses) {
    for (const auto& d : t.partitions) {
      auto it = index.find(key(t.topic_id.bytes, d.partition_index()));
      if (it == index.end()) continue;
      answer& a = out[it->second];
      a.present = true;
      a.error = d.error_code;
      a.diverging = {model::leader_epoch(d.diverging_epoch.epoch), d.diverging_epoch.end_offset};
      a.high_watermark = d.high_watermark;
      if (!d.records.null) a.records = whole_batches(d.records.data);
    }
  }
  return out;
}

// One round: positions, the Fetch, the answers applied. How long to pause before the next.
net::awaitable<std::chrono::milliseconds> fetch_once(std::shared_ptr<fetcher_state> st,
                                                     model::node_id leader, const image_ptr& image,
                                                     const std::vector<followed>& parts) {
  partition_manager& pm = st->pm;
  const auto split = net::split_by_shard(parts.size(), [&pm, &parts](size_t i) {
    return pm.shard_of(parts[i].topic_id, parts[i].partition);
  });
  auto per_shard = co_await net::on_shards<std::vector<position>>(
      pm.shards(), split.shards, [&pm, &parts, &split, leader](size_t g) {
        return positions_on_shard(pm, parts, split.items[g], leader);
      });
  const auto at = split.gather(std::move(per_shard), parts.size());
  if (std::none_of(at.begin(), at.end(), [](const position& p) { return p.ok; })) {
    co_return st->cfg.image_poll;  // none applied the image's leadership yet
  }
  const auto req = request_for(*st, *image, parts, at);
  const auto timeout = std::chrono::milliseconds(st->cfg.wait_max_ms) + answer_grace;
  auto r = co_await st->brokers.call<protocol::fetch_api>(leader, req, fetch_version, timeout);
  if (!r) co_return st->cfg.backoff;
  if (r->body.error_code != error_code::none) {
    log::warn(module, "fetch from broker {}: {}", leader(),
              protocol::error_name(r->body.error_code));
    co_return st->cfg.backoff;
  }
  const std::vector<answer> answers = answers_of(r->body, parts);
  auto applied = co_await net::on_shards<std::vector<bool>>(
      pm.shards(), split.shards, [&pm, &parts, &answers, &split, leader](size_t g) {
        return apply_on_shard(pm, parts, answers, split.items[g], leader);
      });
  bool leadership_error = false;
  for (const auto& a : answers) {
    if (a.error == error_code::not_leader_or_follower ||
        a.error == error_code::fenced_leader_epoch || a.error == error_code::unknown_leader_epoch) {
      leadership_error = true;
    } else if (a.error != error_code::none) {
      log::warn(module, "fetch from broker {}: {}", leader(), protocol::error_name(a.error));
    }
  }
  co_return leadership_error ? std::chrono::milliseconds(leadership_retry)
                             : std::chrono::milliseconds(0);
}

net::awaitable<void> fetch_loop(std::shared_ptr<fetcher_state> st, model::node_id leader) {
  log::info(module, "fetching from broker {}", leader());
  while (!st->stopping) {
    image_ptr image = st->pm.image();
    if (!image) break;
    const auto parts = followed_from(*image, st->pm.node_id(), leader);
    if (parts.empty()) break;
    const auto wait = co_await fetch_once(st, leader, image, parts);
    if (wait.count() > 0 && !st->stopping) co_await pause(wait);
  }
  log::info(module, "no longer fetching from broker {}", leader());
  st->leaders.erase(leader);
  st->running.fetch_sub(1);
}

net::awaitable<void> supervise(std::shared_ptr<fetcher_state> st) {
  while (!st->stopping) {
    if (image_ptr image = st->pm.image()) {
      for (model::node_id leader : leaders_followed(*image, st->pm.node_id())) {
        if (!st->leaders.insert(leader).second) continue;
        st->running.fetch_add(1);
        asio::co_spawn(st->shards.shard(0), fetch_loop(st, leader), asio::detached);
      }
    }
    co_await pause(st->cfg.image_poll);
  }
  st->running.fetch_sub(1);
}

}  // namespace

replica_fetcher_config replica_fetcher_config::from(const config::config_set& broker) {
  namespace keys = config::broker_keys;
  replica_fetcher_config c;
  c.wait_max_ms = broker.get(keys::replica_fetch_wait_max_ms);
  c.partition_max_bytes = broker.get(keys::replica_fetch_max_bytes);
  c.response_max_bytes = broker.get(keys::replica_fetch_response_max_bytes);
  c.backoff = std::chrono::milliseconds(broker.get(keys::replica_fetch_backoff_ms));
  return c;
}

replica_fetchers::replica_fetchers(net::shard_pool& shards, partition_manager& partitions,
                                   broker_channels& brokers, replica_fetcher_config cfg)
    : _shards(shards), _state(std::make_shared<state>(shards, partitions, brokers, cfg)) {}

replica_fetchers::~replica_fetchers() {
  stop();
}

void replica_fetchers::start() {
  _state->running.fetch_add(1);
  asio::co_spawn(_shards.shard(0), supervise(_state), asio::detached);
}

void replica_fetchers::stop() {
  if (_state->stopping.exchange(true)) return;
  VLTAVA_ASSERT(!net::current_shard(_shards), "replica_fetchers::stop blocks: not from a shard");
  // Each loop ends after its fetch in flight (bounded by its wait and timeout).
  while (_state->running.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

}  // namespace vltava::cluster
