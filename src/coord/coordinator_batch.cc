#include "coord/coordinator_batch.h"

#include "base/assert.h"

namespace vltava::coord {

std::vector<std::byte> build_coordinator_batch(const record_list& records, int64_t now_ms,
                                               model::batch_options options) {
  model::record_batch_builder b(options);
  for (const auto& [k, v] : records) {
    std::optional<model::bytes_view> value;
    if (v) value = model::bytes_view(*v);
    b.add(model::timestamp_ms(now_ms), model::bytes_view(k), value);
  }
  auto built = b.build();
  VLTAVA_ASSERT(built.has_value(), "an uncompressed batch always builds");
  return std::move(built).value();
}

}  // namespace vltava::coord
