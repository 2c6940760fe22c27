#pragma once

// Hosts the partitions of the metadata image this node is a replica of (node.id in the broker
// config; partition_leadership.h) on their owning shards: opens and creates logs, closes (and
// keeps) those it stops being a replica of, closes and deletes those of deleted topics, applies
// changed topic configs, runs each log's housekeeping and compaction (log_cleaner.h), and offers
// the image the partitions were opened from (so a handler that finds a topic in it finds the
// partition on its shard). Shard routing: a stable hash of topic id and partition index.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/log_cleaner.h"
#include "cluster/metadata_image.h"
#include "cluster/partition.h"
#include "config/config_def.h"
#include "net/asio.h"
#include "net/shard_pool.h"
#include "storage/file_io.h"
#include "storage/flusher.h"

namespace vltava::cluster {

// An ISR change a leader asks the controller for (AlterPartition), from its shard's
// housekeeping.
struct isr_change {
  std::string topic;
  protocol::uuid topic_id;
  model::partition_id partition;
  model::leader_epoch leader_epoch;
  isr_proposal proposal;
};

class partition_manager {
 public:
  // Everything passed in must outlive the manager. Partitions open when an image is applied.
  partition_manager(net::shard_pool& shards, storage::file_io& io, storage::flusher& flusher,
                    std::string data_dir, const config::config_set& broker_config);
  ~partition_manager();
  partition_manager(const partition_manager&) = delete;
  partition_manager& operator=(const partition_manager&) = delete;

  // Which shard owns a partition (stable hash of topic id and partition index).
  unsigned shard_of(const protocol::uuid& topic_id, model::partition_id p) const;

  // Applies a new metadata image on every shard: opens/creates the logs of partitions now in
  // it that this node is a replica of, closes (keeping the log) those it no longer is a replica
  // of, closes and deletes the directories of topics gone from it, applies changed topic
  // configs. Images older than one applied already are ignored.
  void apply_image(image_ptr image);           // asynchronous; any thread
  void apply_image_and_wait(image_ptr image);  // blocks (start-up); not from a shard thread
  net::awaitable<void> apply_image_async(image_ptr image);  // from a shard: completes when done

  // The newest image every shard has applied (nullptr before the first).
  image_ptr image() const;

  // On the owning shard only: the partition, or nullptr if not (yet) hosted.
  partition* find(std::string_view topic, model::partition_id p);
  std::shared_ptr<partition> find_shared(std::string_view topic, model::partition_id p);
  // On the owning shard: the partition when this node also leads it in the image this shard
  // applied, else nullptr. The data path's lookup (Produce, client Fetch, ListOffsets, ...):
  // a follower's log is hosted but answers none of them (NOT_LEADER_OR_FOLLOWER).
  std::shared_ptr<partition> find_leader(std::string_view topic, model::partition_id p);
  // On a shard: every partition that shard hosts (DescribeLogDirs).
  std::vector<std::pair<std::string, std::shared_ptr<partition>>> hosted_here();

  const std::string& data_dir() const { return _data_dir; }
  // This node (the broker config's node.id): whose replicas are hosted, who leads what.
  model::node_id node_id() const { return _node; }
  net::shard_pool& shards() { return _shards; }

  // Where leaders' ISR changes go (the AlterPartition sender, isr_changes.h); from any thread
  // but a shard's, before traffic. Without one, ISRs change only by the controller's fencing.
  void set_isr_sink(std::function<void(isr_change)> sink);
  // The controller refused a change or did not answer: the leader may propose again.
  void isr_change_failed(const protocol::uuid& topic_id, model::partition_id p);

  // Clean shutdown: closes every log (clean-shutdown marker); blocks; not from a shard thread.
  void stop();

 private:
  struct key_less {
    using is_transparent = void;
    bool operator()(const std::pair<std::string, int32_t>& a,
                    const std::pair<std::string, int32_t>& b) const {
      return a < b;
    }
    bool operator()(const std::pair<std::string_view, int32_t>& a,
                    const std::pair<std::string, int32_t>& b) const {
      return a.first < b.first || (a.first == b.first && a.second < b.second);
    }
    bool operator()(const std::pair<std::string, int32_t>& a,
                    const std::pair<std::string_view, int32_t>& b) const {
      return a.first < b.first || (a.first == b.first && a.second < b.second);
    }
  };
  struct shard_state {
    std::map<std::pair<std::string, int32_t>, std::shared_ptr<partition>, key_less> partitions;
    int64_t applied_version = -1;
    image_ptr applied;  // the image of applied_version
    bool stopped = false;
    std::unique_ptr<asio::steady_timer> housekeeping;
    asio::io_context* context = nullptr;  // this shard's
    log_cleaner* cleaner = nullptr;       // the manager's; used only while !stopped
    std::chrono::milliseconds cleaner_backoff{0};
    std::chrono::steady_clock::time_point next_cleaning{};
    std::function<void(isr_change)> isr_sink;
  };

  // What closing a partition does with its directory.
  enum class directory { keep, remove };

  void apply_on_shard(unsigned shard, const image_ptr& image);
  static net::awaitable<bool> apply_here(partition_manager* self, unsigned shard, image_ptr image);
  void close_partition(unsigned shard, const std::string& topic, int32_t p, directory dir);
  void open_partition(unsigned shard, const topic_info& t, int32_t p,
                      const partition_settings& settings);
  void publish(const image_ptr& image);
  void stop_on_shard(unsigned shard);
  // This thread's shard; asserts it is one (`what` names the caller).
  unsigned this_shard(const char* what) const;
  static net::awaitable<void> housekeeping_loop(std::shared_ptr<shard_state> st);

  net::shard_pool& _shards;
  storage::file_io& _io;
  storage::flusher& _flusher;
  std::string _data_dir;
  const config::config_set& _broker_config;
  model::node_id _node;
  log_cleaner _cleaner;
  std::vector<std::shared_ptr<shard_state>> _state;  // [shard], each touched on its shard only
  mutable std::mutex _image_mu;
  image_ptr _image;  // published once every shard applied it
  bool _stopped = false;
};

}  // namespace vltava::cluster
