#include "quorum/io/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model/record_batch_header.h"
#include "quorum/io/control_batch.h"
#include "quorum/io/test_support.h"

namespace vltava::quorum {
namespace {

using testing::metadata_batch;

const snapshot_id id{model::offset(1234), model::leader_epoch(7)};

std::vector<std::vector<std::byte>> two_batches() {
  return {metadata_batch(3, "a"), metadata_batch(2, "b")};
}

TEST(checkpoint, file_names_are_kafkas) {
  EXPECT_EQ(checkpoint_file_name(id), "00000000000000001234-0000000007.checkpoint");
  EXPECT_EQ(parse_checkpoint_file_name("00000000000000001234-0000000007.checkpoint"), id);
  EXPECT_FALSE(parse_checkpoint_file_name("00000000000000001234-0000000007.checkpoint.part"));
  EXPECT_FALSE(parse_checkpoint_file_name("00000000000000001234-000000007.checkpoint"));
  EXPECT_FALSE(parse_checkpoint_file_name("0000000000000000123x-0000000007.checkpoint"));
  EXPECT_FALSE(parse_checkpoint_file_name("00000000000000001234.log"));
  EXPECT_FALSE(parse_checkpoint_file_name("-0000000000000001234-0000000007.checkpoint"));
}

TEST(checkpoint, header_data_footer_round_trip) {
  auto batches = two_batches();
  auto bytes = build_checkpoint(id, batches, 555, model::timestamp_ms(9));
  // Header at offset 0, the data batches renumbered after it, the footer last; every batch
  // stamped with the snapshot's epoch.
  std::vector<std::pair<int64_t, int64_t>> seen;  // base offset, record count
  std::span<const std::byte> rest(bytes);
  while (!rest.empty()) {
    auto h = model::validate_batch(rest.first(model::parse_header(rest)->size_bytes()));
    ASSERT_TRUE(h);
    EXPECT_EQ(h->partition_leader_epoch, id.epoch);
    seen.emplace_back(h->base_offset(), h->record_count);
    rest = rest.subspan(h->size_bytes());
  }
  std::vector<std::pair<int64_t, int64_t>> want{{0, 1}, {1, 3}, {4, 2}, {6, 1}};
  EXPECT_EQ(seen, want);
  auto first = std::span<const std::byte>(bytes).first(model::parse_header(bytes)->size_bytes());
  EXPECT_EQ(control_type(first, *model::parse_header(first)),
            static_cast<int16_t>(model::control_record_type::snapshot_header));

  auto back = read_checkpoint(id, bytes);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->last_contained_ms, 555);
  ASSERT_EQ(back->data_batches.size(), 2u);
  // The same records; only the base offset and epoch (outside the CRC) differ.
  auto a = back->data_batches[0];
  EXPECT_EQ(a.size(), batches[0].size());
  EXPECT_TRUE(model::validate_batch(a));
}

TEST(checkpoint, an_empty_image_is_header_and_footer) {
  auto bytes = build_checkpoint(id, {}, -1, model::timestamp_ms(1));
  auto back = read_checkpoint(id, bytes);
  ASSERT_TRUE(back) << back.error();
  EXPECT_TRUE(back->data_batches.empty());
}

TEST(checkpoint, refuses_torn_corrupt_and_incomplete_files) {
  auto bytes = build_checkpoint(id, two_batches(), 1, model::timestamp_ms(1));
  // Torn anywhere: refused.
  for (std::size_t cut : {std::size_t{0}, std::size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    auto r = read_checkpoint(id, std::span<const std::byte>(bytes).first(cut));
    EXPECT_FALSE(r) << "cut at " << cut;
  }
  // A flipped byte inside a batch: its CRC fails.
  auto corrupt = bytes;
  corrupt[bytes.size() / 2] ^= std::byte{0x40};
  EXPECT_FALSE(read_checkpoint(id, corrupt));
  // Whole batches but no footer: an unfinished snapshot.
  std::vector<std::byte> no_footer;
  std::span<const std::byte> rest(bytes);
  while (!rest.empty()) {
    auto size = model::parse_header(rest)->size_bytes();
    if (size == rest.size()) break;  // the last batch: the footer
    no_footer.insert(no_footer.end(), rest.begin(), rest.begin() + static_cast<long>(size));
    rest = rest.subspan(size);
  }
  auto r = read_checkpoint(id, no_footer);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("SnapshotFooter"), std::string::npos) << r.error();
  // Another epoch than the name says: refused.
  EXPECT_FALSE(read_checkpoint({id.offset, model::leader_epoch(8)}, bytes));
  // Data first, no header: refused.
  auto data_only = metadata_batch(1, "x");
  EXPECT_FALSE(read_checkpoint(id, data_only));
}

TEST(checkpoint, written_atomically_and_read_back) {
  testing::node_disk disk;
  std::filesystem::create_directories(disk.dir);
  auto bytes = build_checkpoint(id, two_batches(), 3, model::timestamp_ms(1));
  ASSERT_TRUE(write_checkpoint_file(disk.io, disk.dir, id, bytes));
  EXPECT_TRUE(std::filesystem::exists(disk.dir + "/" + checkpoint_file_name(id)));
  EXPECT_FALSE(std::filesystem::exists(disk.dir + "/" + checkpoint_file_name(id) + ".part"));
  auto back = read_checkpoint_file(disk.io, disk.dir, id);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->data_batches.size(), 2u);

  // A failed fsync leaves no checkpoint under the real name.
  const snapshot_id other{model::offset(2000), model::leader_epoch(7)};
  disk.io.fail_next(storage::io_op::fdatasync, EIO);
  EXPECT_FALSE(write_checkpoint_file(disk.io, disk.dir, other, bytes));
  EXPECT_FALSE(std::filesystem::exists(disk.dir + "/" + checkpoint_file_name(other)));

  // A file cut short on disk is refused with its name in the error.
  std::filesystem::resize_file(disk.dir + "/" + checkpoint_file_name(id), bytes.size() - 5);
  auto torn = read_checkpoint_file(disk.io, disk.dir, id);
  ASSERT_FALSE(torn);
  EXPECT_NE(torn.error().find(checkpoint_file_name(id)), std::string::npos) << torn.error();
}

}  // namespace
}  // namespace vltava::quorum
