#include "quorum/io/checkpoint.h"

#include <charconv>
#include <cstdio>

#include "model/record_batch_header.h"
#include "protocol/generated/snapshot_footer_record.h"
#include "protocol/generated/snapshot_header_record.h"
#include "quorum/io/control_batch.h"

namespace vltava::quorum {

namespace {

constexpr int16_t header_version = 0;
constexpr int16_t footer_version = 0;
constexpr std::size_t offset_digits = 20;
constexpr std::size_t epoch_digits = 10;

std::string describe(const storage::storage_error& e) {
  return std::string(storage::describe(e.code)) + ": " + e.message;
}

std::vector<std::byte> header_batch(int64_t last_contained_ms, model::timestamp_ms now) {
  protocol::snapshot_header_record h;
  h.version = header_version;
  h.last_contained_log_timestamp = last_contained_ms;
  protocol::writer w;
  h.encode(w, header_version);
  auto value = std::move(w).take();
  return build_control_batch(model::control_record_type::snapshot_header, value, now);
}

std::vector<std::byte> footer_batch(model::timestamp_ms now) {
  protocol::snapshot_footer_record f;
  f.version = footer_version;
  protocol::writer w;
  f.encode(w, footer_version);
  auto value = std::move(w).take();
  return build_control_batch(model::control_record_type::snapshot_footer, value, now);
}

// Appends `batch` to `out` with its base offset `next` and the snapshot's epoch (both outside
// the CRC's range); returns the offset after it.
model::offset append_batch(std::vector<std::byte>& out, std::span<const std::byte> batch,
                           model::offset next, model::leader_epoch epoch) {
  auto at = out.size();
  out.insert(out.end(), batch.begin(), batch.end());
  auto stored = std::span(out).subspan(at, batch.size());
  model::set_base_offset(stored, next);
  model::set_partition_leader_epoch(stored, epoch);
  auto h = model::parse_header(stored);
  return next + static_cast<int64_t>(h->last_offset_delta) + 1;
}

result<int64_t, std::string> read_header(std::span<const std::byte> batch) {
  auto value = read_control_value(batch, model::control_record_type::snapshot_header);
  if (!value) return fail("the first batch is not a SnapshotHeader: " + value.error());
  protocol::reader r(*value);
  protocol::snapshot_header_record h;
  if (auto d = h.decode(r, header_version); !d)
    return fail("SnapshotHeader: " + d.error().to_string());
  if (!r.empty() || h.version != header_version) {
    return fail("SnapshotHeader version " + std::to_string(h.version) + " or trailing bytes");
  }
  return h.last_contained_log_timestamp;
}

result<void, std::string> read_footer(std::span<const std::byte> batch) {
  auto value = read_control_value(batch, model::control_record_type::snapshot_footer);
  if (!value) return fail("the last batch is not a SnapshotFooter: " + value.error());
  protocol::reader r(*value);
  protocol::snapshot_footer_record f;
  if (auto d = f.decode(r, footer_version); !d)
    return fail("SnapshotFooter: " + d.error().to_string());
  if (!r.empty() || f.version != footer_version) {
    return fail("SnapshotFooter version " + std::to_string(f.version) + " or trailing bytes");
  }
  return {};
}

}  // namespace

std::string checkpoint_file_name(snapshot_id id) {
  char name[64];
  std::snprintf(name, sizeof name, "%020lld-%010d", static_cast<long long>(id.offset()),
                static_cast<int>(id.epoch()));
  return std::string(name) + std::string(checkpoint_suffix);
}

std::optional<snapshot_id> parse_checkpoint_file_name(std::string_view name) {
  constexpr auto stem = offset_digits + 1 + epoch_digits;
  if (name.size() != stem + checkpoint_suffix.size() || !name.ends_with(checkpoint_suffix) ||
      name[offset_digits] != '-') {
    return std::nullopt;
  }
  int64_t offset = -1;
  int32_t epoch = -1;
  auto o = name.substr(0, offset_digits);
  auto e = name.substr(offset_digits + 1, epoch_digits);
  auto ro = std::from_chars(o.data(), o.data() + o.size(), offset);
  auto re = std::from_chars(e.data(), e.data() + e.size(), epoch);
  if (ro.ec != std::errc{} || ro.ptr != o.data() + o.size() || re.ec != std::errc{} ||
      re.ptr != e.data() + e.size() || offset < 0 || epoch < 0) {
    return std::nullopt;
  }
  return snapshot_id{model::offset(offset), model::leader_epoch(epoch)};
}

std::vector<std::byte> build_checkpoint(snapshot_id id,
                                        std::span<const std::vector<std::byte>> data_batches,
                                        int64_t last_contained_ms, model::timestamp_ms now) {
  std::vector<std::byte> out;
  auto next = append_batch(out, header_batch(last_contained_ms, now), model::offset(0), id.epoch);
  for (const auto& b : data_batches) next = append_batch(out, b, next, id.epoch);
  append_batch(out, footer_batch(now), next, id.epoch);
  return out;
}

result<checkpoint_contents, std::string> read_checkpoint(snapshot_id id,
                                                         std::span<const std::byte> bytes) {
  checkpoint_contents out;
  model::offset next(0);
  bool footer_seen = false;
  std::size_t position = 0;
  while (position < bytes.size()) {
    auto rest = bytes.subspan(position);
    auto where = " at byte " + std::to_string(position);
    if (footer_seen) return fail("bytes after the SnapshotFooter" + where);
    auto h = model::parse_header(rest);
    if (!h || h->size_bytes() > rest.size()) return fail("a batch cut short" + where);
    auto batch = rest.first(h->size_bytes());
    if (auto v = model::validate_batch(batch); !v) {
      return fail("invalid batch" + where + ": " + std::string(model::describe(v.error())));
    }
    if (h->base_offset != next || h->partition_leader_epoch != id.epoch) {
      return fail("batch" + where + " has offset " + std::to_string(h->base_offset()) +
                  " and epoch " + std::to_string(h->partition_leader_epoch()) + ", expected " +
                  std::to_string(next()) + " and " + std::to_string(id.epoch()));
    }
    if (position == 0) {
      auto ts = read_header(batch);
      if (!ts) return fail(ts.error());
      out.last_contained_ms = *ts;
    } else if (h->is_control()) {
      auto type = control_type(batch, *h);
      if (type == static_cast<int16_t>(model::control_record_type::snapshot_footer)) {
        if (auto f = read_footer(batch); !f) return fail(f.error());
        footer_seen = true;
      }
    } else {
      out.data_batches.emplace_back(batch.begin(), batch.end());
    }
    next = h->last_offset() + 1;
    position += batch.size();
  }
  if (position == 0) return fail(std::string("an empty checkpoint"));
  if (!footer_seen) return fail(std::string("no SnapshotFooter: the checkpoint is incomplete"));
  return out;
}

result<void, std::string> write_checkpoint_file(storage::file_io& io, const std::string& dir,
                                                snapshot_id id, std::span<const std::byte> bytes) {
  auto name = checkpoint_file_name(id);
  auto part = dir + "/" + name + ".part";
  auto fd = io.open(part, storage::open_mode::create);
  if (!fd) return fail(part + ": " + describe(fd.error()));
  auto written = [&]() -> storage::sresult<void> {
    if (auto t = io.ftruncate(*fd, 0); !t) return t;
    uint64_t at = 0;
    while (at < bytes.size()) {
      auto n = io.pwrite(*fd, bytes.subspan(at), at);
      if (!n) return fail(n.error());
      if (*n == 0) return storage::error(storage::errc::io_error, "pwrite wrote nothing");
      at += *n;
    }
    return io.fdatasync(*fd);
  }();
  io.close(*fd);
  if (!written) return fail(part + ": " + describe(written.error()));
  if (auto r = io.rename(part, dir + "/" + name); !r)
    return fail(part + ": " + describe(r.error()));
  if (auto s = io.fsync_dir(dir); !s) return fail(dir + ": " + describe(s.error()));
  return {};
}

result<checkpoint_contents, std::string> read_checkpoint_file(storage::file_io& io,
                                                              const std::string& dir,
                                                              snapshot_id id) {
  auto path = dir + "/" + checkpoint_file_name(id);
  auto bytes = storage::read_small_file(io, path, checkpoint_bytes_max);
  if (!bytes) return fail(path + ": " + describe(bytes.error()));
  auto contents = read_checkpoint(id, *bytes);
  if (!contents) return fail(path + ": " + contents.error());
  return contents;
}

}  // namespace vltava::quorum
