// kill -9 crash test for the partition log (issue 2).
//
// The parent starts this same program as a child ("child <dir> <mode> <seed>") that appends
// batches forever and writes every durable end offset the flusher reports into a pipe. The
// parent kills it with SIGKILL at a random moment, reopens the log, and checks that:
//   - the log opens (recovery succeeds),
//   - every offset reported durable is below the log end,
//   - every batch from the log start to the end reads back byte-exact (the child's batches
//     are a pure function of their base offset), offsets contiguous, nothing partial.
// Modes: plain (kill at random), torn (the child's fault_io tears a write at a random byte
// and the child kills itself right there), retention (segments are deleted all the time),
// compact (the log is compacted every few appends; checks that every record read back is the
// one written at its offset, batches keep their last offsets, and every key's newest record
// survives).
//
// Usage: crash_test [kills] (default 240: half plain, a sixth each torn, retention, compact)

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "model/record.h"
#include "model/record_batch_builder.h"
#include "storage/fault_io.h"
#include "storage/flusher.h"
#include "storage/log.h"
#include "storage/test_util.h"

using namespace vltava;
using namespace vltava::storage;

namespace {

const model::topic_partition crash_id{"crash", model::partition_id(0)};
std::vector<int64_t> g_seen_offsets;  // compact mode: offsets of the records read back
int64_t g_compacted_batches = 0;      // compact mode: batches seen with records removed

log_config config_for(const std::string& mode) {
  log_config cfg;
  cfg.segment_bytes = 48 * 1024;  // many rolls
  cfg.index_interval_bytes = 1024;
  if (mode == "retention") {
    cfg.retention_bytes = 96 * 1024;
    cfg.file_delete_delay_ms = 0;
  }
  if (mode == "compact") {
    cfg.segment_bytes = 8 * 1024;
    cfg.cleanup = {.del = false, .compact = true};
    cfg.delete_retention_ms = 0;
  }
  return cfg;
}

// Compact mode: record i of the batch at `base` has offset o = base + i, key "k<o % 37>" and
// value "v<o>", or no value (a tombstone) when o % 11 == 0.
int32_t compact_records(int64_t base) {
  return static_cast<int32_t>(1 + base % 5);
}
std::string compact_key(int64_t o) {
  return "k" + std::to_string(o % 37);
}
std::optional<std::string> compact_value(int64_t o) {
  if (o % 11 == 0) return std::nullopt;
  return "v" + std::to_string(o) + std::string(static_cast<size_t>(o % 300), 'x');
}

std::vector<std::byte> compact_batch(int64_t base) {
  model::batch_options opts;
  opts.base_offset = model::offset(base);
  opts.partition_leader_epoch = model::leader_epoch(1);
  model::record_batch_builder b(opts);
  for (int32_t i = 0; i < compact_records(base); ++i) {
    std::string k = compact_key(base + i);
    auto v = compact_value(base + i);
    auto kb = std::as_bytes(std::span(k));
    std::optional<model::bytes_view> vb;
    if (v) vb = std::as_bytes(std::span(*v));
    b.add(model::timestamp_ms(1'600'000'000'000 + base), kb, vb);
  }
  auto built = b.build();
  if (!built) std::abort();
  return std::move(*built);
}

// The batch the child writes at `base`, exactly as it must read back.
std::vector<std::byte> expected_batch(int64_t base) {
  int32_t records = static_cast<int32_t>(1 + base % 5);
  size_t payload = 50 + static_cast<size_t>((base * 7919) % 2000);
  auto b = testing::make_batch(records, payload, 1'600'000'000'000 + base,
                               static_cast<uint8_t>(base), base);
  model::set_partition_leader_epoch(b, model::leader_epoch(1));
  return b;
}

[[noreturn]] void die(const std::string& why, int code) {
  std::fprintf(stderr, "crash_test child: %s\n", why.c_str());
  std::_Exit(code);
}

int run_child(const std::string& dir, const std::string& mode, uint64_t seed, int pipe_fd) {
  posix_io real;
  fault_io io(real);
  flusher fl(io);
  auto opened = log::open(io, fl, dir, crash_id, config_for(mode));
  if (!opened) die("open: " + opened.error().message, 3);
  auto& l = **opened;
  if (mode == "torn") {
    std::mt19937_64 rng(seed);
    io.fail_writes_after(rng() % (256 * 1024), EIO, [] { ::raise(SIGKILL); });
  }
  uint64_t appended = 0;
  for (;;) {
    int64_t next = l.log_end_offset()();
    auto b = mode == "compact" ? compact_batch(next) : expected_batch(next);
    model::set_base_offset(b, model::offset(0));  // the log assigns it
    model::set_partition_leader_epoch(b, model::leader_epoch(-1));
    auto r = l.append(b, {.leader_epoch = model::leader_epoch(1)});
    if (!r) die("append: " + r.error().message, 4);
    auto report = [pipe_fd](sresult<model::offset> d) {
      if (!d) die("flush: " + d.error().message, 5);
      int64_t v = (*d)();
      // Eight bytes to a pipe are written atomically.
      if (::write(pipe_fd, &v, sizeof v) != sizeof v) die("pipe", 6);
    };
    // Like a producer with a bounded number of requests in flight: most appends wait for
    // durability asynchronously (group commit), every 16th waits for it.
    if (++appended % 16 == 0) {
      report(l.flush_and_wait());
    } else {
      l.wait_durable(r->last_offset, report);
    }
    if (mode == "retention") {
      l.set_high_watermark(l.log_end_offset());
      if (auto h = l.housekeeping(); !h) die("housekeeping: " + h.error().message, 7);
    }
    if (mode == "compact" && appended % 8 == 0) {
      l.set_high_watermark(l.log_end_offset());
      if (auto c = l.compact(log::compaction_trigger::forced); !c)
        die("compact: " + c.error().message, 8);
    }
  }
}

struct verdict {
  bool ok = true;
  int64_t end = 0;
  int64_t start = 0;
};

// A batch of a compacted log: offsets only grow, the batch kept its last offset, and every
// record is the one written at its offset. Returns what is wrong, or "".
std::string check_compacted(const model::record_batch_header& h, std::span<const std::byte> batch,
                            int64_t min_base) {
  int64_t base = h.base_offset();
  if (base < min_base) return "offsets go backwards at " + std::to_string(base);
  if (h.last_offset_delta != compact_records(base) - 1) {
    return "batch at " + std::to_string(base) + " lost its last offset";
  }
  if (h.record_count < compact_records(base)) ++g_compacted_batches;
  auto sec = model::batch_records(batch, h, 1 << 24);
  if (!sec) return "records of batch " + std::to_string(base) + " unreadable";
  auto recs = model::read_records(sec->bytes(), h.record_count);
  if (!recs) return "records of batch " + std::to_string(base) + " invalid";
  for (const auto& r : *recs) {
    int64_t o = base + r.offset_delta;
    auto v = compact_value(o);
    std::string k = compact_key(o);
    bool key_ok =
        r.key && std::equal(r.key->begin(), r.key->end(), std::as_bytes(std::span(k)).begin(),
                            std::as_bytes(std::span(k)).end());
    bool value_ok = v ? (r.value && std::equal(r.value->begin(), r.value->end(),
                                               std::as_bytes(std::span(*v)).begin(),
                                               std::as_bytes(std::span(*v)).end()))
                      : !r.value;
    if (!key_ok || !value_ok) return "record at " + std::to_string(o) + " is not what was written";
    g_seen_offsets.push_back(o);
  }
  return "";
}

verdict verify(const std::string& dir, const std::string& mode, int64_t durable,
               bool close_cleanly) {
  g_seen_offsets.clear();
  posix_io io;
  flusher fl(io);
  auto fail = [](const std::string& why) {
    std::fprintf(stderr, "crash_test: FAILED: %s\n", why.c_str());
    return verdict{false};
  };
  auto opened = log::open(io, fl, dir, crash_id, config_for(mode));
  if (!opened) return fail("reopen: " + opened.error().message);
  auto& l = **opened;
  int64_t start = l.log_start_offset()();
  int64_t end = l.log_end_offset()();
  if (end < durable) {
    return fail("durable offset " + std::to_string(durable) + " lost; log ends at " +
                std::to_string(end));
  }
  int64_t off = start;
  while (off < end) {
    auto bytes = l.read_bytes(model::offset(off), 1 << 20);
    if (!bytes) return fail("read at " + std::to_string(off) + ": " + bytes.error().message);
    std::span<const std::byte> rest(*bytes);
    if (rest.empty()) return fail("empty read at " + std::to_string(off));
    while (!rest.empty()) {
      auto h = model::parse_header(rest);
      if (!h || h->size_bytes() > rest.size())
        return fail("partial batch at " + std::to_string(off));
      auto batch = rest.first(h->size_bytes());
      if (!model::validate_batch(batch)) return fail("invalid batch at " + std::to_string(off));
      if (mode == "compact") {
        if (auto why = check_compacted(*h, batch, off); !why.empty()) return fail(why);
        off = h->last_offset()() + 1;
        rest = rest.subspan(h->size_bytes());
        continue;
      }
      if (h->base_offset() != off) {
        return fail("offsets not contiguous: expected " + std::to_string(off) + " got " +
                    std::to_string(h->base_offset()));
      }
      auto want = expected_batch(off);
      if (want.size() != batch.size() || !std::equal(want.begin(), want.end(), batch.begin())) {
        return fail("batch at " + std::to_string(off) + " differs from what was written");
      }
      off = h->last_offset()() + 1;
      rest = rest.subspan(h->size_bytes());
    }
  }
  if (off != end)
    return fail("batches end at " + std::to_string(off) + ", log end " + std::to_string(end));
  if (mode == "compact") {
    // The newest record of every key must be there (unless it is a tombstone).
    std::sort(g_seen_offsets.begin(), g_seen_offsets.end());
    for (int64_t k = 0; k < 37; ++k) {
      int64_t o = end - 1;
      while (o >= start && o % 37 != k) --o;
      if (o < start || !compact_value(o)) continue;
      if (!std::binary_search(g_seen_offsets.begin(), g_seen_offsets.end(), o)) {
        return fail("newest record of key k" + std::to_string(k) + " at " + std::to_string(o) +
                    " is gone");
      }
    }
    g_seen_offsets.clear();
  }
  if (close_cleanly) {
    if (auto c = l.close(); !c) return fail("close: " + c.error().message);
  }
  return verdict{true, end, start};
}

struct mode_stats {
  int kills = 0;
  int self_kills = 0;
  int64_t max_end = 0;
  int64_t batches_checked = 0;
};

bool run_mode(const std::string& exe, const std::string& root, const std::string& mode, int kills,
              uint64_t seed, mode_stats& st) {
  std::mt19937_64 rng(seed);
  std::string dir;
  int64_t durable_total = 0;
  for (int i = 0; i < kills; ++i) {
    // A fresh log now and then keeps each verification short.
    if (i % 25 == 0) {
      dir = root + "/" + mode + "-" + std::to_string(i) + "/crash-0";
      std::filesystem::create_directories(dir);
      durable_total = 0;
    }
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    pid_t pid = ::fork();
    if (pid == 0) {
      // The read end is closed first: it may be descriptor 3 itself.
      ::close(fds[0]);
      if (fds[1] == 3) {
        ::fcntl(3, F_SETFD, 0);
      } else {
        ::dup2(fds[1], 3);
      }
      std::string s = std::to_string(rng());
      ::execl(exe.c_str(), exe.c_str(), "child", dir.c_str(), mode.c_str(), s.c_str(),
              static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    ::close(fds[1]);
    // Wait for a first durable report (or the child's own death), then kill at random.
    pollfd p{fds[0], POLLIN, 0};
    ::poll(&p, 1, 5000);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
      std::fprintf(stderr, "crash_test: child exited with status %d\n", status);
      return false;
    }
    int64_t v;
    while (::read(fds[0], &v, sizeof v) == sizeof v) durable_total = std::max(durable_total, v);
    ::close(fds[0]);
    bool clean = rng() % 4 == 0;
    auto vd = verify(dir, mode, durable_total, clean);
    if (!vd.ok) {
      std::fprintf(stderr, "crash_test: mode %s kill %d dir %s\n", mode.c_str(), i, dir.c_str());
      return false;
    }
    ++st.kills;
    st.max_end = std::max(st.max_end, vd.end);
    st.batches_checked += vd.end - vd.start;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 5 && std::string(argv[1]) == "child") {
    return run_child(argv[2], argv[3], std::strtoull(argv[4], nullptr, 10), 3);
  }
  int kills = argc >= 2 ? std::atoi(argv[1]) : 240;
  testing::temp_dir root;
  std::string exe = std::filesystem::read_symlink("/proc/self/exe");
  uint64_t seed =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  if (const char* s = std::getenv("VLTAVA_CRASH_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::printf("crash_test: seed %llu\n", static_cast<unsigned long long>(seed));
  auto start = std::chrono::steady_clock::now();
  int total = 0;
  for (auto [mode, n] : {std::pair{"plain", kills / 2}, std::pair{"torn", kills / 6},
                         std::pair{"retention", kills / 6}, std::pair{"compact", kills / 6}}) {
    mode_stats st;
    if (!run_mode(exe, root.path(), mode, n, seed++, st)) return 1;
    total += st.kills;
    std::printf("crash_test: mode %-9s kills %d, offsets checked %lld, largest log end %lld", mode,
                st.kills, static_cast<long long>(st.batches_checked),
                static_cast<long long>(st.max_end));
    if (std::string(mode) == "compact") {
      std::printf(", compacted batches read back %lld",
                  static_cast<long long>(g_compacted_batches));
    }
    std::printf("\n");
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("crash_test: PASSED, %d kills in %.1f s\n", total, secs);
  return 0;
}
