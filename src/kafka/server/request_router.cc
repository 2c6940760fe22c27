#include "kafka/server/request_router.h"

#include "protocol/framing.h"
#include "protocol/generated/fetch.h"
#include "protocol/generated/produce.h"
#include "protocol/reader.h"

namespace vltava::kafka {
namespace {

// Folds the partitions of a request into the one shard owning them all, if there is one.
class owner {
 public:
  owner(const cluster::partition_manager& pm, const cluster::metadata_image& image)
      : _pm(pm), _image(image) {}

  void add(const cluster::topic_info* info, int32_t partition) {
    if (!info || partition < 0 || partition >= info->partition_count) {
      _mixed = true;
      return;
    }
    const unsigned s = _pm.shard_of(info->id, model::partition_id(partition));
    if (_shard && *_shard != s) _mixed = true;
    _shard = s;
  }
  const cluster::topic_info* topic(bool by_id, const std::string& name,
                                   const protocol::uuid& id) const {
    return by_id ? _image.find_topic(id) : _image.find_topic(name);
  }
  std::optional<unsigned> result() const { return _mixed ? std::nullopt : _shard; }

 private:
  const cluster::partition_manager& _pm;
  const cluster::metadata_image& _image;
  std::optional<unsigned> _shard;
  bool _mixed = false;
};

}  // namespace

std::optional<unsigned> owner_shard(const cluster::partition_manager& pm,
                                    std::span<const std::byte> frame) {
  auto header = protocol::parse_request_header(frame);
  if (!header) return std::nullopt;
  const int16_t key = header->api_key, v = header->api_version;
  if (key != protocol::produce_api::key && key != protocol::fetch_api::key) return std::nullopt;
  auto image = pm.image();
  if (!image) return std::nullopt;
  owner o(pm, *image);
  protocol::reader r(frame.subspan(header->body_offset), header->body_offset);
  if (key == protocol::produce_api::key) {
    protocol::produce_request req;
    if (!req.decode(r, v)) return std::nullopt;
    for (const auto& t : req.topic_data) {
      const auto* info = o.topic(v >= 13, t.name, t.topic_id);
      for (const auto& p : t.partition_data) o.add(info, p.index);
    }
  } else {
    protocol::fetch_request req;
    if (!req.decode(r, v)) return std::nullopt;
    for (const auto& t : req.topics) {
      const auto* info = o.topic(v >= 13, t.topic, t.topic_id);
      for (const auto& p : t.partitions) o.add(info, p.partition);
    }
  }
  return o.result();
}

}  // namespace vltava::kafka
