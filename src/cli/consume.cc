// `vltava consume TOPIC...`: print records, with or without a consumer group.

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <set>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/offset_spec.h"

namespace vltava::cli {

namespace {

using topic_partition = std::pair<std::string, int32_t>;

struct consume_state {
  client* c = nullptr;
  start_spec start;
  bool have_group = false;
  std::set<topic_partition> assigned;
  std::set<topic_partition> at_end;
  std::string error;  // set inside the rebalance callback, reported by the poll loop
};

// Sets each partition's start offset in `list` from the spec (stored: left as is).
void apply_start(consume_state& s, rd_kafka_topic_partition_list_t* list) {
  using k = start_spec::kind;
  switch (s.start.what) {
    case k::stored:
      return;
    case k::beginning:
    case k::end:
    case k::offset:
    case k::from_end:
      for (int i = 0; i < list->cnt; ++i) {
        auto& p = list->elems[i];
        p.offset = s.start.what == k::beginning ? RD_KAFKA_OFFSET_BEGINNING
                   : s.start.what == k::end     ? RD_KAFKA_OFFSET_END
                   : s.start.what == k::offset  ? s.start.value
                                                : RD_KAFKA_OFFSET_TAIL(s.start.value);
      }
      return;
    case k::from_beginning:
      for (int i = 0; i < list->cnt; ++i) {
        auto& p = list->elems[i];
        p.offset = s.c->watermarks(p.topic, p.partition).first + s.start.value;
      }
      return;
    case k::timestamp: {
      for (int i = 0; i < list->cnt; ++i) list->elems[i].offset = s.start.value;
      auto err = rd_kafka_offsets_for_times(s.c->get(), list, s.c->common().timeout_ms);
      if (err) throw_kafka_error(err, "find offsets for the timestamp");
      for (int i = 0; i < list->cnt; ++i) {
        auto& p = list->elems[i];
        if (p.err)
          throw_kafka_error(p.err, fmt::format("find offsets in {}/{}", p.topic, p.partition));
        if (p.offset < 0) p.offset = RD_KAFKA_OFFSET_END;  // nothing at or after it
      }
      return;
    }
  }
}

void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list,
                  void* opaque) {
  auto* s = static_cast<consume_state*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    try {
      apply_start(*s, list);
    } catch (const cli_error& e) {
      s->error = e.what();
    }
    for (int i = 0; i < list->cnt; ++i) {
      s->assigned.insert({list->elems[i].topic, list->elems[i].partition});
    }
    rd_kafka_assign(rk, list);
  } else {
    s->assigned.clear();
    s->at_end.clear();
    rd_kafka_assign(rk, nullptr);
  }
}

message_view view_of(const rd_kafka_message_t* m, std::vector<header_view>& scratch) {
  message_view v;
  v.topic = rd_kafka_topic_name(m->rkt);
  v.partition = m->partition;
  v.offset = m->offset;
  rd_kafka_timestamp_type_t tstype;
  v.timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
  if (m->key) v.key = std::string_view(static_cast<const char*>(m->key), m->key_len);
  if (m->payload) v.value = std::string_view(static_cast<const char*>(m->payload), m->len);
  scratch.clear();
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); ++i) {
      std::optional<std::string_view> hv;
      if (value) hv = std::string_view(static_cast<const char*>(value), size);
      scratch.push_back({name, hv});
    }
  }
  v.headers = scratch;
  return v;
}

}  // namespace

int consume(const args_t& args) {
  command_line cl(
      {"consume", "TOPIC... [options]",
       "Print records. Without --follow, stops at the end of every partition.\n"
       "-o: beginning, end, stored (the group's committed offset), N (an offset), -N (N before "
       "the end), +N (N after the start), @MS (a timestamp) or a datetime "
       "2024-10-01T12:00:00Z.",
       "vltava consume orders -o beginning -f '%p/%o %k=%v\\n'\n"
       "vltava consume orders -g billing --follow --json"});
  cl.options().add_options()  //
      ("group,g", po::value<std::string>(), "consume as a member of this group (commits offsets)")(
          "offset,o", po::value<std::string>(),
          "where to start (default: beginning; with --group: stored, else the beginning)")(
          "partition,p", po::value<std::vector<int>>(), "only these partitions (repeatable)")(
          "count,n", po::value<uint64_t>(), "stop after this many records")(
          "follow", po::bool_switch(), "keep waiting for new records (Ctrl-C stops)")(
          "format,f", po::value<std::string>(),
          "output format: %t topic %p partition %o offset %T timestamp %k key %v value %h "
          "headers %K/%S key/value length (default '%v\\n')")("json", po::bool_switch(),
                                                              "one JSON object per record")(
          "read-committed", po::bool_switch(),
          "skip records of open and aborted transactions (isolation.level=read_committed)")(
          "topics", po::value<args_t>(), "topics");
  cl.positional("topics", -1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  auto topics = vm->count("topics") ? (*vm)["topics"].as<args_t>() : args_t{};
  if (topics.empty()) cl.usage_error("name at least one topic");
  if (vm->count("format") && (*vm)["json"].as<bool>()) cl.usage_error("--format or --json");
  auto format = output_format::parse(vm->count("format") ? (*vm)["format"].as<std::string>()
                                                         : std::string("%v\\n"));
  if (!format) cl.usage_error("--format: " + format.error());
  bool json = (*vm)["json"].as<bool>();
  bool follow = (*vm)["follow"].as<bool>();
  std::optional<uint64_t> limit;
  if (vm->count("count")) limit = (*vm)["count"].as<uint64_t>();
  consume_state state;
  state.have_group = vm->count("group") > 0;
  state.start.what = state.have_group ? start_spec::kind::stored : start_spec::kind::beginning;
  if (vm->count("offset")) {
    auto spec = parse_start_spec((*vm)["offset"].as<std::string>());
    if (!spec) cl.usage_error("--offset: " + spec.error());
    state.start = spec.value();
  }
  if (state.start.what == start_spec::kind::stored && !state.have_group) {
    cl.usage_error("-o stored needs --group");
  }
  std::vector<int> only_partitions =
      vm->count("partition") ? (*vm)["partition"].as<std::vector<int>>() : std::vector<int>{};
  if (state.have_group && !only_partitions.empty()) {
    cl.usage_error("--partition and --group do not mix: the group assigns partitions");
  }

  config_builder conf(cl.common());
  conf.set("enable.partition.eof", "true");
  conf.set("isolation.level",
           (*vm)["read-committed"].as<bool>() ? "read_committed" : "read_uncommitted");
  if (state.have_group) {
    conf.set("group.id", (*vm)["group"].as<std::string>());
    conf.set("auto.offset.reset", "earliest");
    rd_kafka_conf_set_rebalance_cb(conf.conf(), rebalance_cb);
    rd_kafka_conf_set_opaque(conf.conf(), &state);
  } else {
    // librdkafka's assign() needs a group id even though no group is joined; nothing is
    // committed under it.
    conf.set("group.id", "vltava-cli-consume");
    conf.set("enable.auto.commit", "false");
    conf.set("enable.auto.offset.store", "false");
  }
  client c(cl.common(), conf.create(RD_KAFKA_CONSUMER));
  state.c = &c;
  auto md = c.metadata();
  partition_list_ptr list(rd_kafka_topic_partition_list_new(8));
  for (const auto& name : topics) {
    const auto& t = find_topic(*md, name);
    if (state.have_group) {
      rd_kafka_topic_partition_list_add(list.get(), name.c_str(), RD_KAFKA_PARTITION_UA);
      continue;
    }
    for (int i = 0; i < t.partition_cnt; ++i) {
      int32_t id = t.partitions[i].id;
      if (!only_partitions.empty() &&
          std::find(only_partitions.begin(), only_partitions.end(), id) == only_partitions.end()) {
        continue;
      }
      rd_kafka_topic_partition_list_add(list.get(), name.c_str(), id);
      state.assigned.insert({name, id});
    }
  }
  for (int p : only_partitions) {
    bool found = false;
    for (int i = 0; i < list->cnt; ++i) found = found || list->elems[i].partition == p;
    if (!found)
      throw cli_error(exit_code::not_found,
                      fmt::format("no partition {} in {}", p, fmt::join(topics, ", ")));
  }
  rd_kafka_poll_set_consumer(c.get());
  if (state.have_group) {
    if (auto err = rd_kafka_subscribe(c.get(), list.get())) throw_kafka_error(err, "subscribe");
  } else {
    apply_start(state, list.get());
    if (auto err = rd_kafka_assign(c.get(), list.get())) throw_kafka_error(err, "assign");
  }
  install_interrupt_handler();

  uint64_t seen = 0;
  std::string out;
  std::vector<header_view> scratch;
  int result = 0;
  while (!interrupted.load() && (!limit || seen < *limit)) {
    message_ptr m(rd_kafka_consumer_poll(c.get(), 100));
    if (!state.error.empty()) throw cli_error(exit_code::failed, state.error);
    if (!m) {
      if (!follow && !state.assigned.empty() && state.at_end.size() >= state.assigned.size()) {
        break;
      }
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      state.at_end.insert({rd_kafka_topic_name(m->rkt), m->partition});
      if (!follow && state.at_end.size() >= state.assigned.size()) break;
      continue;
    }
    if (m->err) {
      auto code = exit_code_for(m->err);
      if (code == exit_code::not_found) {
        throw_kafka_error(m->err, "consume", rd_kafka_message_errstr(m.get()));
      }
      std::fprintf(stderr, "vltava: %s\n", rd_kafka_message_errstr(m.get()));
      continue;
    }
    state.at_end.erase({rd_kafka_topic_name(m->rkt), m->partition});
    auto view = view_of(m.get(), scratch);
    out.clear();
    if (json) {
      append_json(view, out);
      out += '\n';
    } else {
      format->append(view, out);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (follow) std::fflush(stdout);
    ++seen;
  }
  std::fflush(stdout);
  if (state.have_group) rd_kafka_consumer_close(c.get());
  std::fprintf(stderr, "vltava: %lu records consumed\n", static_cast<unsigned long>(seen));
  if (interrupted.load() && !follow) result = to_int(exit_code::interrupted);
  return result;
}

}  // namespace vltava::cli
