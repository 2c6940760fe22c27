// Unit tests of the CLI's pure logic: argument helpers, start/reset specs, formats, histogram,
// perf reports. Commands against a broker are tested in tests/cli.

#include <gtest/gtest.h>

#include "cli/args.h"
#include "cli/format.h"
#include "cli/histogram.h"
#include "cli/offset_spec.h"
#include "cli/perf.h"
#include "cli/quorum_report.h"

namespace vltava::cli {
namespace {

TEST(args, brokers_flag_then_env_then_default) {
  EXPECT_EQ(resolve_brokers(std::string("h:1"), "e:2"), "h:1");
  EXPECT_EQ(resolve_brokers(std::nullopt, "e:2"), "e:2");
  EXPECT_EQ(resolve_brokers(std::nullopt, ""), "127.0.0.1:9092");
  EXPECT_EQ(resolve_brokers(std::nullopt, nullptr), "127.0.0.1:9092");
}

TEST(args, split_list_drops_empty_parts) {
  EXPECT_EQ(split_list("a,,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(split_list("").empty());
}

TEST(args, parse_help_and_errors) {
  command_line cl({"topic create", "TOPIC", "summary", "vltava topic create x"});
  cl.options().add_options()("partitions,p", po::value<int>(), "n")(
      "topics", po::value<std::vector<std::string>>(), "t");
  cl.positional("topics", -1);
  auto vm = cl.parse({"a", "-p", "3", "-b", "x:1", "-X", "linger.ms=1"});
  ASSERT_TRUE(vm);
  EXPECT_EQ((*vm)["partitions"].as<int>(), 3);
  EXPECT_EQ(cl.common().brokers, "x:1");
  ASSERT_EQ(cl.common().properties.size(), 1u);
  EXPECT_EQ(cl.common().properties[0].second, "1");
  try {
    (void)cl.parse({"--nope"});
    FAIL() << "no usage error";
  } catch (const cli_error& e) {
    EXPECT_EQ(e.code(), exit_code::usage);
    EXPECT_NE(std::string(e.what()).find("vltava topic create --help"), std::string::npos);
  }
  EXPECT_THROW((void)cl.parse({"-p", "many"}), cli_error);
  EXPECT_THROW((void)cl.parse({"-X", "novalue"}), cli_error);
}

TEST(args, negative_numbers_are_values) {
  command_line cl({"consume", "", "", ""});
  cl.options().add_options()("offset,o", po::value<std::string>(), "o")("shift-by",
                                                                        po::value<int64_t>(), "s");
  auto vm = cl.parse({"-o", "-10", "--shift-by", "-5"});
  ASSERT_TRUE(vm);
  EXPECT_EQ((*vm)["offset"].as<std::string>(), "-10");
  EXPECT_EQ((*vm)["shift-by"].as<int64_t>(), -5);
}

TEST(offset_spec, parses_every_form) {
  using k = start_spec::kind;
  EXPECT_EQ(parse_start_spec("beginning").value(), (start_spec{k::beginning, 0}));
  EXPECT_EQ(parse_start_spec("latest").value(), (start_spec{k::end, 0}));
  EXPECT_EQ(parse_start_spec("stored").value(), (start_spec{k::stored, 0}));
  EXPECT_EQ(parse_start_spec("42").value(), (start_spec{k::offset, 42}));
  EXPECT_EQ(parse_start_spec("-10").value(), (start_spec{k::from_end, 10}));
  EXPECT_EQ(parse_start_spec("+3").value(), (start_spec{k::from_beginning, 3}));
  EXPECT_EQ(parse_start_spec("@1700000000000").value(), (start_spec{k::timestamp, 1700000000000}));
  EXPECT_EQ(parse_start_spec("2023-11-14T22:13:20Z").value(),
            (start_spec{k::timestamp, 1700000000000}));
  for (auto bad : {"", "x", "--1", "+-1", "@", "@-5", "1.5", "2023-13-01"}) {
    EXPECT_FALSE(parse_start_spec(bad).has_value()) << bad;
  }
}

TEST(offset_spec, datetimes) {
  EXPECT_EQ(parse_datetime_ms("1970-01-01").value(), 0);
  EXPECT_EQ(parse_datetime_ms("1970-01-01T00:00:01.250Z").value(), 1250);
  EXPECT_EQ(parse_datetime_ms("1970-01-01 01:00:00+01:00").value(), 0);
  EXPECT_EQ(parse_datetime_ms("1970-01-01T00:00-00:30").value(), 30 * 60 * 1000);
  EXPECT_FALSE(parse_datetime_ms("1970-01-01T25:00").has_value());
  EXPECT_FALSE(parse_datetime_ms("1970-01-01T00:00:00Zjunk").has_value());
}

TEST(offset_spec, reset_targets_clamp_to_the_log) {
  partition_offsets p{.committed = 50, .low = 10, .high = 100, .offset_for_time = 70};
  using k = reset_spec::kind;
  EXPECT_EQ(reset_target({k::earliest}, p), 10);
  EXPECT_EQ(reset_target({k::latest}, p), 100);
  EXPECT_EQ(reset_target({k::offset, 5}, p), 10);
  EXPECT_EQ(reset_target({k::offset, 500}, p), 100);
  EXPECT_EQ(reset_target({k::offset, 60}, p), 60);
  EXPECT_EQ(reset_target({k::datetime, 1}, p), 70);
  EXPECT_EQ(reset_target({k::shift_by, -20}, p), 30);
  EXPECT_EQ(reset_target({k::shift_by, -200}, p), 10);
  EXPECT_EQ(reset_target({k::shift_by, INT64_MAX}, p), 100);
  p.offset_for_time = -1;
  EXPECT_EQ(reset_target({k::datetime, 1}, p), 100);
  p.committed.reset();
  EXPECT_EQ(reset_target({k::shift_by, 5}, p), 15);
}

message_view sample() {
  message_view m;
  m.topic = "t";
  m.partition = 2;
  m.offset = 7;
  m.timestamp_ms = 1000;
  m.key = "k";
  m.value = "v\"1";
  m.headers = {{"a", "1"}, {"b", std::nullopt}};
  return m;
}

TEST(format, output_fields) {
  auto f = output_format::parse("%t/%p@%o %T %k=%v [%h] %K %S %%\\n");
  ASSERT_TRUE(f.has_value());
  std::string out;
  f->append(sample(), out);
  EXPECT_EQ(out, "t/2@7 1000 k=v\"1 [a=1,b=] 1 3 %\n");
  message_view nulls;
  nulls.topic = "t";
  out.clear();
  output_format::parse("%k|%v|%K|%S").value().append(nulls, out);
  EXPECT_EQ(out, "||-1|-1");
  EXPECT_FALSE(output_format::parse("%x").has_value());
  EXPECT_FALSE(output_format::parse("abc%").has_value());
}

TEST(format, json_escapes_and_invalid_utf8) {
  std::string out;
  append_json(sample(), out);
  EXPECT_EQ(out,
            "{\"topic\":\"t\",\"partition\":2,\"offset\":7,\"timestamp\":1000,\"key\":\"k\","
            "\"value\":\"v\\\"1\",\"headers\":[{\"key\":\"a\",\"value\":\"1\"},{\"key\":\"b\","
            "\"value\":null}]}");
  out.clear();
  append_json_string(std::string_view("\x01\n\xc3\xa9\xff\xe2\x82", 7), out);
  EXPECT_EQ(out, "\"\\u0001\\n\xc3\xa9\\u00ff\\u00e2\\u0082\"");
}

TEST(format, input_key_separator) {
  auto f = input_format::key_separated(":");
  auto r = f.split("k1:hello:world");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r->key, "k1");
  EXPECT_EQ(r->value, "hello:world");
  EXPECT_FALSE(f.split("nokey").has_value());
  auto empty = f.split(":v");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty->key, "");
}

TEST(format, input_format_fields) {
  auto f = input_format::parse("[%p] %k\\t%h\\t%v\\n");
  ASSERT_TRUE(f.has_value()) << f.error();
  auto r = f->split("[3] key\ta=1,b=2\tthe value");
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(*r->partition, 3);
  EXPECT_EQ(*r->key, "key");
  EXPECT_EQ(r->value, "the value");
  ASSERT_EQ(r->headers.size(), 2u);
  EXPECT_EQ(r->headers[1], (std::pair<std::string, std::string>{"b", "2"}));
  EXPECT_FALSE(f->split("3 key\tx\tv").has_value());
  EXPECT_FALSE(f->split("[x] key\ta=1\tv").has_value());
  EXPECT_FALSE(input_format::parse("%k").has_value());    // no %v
  EXPECT_FALSE(input_format::parse("%k%v").has_value());  // nothing between
  EXPECT_FALSE(input_format::parse("%v %v").has_value());
  EXPECT_FALSE(input_format::parse("%v %q").has_value());
}

TEST(format, key_value) {
  EXPECT_EQ(parse_key_value("a=b=c").value().second, "b=c");
  EXPECT_EQ(parse_key_value("a=").value().second, "");
  EXPECT_FALSE(parse_key_value("=b").has_value());
  EXPECT_FALSE(parse_key_value("ab").has_value());
  EXPECT_EQ(unescape("a\\tb\\\\n\\q"), "a\tb\\n\\q");
}

TEST(histogram, buckets_are_monotonic_and_tight) {
  size_t last = 0;
  for (uint64_t v = 0; v < 1'000'000; v += 1 + v / 50) {
    size_t b = latency_histogram::bucket_of(v);
    EXPECT_GE(b, last);
    last = b;
    uint64_t mid = latency_histogram::bucket_value(b);
    EXPECT_LE(mid > v ? mid - v : v - mid, v / 100 + 1) << v;
  }
  EXPECT_LT(latency_histogram::bucket_of(UINT64_MAX), 64 * latency_histogram::sub_buckets);
}

TEST(histogram, percentiles) {
  latency_histogram h;
  EXPECT_EQ(h.percentile(50), 0u);
  for (uint64_t v = 1; v <= 10'000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 10'000u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 10'000u);
  EXPECT_DOUBLE_EQ(h.mean(), 5000.5);
  auto near = [](uint64_t got, double want) { return std::abs(got - want) <= want * 0.01 + 1; };
  EXPECT_TRUE(near(h.percentile(50), 5000)) << h.percentile(50);
  EXPECT_TRUE(near(h.percentile(99), 9900)) << h.percentile(99);
  EXPECT_TRUE(near(h.percentile(99.9), 9990)) << h.percentile(99.9);
  EXPECT_EQ(h.percentile(100), 10'000u);
  EXPECT_EQ(h.percentile(0), 1u);
  latency_histogram other;
  other.record(1'000'000);
  h.merge(other);
  EXPECT_EQ(h.max(), 1'000'000u);
  EXPECT_EQ(h.percentile(100), 1'000'000u);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
}

TEST(perf_report, summary_and_progress) {
  latency_histogram h;
  for (int i = 0; i < 100; ++i) h.record(1000);  // 1 ms
  perf_totals t{"produce", 1'000'000, 100'000'000, 0, 2.0, &h, "latency"};
  EXPECT_EQ(summary_text(t),
            "1,000,000 records produced in 2.00 s: 500000 records/s, 50.00 MB/s\n"
            "latency ms: avg 1.00  p50 1.00  p95 1.00  p99 1.00  p99.9 1.00  max 1.00\n");
  auto json = summary_json(t);
  EXPECT_NE(json.find("\"records_per_sec\":500000.0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"latency_ms\":{\"avg\":1.000,\"p50\":1.000"), std::string::npos);
  EXPECT_NE(json.find("\"p99_9\":1.000,\"max\":1.000}}"), std::string::npos);
  auto line = progress_line(3.0, 95'120, 9'512'000, 1.0, h);
  EXPECT_NE(line.find("95,120 rec/s"), std::string::npos) << line;
  EXPECT_NE(line.find("9.51 MB/s"), std::string::npos) << line;
  EXPECT_NE(line.find("p99 1.00 ms"), std::string::npos) << line;
}

// Three voters, leader 1 at offset 100: 2 trails by 10, 3 is caught up; one observer at 40.
quorum_status three_voters() {
  quorum_status q;
  q.leader_id = 1;
  q.leader_epoch = 7;
  q.high_watermark = 95;
  q.voters = {{3, 100, 9'000, 9'000}, {1, 100, -1, 9'500}, {2, 90, 8'000, 6'000}};
  q.observers = {{4, 40, 7'000, -1}};
  return q;
}

TEST(quorum_report, rows_put_the_leader_first_and_measure_lag_from_its_log_end) {
  auto rows = replication_rows(three_voters(), 10'000);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].id, 1);
  EXPECT_EQ(rows[0].role, replica_role::leader);
  EXPECT_EQ(rows[0].lag, 0);
  EXPECT_FALSE(rows[0].last_fetch_ago_ms);  // the leader does not fetch from itself
  EXPECT_EQ(rows[0].last_caught_up_ago_ms, 500);
  EXPECT_EQ(rows[1].id, 2);
  EXPECT_EQ(rows[1].lag, 10);
  EXPECT_EQ(rows[1].last_fetch_ago_ms, 2'000);
  EXPECT_EQ(rows[1].last_caught_up_ago_ms, 4'000);
  EXPECT_EQ(rows[2].id, 3);
  EXPECT_EQ(rows[2].lag, 0);
  EXPECT_EQ(rows[3].role, replica_role::observer);
  EXPECT_EQ(rows[3].lag, 60);
  EXPECT_FALSE(rows[3].last_caught_up_ago_ms);
  EXPECT_EQ(role_name(rows[3].role), "Observer");
}

TEST(quorum_report, a_timestamp_from_a_clock_ahead_of_ours_is_zero_ms_ago) {
  auto rows = replication_rows(three_voters(), 5'000);
  EXPECT_EQ(rows[1].last_fetch_ago_ms, 0);
}

TEST(quorum_report, summary_names_the_largest_lag_and_its_catch_up_delay) {
  auto s = summarize(three_voters());
  EXPECT_EQ(s.max_follower_lag, 10);
  EXPECT_EQ(s.max_follower_lag_time_ms, 3'500);
}

TEST(quorum_report, without_catch_up_times_the_lag_time_is_unknown) {
  auto q = three_voters();
  for (auto& v : q.voters) v.last_caught_up_ms = -1;  // what DescribeQuorum v0 carries
  EXPECT_FALSE(summarize(q).max_follower_lag_time_ms);
  EXPECT_EQ(replication_rows(q, 10'000)[1].lag, 10);
}

TEST(quorum_report, a_leader_missing_from_the_voters_measures_lag_from_the_high_watermark) {
  auto q = three_voters();
  std::erase_if(q.voters, [](const replica_status& r) { return r.id == 1; });
  auto rows = replication_rows(q, 10'000);
  EXPECT_EQ(rows[0].id, 2);
  EXPECT_EQ(rows[0].lag, 5);
  EXPECT_EQ(summarize(q).max_follower_lag, 5);
}

TEST(quorum_report, a_quorum_of_one_has_no_lag) {
  quorum_status q;
  q.leader_id = 1;
  q.voters = {{1, 12, -1, -1}};
  auto s = summarize(q);
  EXPECT_EQ(s.max_follower_lag, 0);
  EXPECT_EQ(s.max_follower_lag_time_ms, 0);
}

}  // namespace
}  // namespace vltava::cli
