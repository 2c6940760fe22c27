#pragma once

// Typed calls over a kafka_client: encode the generated request struct of an API, send it with
// the header versions the API table gives, and decode the response struct.
//
//   auto r = co_await net::call<protocol::vote_api>(client, request, 2);
//   if (r) use(r->body);  // r->body: protocol::vote_response

#include <chrono>
#include <optional>

#include "base/log.h"
#include "net/kafka_client.h"
#include "protocol/api_table.h"
#include "protocol/reader.h"
#include "protocol/writer.h"

namespace vltava::net {

// A decoded response and the frame it was decoded from: views in `body` (records) point into
// `frame`, which moves with it (a vector's buffer does not move). Not copyable, so that no
// copy's views point into another object's frame.
template <typename Response>
struct decoded_response {
  response_frame frame;
  Response body;

  decoded_response(response_frame f, Response b) : frame(std::move(f)), body(std::move(b)) {}
  decoded_response(decoded_response&&) noexcept = default;
  decoded_response& operator=(decoded_response&&) noexcept = default;
  decoded_response(const decoded_response&) = delete;
  decoded_response& operator=(const decoded_response&) = delete;
};

// `request` is read when the call starts: co_await the call at once (as a full expression), or
// keep the request alive until it completes.
template <typename Api>
awaitable<result<decoded_response<typename Api::response_type>, call_errc>> call(
    kafka_client& client, const typename Api::request_type& request, int16_t version,
    std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
  VLTAVA_ASSERT(version >= Api::min_version && version <= Api::max_version,
                "a typed call uses a version the codec knows");
  protocol::writer w;
  request.encode(w, version);
  auto frame =
      co_await client.call(Api::key, version, protocol::request_header_version(Api::key, version),
                           std::move(w).take(), timeout.value_or(client.options().request_timeout));
  if (!frame) co_return fail(frame.error());
  typename Api::response_type response;
  protocol::reader r(frame->body(), frame->body_offset);
  if (auto d = response.decode(r, version); !d) {
    log::warn("net", "malformed {} v{} response from {}:{}: {}", Api::name, version, client.host(),
              client.port(), d.error().to_string());
    co_return fail(call_errc::malformed_response);
  }
  co_return decoded_response<typename Api::response_type>(std::move(*frame), std::move(response));
}

}  // namespace vltava::net
