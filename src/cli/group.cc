// `vltava group list|describe|reset-offsets|delete`.

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "cli/offset_spec.h"
#include "cli/table.h"

namespace vltava::cli {

namespace {

args_t words_of(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? vm[name].as<args_t>() : args_t{};
}

using topic_partition = std::pair<std::string, int32_t>;

// The group's committed offsets for `partitions` (nullptr: every partition it committed for).
std::map<topic_partition, int64_t> committed_offsets(
    client& c, const std::string& group, const rd_kafka_topic_partition_list_t* partitions) {
  std::string what = fmt::format("read the committed offsets of group '{}'", group);
  auto* req = rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), partitions);
  struct guard {
    rd_kafka_ListConsumerGroupOffsets_t* r;
    ~guard() { rd_kafka_ListConsumerGroupOffsets_destroy(r); }
  } g{req};
  auto ev = c.admin(
      [&](auto* options, auto* queue) {
        rd_kafka_ListConsumerGroupOffsets(c.get(), &req, 1, options, queue);
      },
      what);
  size_t count = 0;
  auto* groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(ev.get()), &count);
  std::map<topic_partition, int64_t> out;
  for (size_t i = 0; i < count; ++i) {
    if (const auto* err = rd_kafka_group_result_error(groups[i])) {
      throw_kafka_error(rd_kafka_error_code(err), what, rd_kafka_error_string(err));
    }
    const auto* parts = rd_kafka_group_result_partitions(groups[i]);
    for (int k = 0; parts && k < parts->cnt; ++k) {
      const auto& p = parts->elems[k];
      if (p.err && p.err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) throw_kafka_error(p.err, what);
      if (!p.err && p.offset >= 0) out[{p.topic, p.partition}] = p.offset;
    }
  }
  return out;
}

// Every committed offset of the group. Asks for all partitions at once first (OffsetFetch with
// no topics); brokers that answer that with nothing (librdkafka's mock) are asked again with
// every partition of every topic named.
std::map<topic_partition, int64_t> committed_offsets(client& c, const std::string& group,
                                                     const rd_kafka_metadata_t& md) {
  auto out = committed_offsets(c, group, nullptr);
  if (!out.empty()) return out;
  partition_list_ptr all(rd_kafka_topic_partition_list_new(16));
  for (int i = 0; i < md.topic_cnt; ++i) {
    const auto& t = md.topics[i];
    if (t.err) continue;
    for (int k = 0; k < t.partition_cnt; ++k) {
      rd_kafka_topic_partition_list_add(all.get(), t.topic, t.partitions[k].id);
    }
  }
  if (all->cnt == 0) return out;
  return committed_offsets(c, group, all.get());
}

std::string lag_text(std::optional<int64_t> committed, int64_t high) {
  return committed ? std::to_string(std::max<int64_t>(0, high - *committed)) : "-";
}

}  // namespace

int group_list(const args_t& args) {
  command_line cl(
      {"group list", "[options]", "List consumer groups with their state.", "vltava group list"});
  auto vm = cl.parse(args);
  if (!vm) return 0;
  client c(cl.common());
  c.metadata();
  auto ev = c.admin(
      [&](auto* options, auto* queue) { rd_kafka_ListConsumerGroups(c.get(), options, queue); },
      "list groups");
  const auto* result = rd_kafka_event_ListConsumerGroups_result(ev.get());
  size_t error_count = 0;
  auto* errors = rd_kafka_ListConsumerGroups_result_errors(result, &error_count);
  for (size_t i = 0; i < error_count; ++i) {
    std::fprintf(stderr, "vltava: a broker did not list its groups: %s\n",
                 rd_kafka_error_string(errors[i]));
  }
  size_t count = 0;
  auto* groups = rd_kafka_ListConsumerGroups_result_valid(result, &count);
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < count; ++i) {
    rows.push_back(
        {rd_kafka_ConsumerGroupListing_group_id(groups[i]),
         rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(groups[i])),
         rd_kafka_ConsumerGroupListing_is_simple_consumer_group(groups[i]) ? "simple"
                                                                           : "consumer"});
  }
  std::sort(rows.begin(), rows.end());
  rows.insert(rows.begin(), {"GROUP", "STATE", "TYPE"});
  print_table(rows);
  return error_count && count == 0 ? to_int(exit_code::failed) : 0;
}

int group_describe(const args_t& args) {
  command_line cl({"group describe", "GROUP... [options]",
                   "Show a group's state, members and assignments, and per partition the "
                   "committed offset, the end offset and the lag.",
                   "vltava group describe billing"});
  cl.options().add_options()("offsets-only", po::bool_switch(),
                             "skip members (for brokers without DescribeGroups)")(
      "groups", po::value<args_t>(), "group ids");
  cl.positional("groups", -1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  auto groups = words_of(*vm, "groups");
  if (groups.empty()) cl.usage_error("name at least one group");
  client c(cl.common());
  auto md = c.metadata();
  for (size_t n = 0; n < groups.size(); ++n) {
    const auto& group = groups[n];
    if (n) std::printf("\n");
    std::map<topic_partition, std::string> owner;
    if (!(*vm)["offsets-only"].as<bool>()) {
      const char* ids[] = {group.c_str()};
      auto ev = c.admin(
          [&](auto* options, auto* queue) {
            rd_kafka_DescribeConsumerGroups(c.get(), ids, 1, options, queue);
          },
          fmt::format("describe group '{}'", group));
      size_t count = 0;
      auto* descs = rd_kafka_DescribeConsumerGroups_result_groups(
          rd_kafka_event_DescribeConsumerGroups_result(ev.get()), &count);
      for (size_t i = 0; i < count; ++i) {
        const auto* d = descs[i];
        if (const auto* err = rd_kafka_ConsumerGroupDescription_error(d)) {
          throw_kafka_error(rd_kafka_error_code(err), fmt::format("describe group '{}'", group),
                            rd_kafka_error_string(err));
        }
        const auto* coord = rd_kafka_ConsumerGroupDescription_coordinator(d);
        std::printf("group %s: %s, coordinator %d, assignor %s, %zu members\n", group.c_str(),
                    rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d)),
                    coord ? rd_kafka_Node_id(coord) : -1,
                    rd_kafka_ConsumerGroupDescription_partition_assignor(d),
                    rd_kafka_ConsumerGroupDescription_member_count(d));
        std::vector<std::vector<std::string>> rows{{"MEMBER", "CLIENT", "HOST", "PARTITIONS"}};
        for (size_t m = 0; m < rd_kafka_ConsumerGroupDescription_member_count(d); ++m) {
          const auto* member = rd_kafka_ConsumerGroupDescription_member(d, m);
          std::string id = rd_kafka_MemberDescription_consumer_id(member);
          const auto* parts =
              rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(member));
          std::string assigned;
          for (int k = 0; parts && k < parts->cnt; ++k) {
            assigned += fmt::format("{}{}/{}", k ? "," : "", parts->elems[k].topic,
                                    parts->elems[k].partition);
            owner[{parts->elems[k].topic, parts->elems[k].partition}] = id;
          }
          rows.push_back({id, rd_kafka_MemberDescription_client_id(member),
                          rd_kafka_MemberDescription_host(member), assigned});
        }
        if (rows.size() > 1) {
          std::printf("\n");
          print_table(rows);
        }
      }
    }
    auto committed = committed_offsets(c, group, *md);
    for (const auto& [tp, _] : owner) committed.try_emplace(tp, -1);
    std::vector<std::vector<std::string>> rows{
        {"TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "MEMBER"}};
    int64_t total_lag = 0;
    for (const auto& [tp, offset] : committed) {
      auto [low, high] = c.watermarks(tp.first, tp.second);
      std::optional<int64_t> have;
      if (offset >= 0) have = offset;
      if (have) total_lag += std::max<int64_t>(0, high - *have);
      auto it = owner.find(tp);
      rows.push_back({tp.first, std::to_string(tp.second), have ? std::to_string(*have) : "-",
                      std::to_string(high), lag_text(have, high),
                      it == owner.end() ? "-" : it->second});
    }
    std::printf("\n");
    if (committed.empty()) {
      std::printf("group %s has no committed offsets\n", group.c_str());
    } else {
      print_table(rows);
      std::printf("\ntotal lag: %ld\n", static_cast<long>(total_lag));
    }
  }
  return 0;
}

int group_reset_offsets(const args_t& args) {
  command_line cl(
      {"group reset-offsets", "GROUP (--topic T)... TARGET [--execute] [options]",
       "Move a group's committed offsets. Prints the plan and changes nothing unless --execute "
       "is given. The group must have no active members. TARGET is one of --to-earliest, "
       "--to-latest, --to-offset N, --to-datetime 2024-10-01T12:00:00Z, --shift-by N.",
       "vltava group reset-offsets billing --topic orders --to-earliest\n"
       "vltava group reset-offsets billing --topic orders --shift-by -100 --execute"});
  cl.options().add_options()  //
      ("topic,t", po::value<args_t>(),
       "topic to reset (repeatable; default: every topic "
       "the group has committed offsets for)")("to-earliest", po::bool_switch(),
                                               "to the first offset")  //
      ("to-latest", po::bool_switch(), "to the end")                   //
      ("to-offset", po::value<int64_t>(), "to this offset (clamped to the valid range)")(
          "to-datetime", po::value<std::string>(), "to the first record at or after this time")(
          "shift-by", po::value<int64_t>(), "move by N (negative: back)")(
          "execute", po::bool_switch(), "apply the plan")("group", po::value<std::string>(),
                                                          "group id");
  cl.positional("group", 1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  if (!vm->count("group")) cl.usage_error("name the group");
  std::string group = (*vm)["group"].as<std::string>();
  int targets =
      (*vm)["to-earliest"].as<bool>() + (*vm)["to-latest"].as<bool>() +
      static_cast<int>(vm->count("to-offset") + vm->count("to-datetime") + vm->count("shift-by"));
  if (targets != 1) {
    cl.usage_error(
        "give exactly one of --to-earliest, --to-latest, --to-offset, "
        "--to-datetime, --shift-by");
  }
  reset_spec spec;
  if ((*vm)["to-latest"].as<bool>()) spec.what = reset_spec::kind::latest;
  if (vm->count("to-offset")) spec = {reset_spec::kind::offset, (*vm)["to-offset"].as<int64_t>()};
  if (vm->count("shift-by")) spec = {reset_spec::kind::shift_by, (*vm)["shift-by"].as<int64_t>()};
  if (vm->count("to-datetime")) {
    auto ms = parse_datetime_ms((*vm)["to-datetime"].as<std::string>());
    if (!ms) cl.usage_error("--to-datetime: " + ms.error());
    spec = {reset_spec::kind::datetime, ms.value()};
  }
  client c(cl.common());
  auto md = c.metadata();
  auto committed = committed_offsets(c, group, *md);
  partition_list_ptr list(rd_kafka_topic_partition_list_new(8));
  auto topics = words_of(*vm, "topic");
  if (topics.empty()) {
    for (const auto& [tp, _] : committed) {
      if (std::find(topics.begin(), topics.end(), tp.first) == topics.end()) {
        topics.push_back(tp.first);
      }
    }
    if (topics.empty()) {
      cl.usage_error(fmt::format("group {} has no committed offsets: name --topic", group));
    }
  }
  for (const auto& name : topics) {
    const auto& t = find_topic(*md, name);
    for (int i = 0; i < t.partition_cnt; ++i) {
      rd_kafka_topic_partition_list_add(list.get(), name.c_str(), t.partitions[i].id);
    }
  }
  rd_kafka_topic_partition_list_sort(list.get(), nullptr, nullptr);
  std::vector<int64_t> for_time(list->cnt, -1);
  if (spec.what == reset_spec::kind::datetime) {
    partition_list_ptr times(rd_kafka_topic_partition_list_copy(list.get()));
    for (int i = 0; i < times->cnt; ++i) times->elems[i].offset = spec.value;
    if (auto err = rd_kafka_offsets_for_times(c.get(), times.get(), cl.common().timeout_ms)) {
      throw_kafka_error(err, "find offsets for the datetime");
    }
    for (int i = 0; i < times->cnt; ++i) for_time[i] = times->elems[i].offset;
  }
  std::vector<std::vector<std::string>> rows{{"TOPIC", "PARTITION", "CURRENT", "NEW"}};
  for (int i = 0; i < list->cnt; ++i) {
    auto& p = list->elems[i];
    partition_offsets po;
    auto [low, high] = c.watermarks(p.topic, p.partition);
    po.low = low;
    po.high = high;
    po.offset_for_time = for_time[i];
    if (auto it = committed.find({p.topic, p.partition}); it != committed.end()) {
      po.committed = it->second;
    }
    p.offset = reset_target(spec, po);
    rows.push_back({p.topic, std::to_string(p.partition),
                    po.committed ? std::to_string(*po.committed) : "-", std::to_string(p.offset)});
  }
  print_table(rows);
  if (!(*vm)["execute"].as<bool>()) {
    std::printf("\ndry run: nothing changed; add --execute to apply\n");
    return 0;
  }
  std::string what = fmt::format("reset the offsets of group '{}'", group);
  auto* req = rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get());
  struct guard {
    rd_kafka_AlterConsumerGroupOffsets_t* r;
    ~guard() { rd_kafka_AlterConsumerGroupOffsets_destroy(r); }
  } g{req};
  auto ev = c.admin(
      [&](auto* options, auto* queue) {
        rd_kafka_AlterConsumerGroupOffsets(c.get(), &req, 1, options, queue);
      },
      what);
  size_t count = 0;
  auto* results = rd_kafka_AlterConsumerGroupOffsets_result_groups(
      rd_kafka_event_AlterConsumerGroupOffsets_result(ev.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    if (const auto* err = rd_kafka_group_result_error(results[i])) {
      throw_kafka_error(rd_kafka_error_code(err), what, rd_kafka_error_string(err));
    }
    const auto* parts = rd_kafka_group_result_partitions(results[i]);
    for (int k = 0; parts && k < parts->cnt; ++k) {
      if (parts->elems[k].err) {
        throw_kafka_error(
            parts->elems[k].err,
            fmt::format("{} ({}/{})", what, parts->elems[k].topic, parts->elems[k].partition));
      }
    }
  }
  std::printf("\nreset %d partitions of group %s\n", list->cnt, group.c_str());
  return 0;
}

int group_delete(const args_t& args) {
  command_line cl({"group delete", "GROUP... [options]",
                   "Delete groups and their committed offsets (they must have no members).",
                   "vltava group delete billing"});
  cl.options().add_options()("groups", po::value<args_t>(), "group ids");
  cl.positional("groups", -1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  auto groups = words_of(*vm, "groups");
  if (groups.empty()) cl.usage_error("name at least one group");
  client c(cl.common());
  c.metadata();
  std::vector<rd_kafka_DeleteGroup_t*> dels;
  for (const auto& g : groups) dels.push_back(rd_kafka_DeleteGroup_new(g.c_str()));
  struct guard {
    std::vector<rd_kafka_DeleteGroup_t*>& v;
    ~guard() { rd_kafka_DeleteGroup_destroy_array(v.data(), v.size()); }
  } g{dels};
  auto ev = c.admin(
      [&](auto* options, auto* queue) {
        rd_kafka_DeleteGroups(c.get(), dels.data(), dels.size(), options, queue);
      },
      "delete groups");
  size_t count = 0;
  auto* results =
      rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev.get()), &count);
  exit_code worst = exit_code::ok;
  for (size_t i = 0; i < count; ++i) {
    const char* name = rd_kafka_group_result_name(results[i]);
    if (const auto* err = rd_kafka_group_result_error(results[i])) {
      auto code = rd_kafka_error_code(err);
      std::string hint = hint_for(code, {});
      std::fprintf(stderr, "vltava: cannot delete group '%s': %s%s%s\n", name,
                   rd_kafka_error_string(err), hint.empty() ? "" : "\n", hint.c_str());
      if (worst == exit_code::ok || exit_code_for(code) == exit_code::failed) {
        worst = exit_code_for(code);
      }
    } else {
      std::printf("deleted group %s\n", name);
    }
  }
  return to_int(worst);
}

}  // namespace vltava::cli
