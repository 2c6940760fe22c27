// `vltava cluster info` (DescribeCluster) and `vltava cluster quorum` (DescribeQuorum), sent
// with wire_client: librdkafka 2.0 has neither request.

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/quorum_report.h"
#include "cli/table.h"
#include "cli/wire_requests.h"

namespace vltava::cli {

namespace {

int64_t unix_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

replica_status status_of(const protocol::describe_quorum::replica_state& r) {
  return {r.replica_id.value(), r.log_end_offset, r.last_fetch_timestamp,
          r.last_caught_up_timestamp};
}

quorum_status status_of(
    const protocol::describe_quorum_response::topic_result::partition_result& p) {
  quorum_status q;
  q.leader_id = p.leader_id.value();
  q.leader_epoch = p.leader_epoch.value();
  q.high_watermark = p.high_watermark.value();
  for (const auto& v : p.current_voters) q.voters.push_back(status_of(v));
  for (const auto& o : p.observers) q.observers.push_back(status_of(o));
  return q;
}

std::string ids_of(const std::vector<replica_status>& replicas) {
  std::vector<int32_t> ids;
  for (const auto& r : replicas) ids.push_back(r.id);
  std::sort(ids.begin(), ids.end());
  return fmt::format("[{}]", fmt::join(ids, ","));
}

std::string ago_text(const std::optional<int64_t>& ms) {
  return ms ? fmt::format("{} ms ago", *ms) : "-";
}

std::string json_or_null(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : "null";
}

// Each voter's endpoint from DescribeQuorum v2's node list: "host:port" of its first listener.
std::string endpoint_of(const protocol::describe_quorum_response& r, int32_t id) {
  for (const auto& n : r.nodes) {
    if (n.node_id.value() == id && !n.listeners.empty()) {
      return fmt::format("{}:{}", n.listeners[0].host, n.listeners[0].port);
    }
  }
  return "-";
}

void print_quorum_json(const quorum_status& q, const std::vector<replica_row>& rows,
                       const protocol::describe_quorum_response& r) {
  auto s = summarize(q);
  std::string out = fmt::format(
      "{{\"leader_id\":{},\"leader_epoch\":{},\"high_watermark\":{},\"max_follower_lag\":{},"
      "\"max_follower_lag_time_ms\":{},\"replicas\":[",
      q.leader_id, q.leader_epoch, q.high_watermark, s.max_follower_lag,
      json_or_null(s.max_follower_lag_time_ms));
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    if (i) out += ',';
    out += fmt::format("{{\"id\":{},\"status\":\"{}\",\"endpoint\":", row.id, role_name(row.role));
    std::string endpoint = endpoint_of(r, row.id);
    if (endpoint == "-") {
      out += "null";
    } else {
      append_json_string(endpoint, out);
    }
    out += fmt::format(
        ",\"log_end_offset\":{},\"lag\":{},\"last_fetch_ms_ago\":{},\"last_caught_up_ms_ago\":{}}}",
        row.log_end_offset, row.lag, json_or_null(row.last_fetch_ago_ms),
        json_or_null(row.last_caught_up_ago_ms));
  }
  std::printf("%s]}\n", out.c_str());
}

void print_quorum_status(const quorum_status& q) {
  auto s = summarize(q);
  std::printf(
      "LeaderId:              %d\nLeaderEpoch:           %d\nHighWatermark:         %lld\n"
      "MaxFollowerLag:        %lld\nMaxFollowerLagTimeMs:  %s\nCurrentVoters:         %s\n"
      "CurrentObservers:      %s\n",
      q.leader_id, q.leader_epoch, static_cast<long long>(q.high_watermark),
      static_cast<long long>(s.max_follower_lag),
      s.max_follower_lag_time_ms ? std::to_string(*s.max_follower_lag_time_ms).c_str() : "-",
      ids_of(q.voters).c_str(), ids_of(q.observers).c_str());
}

void print_quorum_replication(const std::vector<replica_row>& rows,
                              const protocol::describe_quorum_response& r) {
  // DescribeQuorum v2 names each node's endpoints; older versions (and a leader that leaves
  // the list empty) do not, and the column is left out.
  const bool endpoints = !r.nodes.empty();
  std::vector<std::vector<std::string>> table{{"NODE", "STATUS"}};
  if (endpoints) table[0].push_back("ENDPOINT");
  for (const char* h : {"LOG-END-OFFSET", "LAG", "LAST-FETCH", "LAST-CAUGHT-UP"}) {
    table[0].push_back(h);
  }
  for (const auto& row : rows) {
    std::vector<std::string> line{std::to_string(row.id), std::string(role_name(row.role))};
    if (endpoints) line.push_back(endpoint_of(r, row.id));
    line.push_back(std::to_string(row.log_end_offset));
    line.push_back(std::to_string(row.lag));
    line.push_back(ago_text(row.last_fetch_ago_ms));
    line.push_back(ago_text(row.last_caught_up_ago_ms));
    table.push_back(std::move(line));
  }
  print_table(table);
}

// DescribeCluster's answer; the librdkafka fallback (Metadata) when the broker lacks it or the
// connection must be secured.
struct cluster_view {
  std::string cluster_id;
  int32_t controller = -1;
  int topics = -1;  // -1: not known
  bool fenced_known = false;
  struct broker {
    int32_t id;
    std::string host;
    int32_t port;
    std::optional<std::string> rack;
    bool fenced = false;
  };
  std::vector<broker> brokers;
};

std::optional<cluster_view> cluster_from_wire(const common_options& common) {
  if (wants_security(common)) return std::nullopt;
  wire_client c = wire_client::open_any(common);
  auto d = wire_describe_cluster(c);
  if (!d) return std::nullopt;
  cluster_view v;
  v.cluster_id = d->body.cluster_id;
  v.controller = d->body.controller_id;
  v.fenced_known = d->version >= 2;
  for (const auto& b : d->body.brokers) {
    v.brokers.push_back({b.broker_id.value(), b.host, b.port, b.rack, b.is_fenced});
  }
  if (auto md = wire_metadata(c, std::nullopt)) v.topics = static_cast<int>(md->body.topics.size());
  return v;
}

cluster_view cluster_from_librdkafka(const common_options& common) {
  client c(common);
  auto md = c.metadata();
  cluster_view v;
  char* id = rd_kafka_clusterid(c.get(), common.timeout_ms);
  v.cluster_id = id ? id : "";
  if (id) rd_kafka_mem_free(c.get(), id);
  v.controller = rd_kafka_controllerid(c.get(), common.timeout_ms);
  v.topics = md->topic_cnt;
  for (int i = 0; i < md->broker_cnt; ++i) {
    v.brokers.push_back({md->brokers[i].id, md->brokers[i].host, md->brokers[i].port, {}, false});
  }
  return v;
}

void print_cluster_json(const cluster_view& v) {
  std::string out = "{\"cluster_id\":";
  append_json_string(v.cluster_id, out);
  out += fmt::format(",\"controller\":{},\"topics\":{},\"brokers\":[", v.controller,
                     v.topics >= 0 ? std::to_string(v.topics) : "null");
  for (size_t i = 0; i < v.brokers.size(); ++i) {
    const auto& b = v.brokers[i];
    if (i) out += ',';
    out += fmt::format("{{\"id\":{},\"host\":", b.id);
    append_json_string(b.host, out);
    out += fmt::format(",\"port\":{},\"rack\":", b.port);
    if (b.rack) {
      append_json_string(*b.rack, out);
    } else {
      out += "null";
    }
    out += v.fenced_known ? (b.fenced ? ",\"fenced\":true}" : ",\"fenced\":false}") : "}";
  }
  std::printf("%s]}\n", out.c_str());
}

void print_cluster(const cluster_view& v) {
  std::printf("cluster id:  %s\ncontroller:  %d\n",
              v.cluster_id.empty() ? "(none)" : v.cluster_id.c_str(), v.controller);
  if (v.topics >= 0) std::printf("topics:      %d\n", v.topics);
  std::printf("\n");
  std::vector<std::vector<std::string>> rows{{"BROKER", "ADDRESS", "RACK"}};
  if (v.fenced_known) rows[0].push_back("FENCED");
  rows[0].push_back("");
  auto sorted = v.brokers;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const auto& b : sorted) {
    std::vector<std::string> row{std::to_string(b.id), fmt::format("{}:{}", b.host, b.port),
                                 b.rack.value_or("-")};
    if (v.fenced_known) row.push_back(b.fenced ? "yes" : "no");
    row.push_back(b.id == v.controller ? "controller" : "");
    rows.push_back(std::move(row));
  }
  print_table(rows);
}

}  // namespace

int cluster_info(const args_t& args) {
  command_line cl({"cluster info", "[options]",
                   "Show the cluster id, the active controller and the brokers (rack, fenced) "
                   "from DescribeCluster.",
                   "vltava cluster info -b 127.0.0.1:9092"});
  cl.options().add_options()("json", po::bool_switch(), "print JSON");
  auto vm = cl.parse(args);
  if (!vm) return 0;
  auto wire = cluster_from_wire(cl.common());
  cluster_view v = wire ? std::move(*wire) : cluster_from_librdkafka(cl.common());
  if ((*vm)["json"].as<bool>()) {
    print_cluster_json(v);
  } else {
    print_cluster(v);
  }
  return 0;
}

int cluster_quorum(const args_t& args) {
  command_line cl({"cluster quorum", "[options]",
                   "Show the KRaft controller quorum (DescribeQuorum on __cluster_metadata-0): "
                   "leader, epoch, high watermark, and each voter's and observer's log end "
                   "offset, lag and last fetch, as kafka-metadata-quorum.sh describe does.",
                   "vltava cluster quorum -b 127.0.0.2:9092 --replication"});
  cl.options().add_options()                                                         //
      ("status", po::bool_switch(), "only the summary (describe --status)")          //
      ("replication", po::bool_switch(), "only the table (describe --replication)")  //
      ("json", po::bool_switch(), "print JSON (everything)");
  auto vm = cl.parse(args);
  if (!vm) return 0;
  bool only_status = (*vm)["status"].as<bool>();
  bool only_replication = (*vm)["replication"].as<bool>();
  if (only_status && only_replication)
    cl.usage_error("--status and --replication exclude each other");
  auto answer = wire_describe_quorum(cl.common());
  const auto& partition = answer.body.topics[0].partitions[0];
  quorum_status q = status_of(partition);
  auto rows = replication_rows(q, unix_now_ms());
  if ((*vm)["json"].as<bool>()) {
    print_quorum_json(q, rows, answer.body);
    return 0;
  }
  if (!only_replication) print_quorum_status(q);
  if (!only_status && !only_replication) std::printf("\n");
  if (!only_status) print_quorum_replication(rows, answer.body);
  return 0;
}

}  // namespace vltava::cli
