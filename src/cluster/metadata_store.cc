#include "cluster/metadata_store.h"

#include <algorithm>
#include <array>
#include <future>
#include <limits>
#include <mutex>
#include <set>

#include "base/log.h"
#include "cluster/bootstrap_metadata.h"
#include "cluster/controller_channel.h"
#include "cluster/leader_election.h"
#include "cluster/meta_properties.h"
#include "cluster/metadata_store_state.h"
#include "cluster/replica_placement.h"
#include "cluster/topic_name.h"
#include "config/broker_configs.h"
#include "config/kraft_config.h"
#include "config/properties.h"
#include "config/topic_configs.h"
#include "net/shard_calls.h"
#include "protocol/generated/allocate_producer_ids.h"
#include "quorum/config_from.h"
#include "quorum/io/control_batch.h"
#include "quorum/io/quorum_state_file.h"
#include "quorum/io/storage_log.h"
#include "quorum/service/quorum_service.h"
#include "quorum/service/storage_disk.h"
#include "storage/log.h"

namespace vltava::cluster {

using protocol::error_code;

namespace {

constexpr std::string_view metadata_topic = "__cluster_metadata";

// The metadata log has no time or size retention of its own: what goes is the log before a
// snapshot (metadata_store_snapshots.cc), in whole segments (metadata.log.segment.bytes), at
// once (no file.delete.delay.ms: nothing reads a segment after the log start moved past it).
storage::log_config metadata_log_config(const config::config_set& broker) {
  storage::log_config cfg;
  cfg.segment_bytes =
      static_cast<uint64_t>(broker.get(config::broker_keys::metadata_log_segment_bytes));
  cfg.file_delete_delay_ms = 0;
  cfg.retention_ms = -1;
  cfg.retention_bytes = -1;
  cfg.segment_ms = std::numeric_limits<int64_t>::max();
  return cfg;
}

std::string storage_message(const storage::storage_error& e) {
  return std::string(storage::describe(e.code)) + ": " + e.message;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];
  return out;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    auto item = s.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

using override_map = std::map<std::string, std::string, std::less<>>;

// The new override set of a resource after `changes`. `effective` is the resource's effective
// config: APPEND/SUBTRACT start from its value when the key has no override, and only its list
// keys take APPEND/SUBTRACT.
result<override_map, op_result> apply_changes(const override_map& current,
                                              const std::vector<config_change>& changes,
                                              alter_mode mode,
                                              const config::config_set& effective) {
  auto is_list = [&effective](std::string_view key) {
    const auto* def = effective.find(key);
    return def && def->kind == config::value_kind::list;
  };
  auto current_value = [&effective](std::string_view key) -> std::string {
    if (!effective.find(key)) return {};
    return config::to_text(effective.get(key)).value_or("");
  };
  std::set<std::string, std::less<>> seen;
  for (const auto& c : changes) {
    if (!seen.insert(c.name).second) {
      return fail(
          op_result::failure(error_code::invalid_request, "Error due to duplicate config keys"));
    }
    if (c.op != config_op::del && !c.value) {
      return fail(op_result::failure(error_code::invalid_request,
                                     "Null value not supported for : " + c.name));
    }
  }
  override_map next = mode == alter_mode::replace ? override_map{} : current;
  for (const auto& c : changes) {
    switch (c.op) {
      case config_op::set:
        next.insert_or_assign(c.name, *c.value);
        break;
      case config_op::del:
        next.erase(c.name);
        break;
      case config_op::append:
      case config_op::subtract: {
        if (!is_list(c.name)) {
          return fail(op_result::failure(
              error_code::invalid_config,
              "Can't " + std::string(c.op == config_op::append ? "APPEND" : "SUBTRACT") +
                  " to key " + c.name + " because its type is not LIST."));
        }
        auto it = next.find(c.name);
        std::vector<std::string> items =
            split_list(it != next.end() ? std::string_view(it->second) : current_value(c.name));
        for (const auto& v : split_list(*c.value)) {
          auto pos = std::find(items.begin(), items.end(), v);
          if (c.op == config_op::append && pos == items.end()) items.push_back(v);
          if (c.op == config_op::subtract && pos != items.end()) items.erase(pos);
        }
        next.insert_or_assign(c.name, join(items));
        break;
      }
      default:
        return fail(op_result::failure(
            error_code::invalid_request,
            "Unknown operations type " + std::to_string(static_cast<int>(c.op))));
    }
  }
  return next;
}

// Config records turning `from` into `to` for one resource.
void diff_records(int8_t type, const std::string& name, const override_map& from,
                  const override_map& to, std::vector<metadata_record>& out) {
  for (const auto& [k, v] : to) {
    auto it = from.find(k);
    // Broker configs are written even when unchanged, as Kafka does, so a reload happens.
    if (it != from.end() && it->second == v && type != resource_type_broker) continue;
    protocol::metadata_config_record r;
    r.resource_type = type;
    r.resource_name = name;
    r.name = k;
    r.value = v;
    out.emplace_back(std::move(r));
  }
  for (const auto& [k, _] : from) {
    if (to.contains(k)) continue;
    protocol::metadata_config_record r;
    r.resource_type = type;
    r.resource_name = name;
    r.name = k;
    r.value = std::nullopt;
    out.emplace_back(std::move(r));
  }
}

std::vector<std::pair<std::string, std::string>> as_pairs(const override_map& m) {
  return {m.begin(), m.end()};
}

}  // namespace

// ---- state ------------------------------------------------------------------------------------

metadata_store::metadata_store(net::shard_pool& shards, std::string data_dir, model::node_id node,
                               const config::config_set& broker_config)
    : _shards(shards), _data_dir(std::move(data_dir)), _node(node), _static_config(broker_config) {}

metadata_store::~metadata_store() {
  // Dropped without close() while the shards still run: the quorum's tick would resume into
  // freed memory, so it stops first. (With the shards stopped nothing of it resumes.)
  if (_state && _state->quorum && !_state->closed && !_shards.shard(0).stopped()) close();
}

result<std::unique_ptr<metadata_store>, std::string> metadata_store::open(
    storage::file_io& io, storage::flusher& flusher, net::shard_pool& shards, std::string data_dir,
    model::node_id node, const config::config_set& broker_config, quorum::quorum_transport* peers) {
  auto store = start(io, flusher, shards, std::move(data_dir), node, broker_config, peers);
  if (!store) return fail(store.error());
  if (auto r = (*store)->wait_caught_up(); !r) return fail(r.error());
  return store;
}

result<std::unique_ptr<metadata_store>, std::string> metadata_store::start(
    storage::file_io& io, storage::flusher& flusher, net::shard_pool& shards, std::string data_dir,
    model::node_id node, const config::config_set& broker_config, quorum::quorum_transport* peers) {
  if (auto m = io.mkdir(data_dir); !m) return fail(storage_message(m.error()));
  auto kraft = config::kraft_config_from(broker_config);
  if (!kraft) return fail(kraft.error());
  // A single node makes up its cluster id; the nodes of a bigger cluster must share one, so
  // they are formatted with it first (`vltava storage format`), as Kafka's are.
  // A broker-only node (an observer of the quorum) is one of a bigger cluster too.
  const bool quorum_of_one = kraft->voters.size() == 1 && kraft->voters[0].id == node;
  auto props = load_or_create_meta_properties(
      io, data_dir, node, quorum_of_one ? unformatted::create : unformatted::refuse);
  if (!props) return fail(props.error());
  auto quorum_config = quorum::quorum_config_from(*kraft, props->cluster_id);
  if (!quorum_of_one && peers == nullptr) {
    return fail("a controller quorum of other voters needs a network to reach them");
  }

  std::unique_ptr<metadata_store> store(new metadata_store(shards, data_dir, node, broker_config));
  store->_state = std::make_unique<state>(io);
  state& st = *store->_state;
  st.session_timeout = kraft->timeouts.broker_session;
  st.committed.cluster_id = props->cluster_id;
  st.working = st.committed;
  store->_image.store(std::make_shared<const metadata_image>(st.committed));
  if (auto r = store->open_quorum(flusher, std::move(quorum_config), peers ? *peers : st.alone);
      !r) {
    return fail(r.error());
  }
  return store;
}

result<void, std::string> metadata_store::wait_caught_up() {
  auto r = _state->caught_up.get();
  if (!r) return fail(std::string("the controller quorum stopped before this node caught up"));
  log::info("cluster", "metadata: cluster {} node {}: caught up, {} topics", image()->cluster_id,
            _node(), image()->topics.size());
  return {};
}

result<void, std::string> metadata_store::open_quorum(storage::flusher& flusher,
                                                      quorum::quorum_config config,
                                                      quorum::quorum_transport& peers) {
  state& st = *_state;
  const std::string dir = _data_dir + "/" + std::string(quorum::storage_log::dir_name);
  auto opened = storage::log::open(
      st.io, flusher, dir,
      model::topic_partition{std::string(metadata_topic), model::partition_id(0)},
      metadata_log_config(_static_config));
  if (!opened) return fail("metadata log: " + storage_message(opened.error()));
  if ((*opened)->recovery().truncation) {
    log::info("cluster", "metadata log: {}", *(*opened)->recovery().truncation);
  }
  auto log = quorum::storage_log::open(std::move(opened).value(), _node, config.voters);
  if (!log) return fail("metadata log: " + log.error());
  st.log = std::move(log).value();
  init_snapshots();
  auto bootstrap = read_bootstrap_metadata(st.io, _data_dir);
  if (!bootstrap) return fail("bootstrap metadata: " + bootstrap.error());
  st.bootstrap = std::move(bootstrap).value();
  if (auto latest = st.log->latest_snapshot()) {
    // The image starts from the newest snapshot; the log replays only what follows it.
    if (auto r = load_snapshot(*latest); !r) return fail("metadata snapshot: " + r.error());
    st.working = st.committed;
    st.ids = st.committed_ids;
    _image.store(std::make_shared<const metadata_image>(st.committed));
  }
  st.election_file = std::make_unique<quorum::quorum_state_file>(st.io, dir, config.voters);
  auto election = st.election_file->read();
  if (!election) return fail(election.error());
  auto shard0 = _shards.shard(0).get_executor();
  st.disk = std::make_unique<quorum::storage_disk>(shard0, *st.log, *st.election_file);
  st.quorum = std::make_unique<quorum::quorum_service>(
      shard0, std::move(config), _node, *st.log, *st.disk, peers, *election,
      [this](const std::vector<quorum::entry>& entries) { apply_committed(entries); });
  st.quorum->set_snapshot_loader([this](quorum::snapshot_id id) { install_snapshot(id); });
  // Serve nothing before the image holds everything this node had in its log and names the
  // active controller (a leader-change entry applied): a quorum of one gets there when its
  // first epoch's leader-change entry is committed, a bigger one once it has a leader.
  const model::offset end = st.log->end_offset();
  log::info("cluster", "metadata: waiting for the controller quorum to commit offset {}",
            end() - 1);
  st.caught_up = asio::co_spawn(_shards.shard(0), start_and_catch_up(this, end), asio::use_future);
  st.session_timer = std::make_unique<asio::steady_timer>(shard0);
  st.session_loop_running = true;
  asio::co_spawn(shard0, session_loop(this), asio::detached);
  return {};
}

net::awaitable<result<void, quorum::errc>> metadata_store::start_and_catch_up(metadata_store* self,
                                                                              model::offset end) {
  auto& q = *self->_state->quorum;
  q.start();
  if (auto r = co_await q.wait_committed(end); !r) co_return r;
  // Loaded from a snapshot (which holds no leader change): the quorum names the controller.
  co_await learn_controller_from_quorum(self);
  while (self->_state->committed.controller_id < model::node_id(0)) {
    if (auto r = co_await q.wait_committed(q.node().high_watermark() + 1); !r) co_return r;
  }
  co_return result<void, quorum::errc>{};
}

void metadata_store::subscribe(std::function<void(image_ptr)> fn) {
  // Registration happens at start-up, before mutations run on shard 0.
  fn(image());
  _subscribers.push_back(std::move(fn));
}

void metadata_store::publish(image_ptr next) {
  _image.store(next);
  for (auto& fn : _subscribers) fn(next);
}

void metadata_store::close() {
  state& st = *_state;
  if (st.closed) return;
  // The quorum stops on its shard (a leader resigns first, so a successor is elected at once);
  // then nothing appends to the log any more.
  auto stopped = asio::co_spawn(_shards.shard(0), stop_quorum(this), asio::use_future);
  stopped.get();
  if (auto c = st.log->storage().close(); !c) {
    log::error("cluster", "metadata log: close failed: {}", storage_message(c.error()));
  }
}

net::awaitable<void> metadata_store::stop_quorum(metadata_store* self) {
  state& st = *self->_state;
  st.closed = true;
  st.session_timer->cancel();
  co_await st.quorum->stop();
  // The session loop may be inside a commit the stop just answered; it ends on its next turn.
  asio::steady_timer poll(co_await asio::this_coro::executor);
  while (st.session_loop_running) {
    poll.expires_after(std::chrono::milliseconds(1));
    co_await poll.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
}

quorum::quorum_service& metadata_store::quorum() {
  return *_state->quorum;
}

// ---- commit -----------------------------------------------------------------------------------

// Applies what the quorum committed, in log order, and publishes the result once per call.
// On shard 0, inside the quorum service (before any append waiting on these entries resumes).
void metadata_store::apply_committed(const std::vector<quorum::entry>& entries) {
  state& st = *_state;
  for (const auto& e : entries) {
    std::span<const std::byte> batch(reinterpret_cast<const std::byte*>(e.payload.data()),
                                     e.payload.size());
    st.committed.offset = e.next_offset()() - 1;
    note_applied(e);
    if (e.kind == quorum::entry_kind::leader_change) {
      // The quorum's leader is the active controller.
      if (auto lc = quorum::read_leader_change(batch)) st.committed.controller_id = lc->leader_id;
      continue;
    }
    st.log_has_records = true;
    auto records = read_metadata_batch(batch);
    // A committed batch that does not apply is a bug or a corrupt log: the node must not serve
    // an image that differs from its peers'.
    VLTAVA_ASSERT(records.has_value(), "a committed metadata batch decodes");
    for (const auto& r : *records) {
      auto a = apply_record(st.committed, st.committed_ids, r);
      VLTAVA_ASSERT(a.has_value(), "a committed metadata record applies");
    }
    ++st.committed.version;
  }
  if (st.working_epoch != st.quorum->node().epoch() ||
      st.quorum->node().current_role() != quorum::role::leader) {
    st.working = st.committed;
    st.ids = st.committed_ids;
  }
  publish(std::make_shared<const metadata_image>(st.committed));
  maybe_snapshot();
}

namespace {

// Why this node cannot decide a metadata change now.
op_result not_controller_answer(const quorum::quorum_service& q) {
  if (q.failed()) {
    return op_result::failure(error_code::kafka_storage_error,
                              "The metadata log failed on this node.");
  }
  return op_result::failure(error_code::not_controller, "This node is not the active controller.");
}

}  // namespace

// On shard 0, before a mutation reads the working image: this node must be the active
// controller, and the working image must hold everything the quorum had before this epoch.
net::awaitable<op_result> metadata_store::controller_ready() {
  state& st = *_state;
  auto not_controller = [&st] { return not_controller_answer(*st.quorum); };
  if (st.closed) co_return not_controller();
  const auto& node = st.quorum->node();
  if (node.current_role() != quorum::role::leader) co_return not_controller();
  if (st.working_epoch == node.epoch()) co_return op_result{};
  const auto epoch = node.epoch();
  if (auto r = co_await st.quorum->wait_committed(st.log->end_offset()); !r) {
    co_return not_controller();
  }
  if (node.current_role() != quorum::role::leader || node.epoch() != epoch) {
    co_return not_controller();
  }
  st.working = st.committed;
  st.ids = st.committed_ids;
  st.working_epoch = epoch;
  // A new active controller knows nothing of the brokers' heartbeats: every session starts now.
  st.last_contact.clear();
  st.sessions_since = std::chrono::steady_clock::now();
  if (!st.log_has_records && !st.bootstrap.empty()) co_return co_await write_bootstrap();
  co_return op_result{};
}

// The first active controller of a new cluster: the bootstrap records go first, one batch,
// before the mutation that found the log empty. Once only (the flag is set before the append,
// so a mutation arriving meanwhile does not write them again).
net::awaitable<op_result> metadata_store::write_bootstrap() {
  state& st = *_state;
  st.log_has_records = true;
  std::vector<metadata_record> records = st.bootstrap;
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  for (const auto& r : records) {
    if (auto a = apply_record(next, ids, r); !a) {
      log::error("cluster", "metadata: bootstrap record refused: {}", a.error());
      co_return op_result::failure(error_code::kafka_storage_error,
                                   "The bootstrap metadata does not apply.");
    }
  }
  log::info("cluster", "metadata: writing {} bootstrap records", records.size());
  auto c = co_await commit(records, next, ids);
  if (!c.ok()) st.log_has_records = false;  // the next controller (or epoch) tries again
  co_return c;
}

// Appends `records` as one batch through the quorum and resumes once it is committed (and
// applied: the published image then holds it). `next` and `ids` become the working state at
// once, so the mutations after this one see it. On shard 0.
net::awaitable<op_result> metadata_store::commit(std::vector<metadata_record>& records,
                                                 metadata_image& next, topic_id_index& ids) {
  state& st = *_state;
  if (records.empty()) co_return op_result{};
  quorum::batch b;
  auto bytes = build_metadata_batch(records, st.io.now_ms());
  b.payload.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  b.record_count = static_cast<uint32_t>(records.size());
  st.working = std::move(next);
  st.ids = std::move(ids);
  std::vector<quorum::batch> one;
  one.push_back(std::move(b));
  auto appended = co_await st.quorum->append(std::move(one));
  if (!appended) {
    // Not committed here (it may still commit under the next leader): start again from what
    // is known to be committed.
    st.working = st.committed;
    st.ids = st.committed_ids;
    st.working_epoch.reset();
    co_return not_controller_answer(*st.quorum);
  }
  co_return op_result{};
}

// ---- producer ids -----------------------------------------------------------------------------

net::awaitable<producer_id_result> metadata_store::allocate_producer_id() {
  auto task = net::on_shard<producer_id_result>(
      _shards, 0, [this] { return allocate_producer_id_on_shard0(); });
  co_return co_await std::move(task);
}

net::awaitable<producer_id_result> metadata_store::allocate_producer_id_on_shard0() {
  state& st = *_state;
  producer_id_result out;
  if (st.producer_ids_next >= st.producer_ids_end) {
    // A new block: decided here when this node is the active controller, else asked of the
    // controller (AllocateProducerIds), either way recorded in the metadata log first.
    auto block = co_await take_producer_id_block();
    if (!block.ok()) {
      static_cast<op_result&>(out) = block;
      co_return out;
    }
    // Another allocation may have refilled the block while this one waited for the fsync;
    // the newer block wins and the rest of the older one is simply never used.
    if (st.producer_ids_next >= st.producer_ids_end || st.producer_ids_end < block.first) {
      st.producer_ids_next = block.first;
      st.producer_ids_end = block.first + block.length;
    }
  }
  out.id = model::producer_id(st.producer_ids_next++);
  co_return out;
}

net::awaitable<producer_id_block> metadata_store::take_producer_id_block() {
  const broker_info* self = image()->find_broker(_node);
  const int64_t epoch = self ? self->epoch : -1;
  if (controller_is_elsewhere()) {
    protocol::allocate_producer_ids_request req;
    req.broker_id = _node;
    req.broker_epoch = epoch;
    auto r = co_await _channel->call<protocol::allocate_producer_ids_api>(req, 0);
    producer_id_block out;
    if (!r) {
      static_cast<op_result&>(out) = op_result::failure(error_code::coordinator_load_in_progress,
                                                        "The controller did not answer; retry.");
      co_return out;
    }
    out.error = r->body.error_code;
    out.first = r->body.producer_id_start;
    out.length = r->body.producer_id_len;
    if (out.ok() && (out.length <= 0 || out.first < 0)) {
      static_cast<op_result&>(out) =
          op_result::failure(error_code::unknown_server_error, "an empty producer id block");
    }
    co_return out;
  }
  co_return co_await allocate_producer_id_block_on_shard0(_node, epoch);
}

net::awaitable<producer_id_block> metadata_store::allocate_producer_id_block(model::node_id broker,
                                                                             int64_t broker_epoch) {
  auto task = net::on_shard<producer_id_block>(_shards, 0, [this, broker, broker_epoch] {
    return allocate_producer_id_block_on_shard0(broker, broker_epoch);
  });
  co_return co_await std::move(task);
}

net::awaitable<producer_id_block> metadata_store::allocate_producer_id_block_on_shard0(
    model::node_id broker, int64_t broker_epoch) {
  state& st = *_state;
  producer_id_block out;
  if (auto ready = co_await controller_ready(); !ready.ok()) {
    static_cast<op_result&>(out) = ready;
    co_return out;
  }
  const broker_info* b = st.working.find_broker(broker);
  if (b == nullptr || b->epoch != broker_epoch) {
    static_cast<op_result&>(out) =
        op_result::failure(error_code::stale_broker_epoch, "Broker " + std::to_string(broker()) +
                                                               " is not registered with epoch " +
                                                               std::to_string(broker_epoch) + ".");
    co_return out;
  }
  metadata_image next = st.working;
  const int64_t first = next.next_producer_id;
  if (first > std::numeric_limits<int64_t>::max() - producer_id_block_size) {
    static_cast<op_result&>(out) =
        op_result::failure(error_code::unknown_server_error, "producer ids exhausted");
    co_return out;
  }
  protocol::metadata_producer_ids_record r;
  r.broker_id = broker;
  r.broker_epoch = broker_epoch;
  r.next_producer_id = first + producer_id_block_size;
  topic_id_index ids = st.ids;
  auto a = apply_record(next, ids, r);
  VLTAVA_ASSERT(a.has_value(), "a block above the previous one applies");
  std::vector<metadata_record> records{metadata_record(r)};
  if (auto c = co_await commit(records, next, ids); !c.ok()) {
    static_cast<op_result&>(out) = c;
    co_return out;
  }
  out.first = first;
  out.length = producer_id_block_size;
  co_return out;
}

// ---- effective configs ------------------------------------------------------------------------

config::config_set effective_broker_config(const config::config_set& static_config,
                                           const metadata_image& image) {
  config::config_set out = static_config;
  const model::node_id self(static_config.get(config::broker_keys::node_id));
  for (const auto* layer :
       {&image.cluster_config_overrides, &image.broker_config_overrides(self)}) {
    for (const auto& [k, v] : *layer) {
      // Written only after validation; a value that no longer parses (a newer bound) keeps
      // the static one.
      (void)out.set(k, v, config::config_source::dynamic_broker_config);
    }
  }
  return out;
}

config::config_set effective_topic_config(const config::config_set& static_config,
                                          const metadata_image& image, const topic_info& topic) {
  config::config_set broker = effective_broker_config(static_config, image);
  auto cfg = config::topic_config(broker, as_pairs(topic.config_overrides));
  if (cfg) return std::move(cfg).value();
  // Overrides were validated when written; if one no longer parses, fall back to defaults.
  auto defaults = config::topic_config(broker, {});
  VLTAVA_ASSERT(defaults.has_value(), "broker defaults are valid topic configs");
  return std::move(defaults).value();
}

bool is_dynamic_broker_config(std::string_view name) {
  namespace bk = config::broker_keys;
  static constexpr std::array<std::string_view, 3> derived = {
      bk::log_retention_minutes.name(), bk::log_retention_hours.name(), bk::log_roll_hours.name()};
  if (std::find(derived.begin(), derived.end(), name) != derived.end()) return true;
  for (const auto& def : config::topic_config_defs()) {
    if (config::broker_synonym(def.name) == name) return true;
  }
  return false;
}

// ---- mutations --------------------------------------------------------------------------------

namespace {

struct planner {
  const metadata_image& image;
  const config::config_set& broker;  // effective

  // Brokers that may take new replicas: live and not shutting down.
  std::vector<placement_broker> placeable() const {
    std::vector<placement_broker> out;
    for (const auto& b : image.brokers) {
      if (b.live() && !b.in_controlled_shutdown) out.push_back({b.id, b.rack});
    }
    return out;
  }

  op_result check_replication(int32_t rf) const {
    auto live = static_cast<int32_t>(placeable().size());
    if (rf > live) {
      return op_result::failure(error_code::invalid_replication_factor,
                                "Unable to replicate the partition " + std::to_string(rf) +
                                    " time(s): The target replication factor of " +
                                    std::to_string(rf) + " cannot be reached because only " +
                                    std::to_string(live) + " broker(s) are registered.");
    }
    return {};
  }

  // The replicas of `count` new partitions, spread over the live brokers.
  std::vector<std::vector<model::node_id>> place(int32_t count, int32_t rf) const {
    return place_replicas(placeable(), count, rf);
  }

  op_result check_manual(const std::vector<model::node_id>& replicas,
                         std::optional<size_t> rf) const {
    if (replicas.empty()) {
      return op_result::failure(error_code::invalid_replica_assignment,
                                "The manual partition assignment includes an empty replica list.");
    }
    std::vector<model::node_id> sorted = replicas;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (!image.find_broker(sorted[i])) {
        return op_result::failure(error_code::invalid_replica_assignment,
                                  "The manual partition assignment includes broker " +
                                      std::to_string(sorted[i]()) +
                                      ", but no such broker is registered.");
      }
      if (i > 0 && sorted[i] == sorted[i - 1]) {
        return op_result::failure(error_code::invalid_replica_assignment,
                                  "The manual partition assignment includes the broker " +
                                      std::to_string(sorted[i]()) + " more than once.");
      }
    }
    if (std::none_of(replicas.begin(), replicas.end(),
                     [&](model::node_id id) { return image.is_live(id); })) {
      return op_result::failure(error_code::invalid_replica_assignment,
                                "All brokers specified in the manual partition assignment are "
                                "fenced or in controlled shutdown.");
    }
    if (rf && sorted.size() != *rf) {
      return op_result::failure(
          error_code::invalid_replica_assignment,
          "The manual partition assignment includes a partition with " +
              std::to_string(sorted.size()) +
              " replica(s), but this is not consistent with previous partitions, which have " +
              std::to_string(*rf) + " replica(s).");
    }
    return {};
  }

  protocol::metadata_partition_record partition(const protocol::uuid& topic, int32_t index,
                                                std::vector<model::node_id> replicas) const {
    protocol::metadata_partition_record p;
    p.topic_id = topic;
    p.partition_index = model::partition_id(index);
    p.replica_nodes = replicas;
    // In sync from the start: the replicas that are live (Kafka's rule); the first leads.
    for (model::node_id id : replicas) {
      if (image.is_live(id)) p.isr_nodes.push_back(id);
    }
    VLTAVA_ASSERT(!p.isr_nodes.empty(), "placement or check_manual chose a live replica");
    p.leader_id = p.isr_nodes.front();
    p.leader_epoch = model::leader_epoch(0);
    p.partition_epoch = 0;
    return p;
  }

  // The records creating `req`, or why not. Name, existence and collisions are checked by the
  // caller.
  result<std::vector<metadata_record>, op_result> create(const create_topic_request& req) const {
    std::vector<std::vector<model::node_id>> parts;
    if (!req.assignments.empty()) {
      if (req.replication_factor != -1) {
        return fail(op_result::failure(error_code::invalid_request,
                                       "A manual partition assignment was specified, but "
                                       "replication factor was not set to -1."));
      }
      if (req.num_partitions != -1) {
        return fail(op_result::failure(error_code::invalid_request,
                                       "A manual partition assignment was specified, but "
                                       "numPartitions was not set to -1."));
      }
      if (req.assignments.size() > metadata_store::records_per_op_max) return too_large();
      std::map<int32_t, std::vector<model::node_id>> by_index;
      std::optional<size_t> rf;
      for (const auto& [index, replicas] : req.assignments) {
        if (by_index.contains(index)) {
          return fail(
              op_result::failure(error_code::invalid_replica_assignment,
                                 "Found multiple manual partition assignments for partition " +
                                     std::to_string(index)));
        }
        if (auto c = check_manual(replicas, rf); !c.ok()) return fail(c);
        rf = replicas.size();
        by_index.emplace(index, replicas);
      }
      for (int32_t i = 0; i < static_cast<int32_t>(by_index.size()); ++i) {
        if (!by_index.contains(i)) {
          return fail(
              op_result::failure(error_code::invalid_replica_assignment,
                                 "partitions should be a consecutive 0-based integer sequence"));
        }
        parts.push_back(by_index.at(i));
      }
    } else if (req.replication_factor < -1 || req.replication_factor == 0) {
      return fail(op_result::failure(
          error_code::invalid_replication_factor,
          "Replication factor must be larger than 0, or -1 to use the default value."));
    } else if (req.num_partitions < -1 || req.num_partitions == 0) {
      return fail(
          op_result::failure(error_code::invalid_partitions,
                             "Number of partitions was set to an invalid non-positive value."));
    } else {
      int64_t n = req.num_partitions == -1 ? broker.get(config::broker_keys::num_partitions)
                                           : req.num_partitions;
      int64_t rf = req.replication_factor == -1
                       ? broker.get(config::broker_keys::default_replication_factor)
                       : req.replication_factor;
      if (auto c = check_replication(static_cast<int32_t>(rf)); !c.ok()) return fail(c);
      if (n > static_cast<int64_t>(metadata_store::records_per_op_max)) return too_large();
      parts = place(static_cast<int32_t>(n), static_cast<int32_t>(rf));
    }
    std::vector<std::pair<std::string, std::string>> overrides;
    std::vector<std::string> nulls;
    for (const auto& [k, v] : req.configs) {
      if (!v) {
        nulls.push_back(k);
      } else {
        overrides.emplace_back(k, *v);
      }
    }
    if (!nulls.empty()) {
      return fail(op_result::failure(error_code::invalid_config,
                                     "Null value not supported for topic configs: " + join(nulls)));
    }
    if (auto cfg = config::topic_config(broker, overrides); !cfg) {
      return fail(op_result::failure(error_code::invalid_config, cfg.error()));
    }
    std::vector<metadata_record> out;
    protocol::metadata_topic_record t;
    t.name = req.name;
    t.topic_id = random_uuid();
    out.emplace_back(t);
    for (const auto& [k, v] : overrides) {
      protocol::metadata_config_record c;
      c.resource_type = resource_type_topic;
      c.resource_name = req.name;
      c.name = k;
      c.value = v;
      out.emplace_back(std::move(c));
    }
    for (size_t i = 0; i < parts.size(); ++i) {
      out.emplace_back(partition(t.topic_id, static_cast<int32_t>(i), parts[i]));
    }
    return out;
  }

  static failure<op_result> too_large() {
    return fail(op_result::failure(error_code::policy_violation,
                                   "Unable to perform excessively large batch operation."));
  }
};

std::optional<std::string> colliding_topic(const metadata_image& image, std::string_view name) {
  if (name.find_first_of("._") == std::string_view::npos) return std::nullopt;
  for (const auto& [other, _] : image.topics) {
    if (other != name && topic_names_collide(other, name)) return other;
  }
  return std::nullopt;
}

}  // namespace

net::awaitable<std::vector<topic_result>> metadata_store::create_topics(
    std::vector<create_topic_request> reqs, validate_only v) {
  auto task = net::on_shard<std::vector<topic_result>>(
      _shards, 0, [this, &reqs, v] { return create_topics_on_shard0(std::move(reqs), v); });
  co_return co_await std::move(task);
}

net::awaitable<std::vector<topic_result>> metadata_store::create_topics_on_shard0(
    std::vector<create_topic_request> reqs, validate_only v) {
  if (controller_is_elsewhere()) co_return co_await create_topics_remotely(std::move(reqs), v);
  state& st = *_state;
  if (auto ready = co_await controller_ready(); !ready.ok()) {
    std::vector<topic_result> all(reqs.size());
    for (auto& r : all) static_cast<op_result&>(r) = ready;
    co_return all;
  }
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  config::config_set broker = effective_broker_config(_static_config, next);
  planner plan{next, broker};
  std::vector<topic_result> results(reqs.size());
  std::vector<metadata_record> all;
  std::vector<size_t> created;
  for (size_t i = 0; i < reqs.size(); ++i) {
    const auto& req = reqs[i];
    topic_result& res = results[i];
    if (auto bad = invalid_topic_name(req.name)) {
      static_cast<op_result&>(res) = op_result::failure(error_code::invalid_topic_exception, *bad);
      continue;
    }
    if (next.topics.contains(req.name)) {
      static_cast<op_result&>(res) = op_result::failure(error_code::topic_already_exists,
                                                        "Topic '" + req.name + "' already exists.");
      continue;
    }
    if (auto other = colliding_topic(next, req.name)) {
      static_cast<op_result&>(res) =
          op_result::failure(error_code::invalid_topic_exception,
                             "Topic '" + req.name + "' collides with existing topic: " + *other);
      continue;
    }
    auto recs = plan.create(req);
    if (!recs) {
      static_cast<op_result&>(res) = recs.error();
      continue;
    }
    if (all.size() + recs->size() > records_per_op_max) {
      static_cast<op_result&>(res) = planner::too_large().error;
      continue;
    }
    for (const auto& r : *recs) {
      auto a = apply_record(next, ids, r);
      VLTAVA_ASSERT(a.has_value(), "a planned record applies");
    }
    res.topic = *next.find_topic(req.name);
    all.insert(all.end(), std::make_move_iterator(recs->begin()),
               std::make_move_iterator(recs->end()));
    created.push_back(i);
  }
  if (v == validate_only::yes || all.empty()) co_return results;
  auto c = co_await commit(all, next, ids);
  if (!c.ok()) {
    for (size_t i : created) static_cast<op_result&>(results[i]) = c;
  }
  co_return results;
}

net::awaitable<topic_result> metadata_store::create_topic(create_topic_request req,
                                                          validate_only v) {
  std::vector<create_topic_request> one;
  one.push_back(std::move(req));
  // The call and its co_await are two statements on purpose: GCC 12 destroys temporaries of a
  // co_await full-expression twice (by-value arguments of a coroutine call among them).
  auto task = create_topics(std::move(one), v);
  auto r = co_await std::move(task);
  co_return std::move(r.front());
}

net::awaitable<std::vector<op_result>> metadata_store::delete_topics(
    std::vector<std::string> names) {
  auto task = net::on_shard<std::vector<op_result>>(
      _shards, 0, [this, &names] { return delete_topics_on_shard0(std::move(names)); });
  co_return co_await std::move(task);
}

net::awaitable<std::vector<op_result>> metadata_store::delete_topics_on_shard0(
    std::vector<std::string> names) {
  state& st = *_state;
  if (auto ready = co_await controller_ready(); !ready.ok()) {
    co_return std::vector<op_result>(names.size(), ready);
  }
  std::vector<op_result> results(names.size());
  if (!_static_config.get(config::broker_keys::delete_topic_enable)) {
    for (auto& r : results) {
      r = op_result::failure(error_code::topic_deletion_disabled, "Topic deletion is disabled.");
    }
    co_return results;
  }
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  std::vector<metadata_record> records;
  std::vector<size_t> deleted;
  for (size_t i = 0; i < names.size(); ++i) {
    const topic_info* t = next.find_topic(names[i]);
    if (!t) {
      results[i] = op_result::failure(error_code::unknown_topic_or_partition,
                                      "This server does not host this topic-partition.");
      continue;
    }
    protocol::metadata_remove_topic_record r;
    r.topic_id = t->id;
    auto a = apply_record(next, ids, r);
    VLTAVA_ASSERT(a.has_value(), "removing a known topic applies");
    records.emplace_back(r);
    deleted.push_back(i);
  }
  auto c = co_await commit(records, next, ids);
  if (!c.ok()) {
    for (size_t i : deleted) results[i] = c;
  }
  co_return results;
}

net::awaitable<op_result> metadata_store::delete_topic(std::string name) {
  std::vector<std::string> one{std::move(name)};
  auto task = delete_topics(std::move(one));
  auto r = co_await std::move(task);
  co_return std::move(r.front());
}

net::awaitable<op_result> metadata_store::create_partitions(
    std::string topic, int32_t total,
    std::optional<std::vector<std::vector<model::node_id>>> assignments, validate_only v) {
  auto task = net::on_shard<op_result>(_shards, 0, [this, &topic, total, &assignments, v] {
    return create_partitions_on_shard0(std::move(topic), total, std::move(assignments), v);
  });
  co_return co_await std::move(task);
}

net::awaitable<op_result> metadata_store::create_partitions_on_shard0(
    std::string topic, int32_t total,
    std::optional<std::vector<std::vector<model::node_id>>> assignments, validate_only v) {
  state& st = *_state;
  if (auto ready = co_await controller_ready(); !ready.ok()) co_return ready;
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  const topic_info* t = next.find_topic(topic);
  if (!t) {
    co_return op_result::failure(error_code::unknown_topic_or_partition,
                                 "This server does not host this topic-partition.");
  }
  int32_t have = t->partition_count;
  if (total == have) {
    co_return op_result::failure(error_code::invalid_partitions,
                                 "Topic already has " + std::to_string(have) + " partition(s).");
  }
  if (total < have) {
    co_return op_result::failure(error_code::invalid_partitions,
                                 "The topic " + topic + " currently has " + std::to_string(have) +
                                     " partition(s); " + std::to_string(total) +
                                     " would not be an increase.");
  }
  int64_t additional = static_cast<int64_t>(total) - have;
  if (additional > static_cast<int64_t>(records_per_op_max)) {
    co_return planner::too_large().error;
  }
  if (assignments && static_cast<int64_t>(assignments->size()) != additional) {
    co_return op_result::failure(
        error_code::invalid_replica_assignment,
        "Attempted to add " + std::to_string(additional) + " additional partition(s), but only " +
            std::to_string(assignments->size()) + " assignment(s) were specified.");
  }
  config::config_set broker = effective_broker_config(_static_config, next);
  planner plan{next, broker};
  size_t rf = t->replication_factor > 0 ? static_cast<size_t>(t->replication_factor) : 1;
  if (!assignments) {
    if (auto c = plan.check_replication(static_cast<int32_t>(rf)); !c.ok()) co_return c;
  }
  auto placed = assignments
                    ? std::vector<std::vector<model::node_id>>{}
                    : plan.place(static_cast<int32_t>(additional), static_cast<int32_t>(rf));
  std::vector<metadata_record> records;
  for (int64_t i = 0; i < additional; ++i) {
    std::vector<model::node_id> replicas;
    if (assignments) {
      replicas = (*assignments)[static_cast<size_t>(i)];
      if (auto c = plan.check_manual(replicas, rf); !c.ok()) co_return c;
    } else {
      replicas = std::move(placed[static_cast<size_t>(i)]);
    }
    records.emplace_back(
        plan.partition(t->id, static_cast<int32_t>(have + i), std::move(replicas)));
  }
  if (v == validate_only::yes) co_return op_result{};
  for (const auto& r : records) {
    auto a = apply_record(next, ids, r);
    VLTAVA_ASSERT(a.has_value(), "a planned partition applies");
  }
  co_return co_await commit(records, next, ids);
}

net::awaitable<op_result> metadata_store::alter_topic_configs(std::string topic,
                                                              std::vector<config_change> changes,
                                                              alter_mode mode, validate_only v) {
  auto task = net::on_shard<op_result>(_shards, 0, [this, &topic, &changes, mode, v] {
    return alter_topic_configs_on_shard0(std::move(topic), std::move(changes), mode, v);
  });
  co_return co_await std::move(task);
}

net::awaitable<op_result> metadata_store::alter_topic_configs_on_shard0(
    std::string topic, std::vector<config_change> changes, alter_mode mode, validate_only v) {
  state& st = *_state;
  if (auto ready = co_await controller_ready(); !ready.ok()) co_return ready;
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  const topic_info* t = next.find_topic(topic);
  if (!t) {
    co_return op_result::failure(error_code::unknown_topic_or_partition,
                                 "The topic '" + topic + "' does not exist.");
  }
  config::config_set broker = effective_broker_config(_static_config, next);
  auto current = effective_topic_config(_static_config, next, *t);
  auto after = apply_changes(t->config_overrides, changes, mode, current);
  if (!after) co_return after.error();
  if (auto cfg = config::topic_config(broker, as_pairs(*after)); !cfg) {
    co_return op_result::failure(error_code::invalid_config, cfg.error());
  }
  const override_map before = t->config_overrides;
  co_return co_await commit_overrides(std::move(next), std::move(ids), resource_type_topic, topic,
                                      before, *after, v);
}

net::awaitable<op_result> metadata_store::commit_overrides(metadata_image next, topic_id_index ids,
                                                           int8_t type, std::string name,
                                                           const override_map& before,
                                                           const override_map& after,
                                                           validate_only v) {
  std::vector<metadata_record> records;
  diff_records(type, name, before, after, records);
  if (v == validate_only::yes) co_return op_result{};
  for (const auto& r : records) {
    auto a = apply_record(next, ids, r);
    VLTAVA_ASSERT(a.has_value(), "a config record of a known resource applies");
  }
  co_return co_await commit(records, next, ids);
}

net::awaitable<op_result> metadata_store::alter_broker_configs(std::string resource_name,
                                                               std::vector<config_change> changes,
                                                               alter_mode mode, validate_only v) {
  auto task = net::on_shard<op_result>(_shards, 0, [this, &resource_name, &changes, mode, v] {
    return alter_broker_configs_on_shard0(std::move(resource_name), std::move(changes), mode, v);
  });
  co_return co_await std::move(task);
}

net::awaitable<op_result> metadata_store::alter_broker_configs_on_shard0(
    std::string name, std::vector<config_change> changes, alter_mode mode, validate_only v) {
  state& st = *_state;
  if (auto ready = co_await controller_ready(); !ready.ok()) co_return ready;
  model::node_id node = _node;
  if (!name.empty()) {
    int32_t id = -1;
    try {
      size_t used = 0;
      id = std::stoi(name, &used);
      if (used != name.size()) id = -1;
    } catch (const std::exception&) {
      co_return op_result::failure(error_code::invalid_request,
                                   "Node id must be an integer, but it is: " + name);
    }
    // Another broker's configs arrive here forwarded by it (this node is the controller).
    if (model::node_id(id) != _node && !st.working.find_broker(model::node_id(id))) {
      co_return op_result::failure(error_code::invalid_request,
                                   "Unexpected broker id, expected " + std::to_string(_node()) +
                                       " or a registered broker, but received " + name);
    }
    node = model::node_id(id);
  }
  metadata_image next = st.working;
  topic_id_index ids = st.ids;
  const override_map current_map =
      name.empty() ? next.cluster_config_overrides : next.broker_config_overrides(node);
  config::config_set broker = effective_broker_config(_static_config, next);
  auto after = apply_changes(current_map, changes, mode, broker);
  if (!after) co_return after.error();
  std::vector<std::string> not_dynamic;
  config::config_set check = _static_config;
  for (const auto& [k, val] : *after) {
    if (!check.find(k)) {
      co_return op_result::failure(error_code::invalid_request,
                                   config::unknown_key_message(_static_config.defs(), k));
    }
    if (!is_dynamic_broker_config(k)) {
      not_dynamic.push_back(k);
      continue;
    }
    if (auto s = check.set(k, val, config::config_source::dynamic_broker_config); !s) {
      co_return op_result::failure(error_code::invalid_request, s.error());
    }
  }
  if (!not_dynamic.empty()) {
    co_return op_result::failure(error_code::invalid_request,
                                 "Cannot update these configs dynamically: " + join(not_dynamic));
  }
  const override_map before = current_map;
  co_return co_await commit_overrides(std::move(next), std::move(ids), resource_type_broker, name,
                                      before, *after, v);
}

}  // namespace vltava::cluster
