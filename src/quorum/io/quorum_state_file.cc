#include "quorum/io/quorum_state_file.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>

namespace vltava::quorum {

namespace {

constexpr int64_t kafka_none = -1;  // leaderId / votedId when there is none
constexpr int64_t data_version = 0;
constexpr std::size_t voters_max = 10'000;

// A strict reader of the little JSON the file holds: objects, arrays, integers, strings
// without escapes, null. Every step is bounded by the text it reads.
class json_reader {
 public:
  explicit json_reader(std::string_view text) : _text(text) {}

  bool done() {
    skip_space();
    return _pos == _text.size();
  }
  bool take(char c) {
    skip_space();
    if (_pos == _text.size() || _text[_pos] != c) return false;
    ++_pos;
    return true;
  }
  bool take_null() {
    skip_space();
    if (_text.substr(_pos, 4) != "null") return false;
    _pos += 4;
    return true;
  }
  std::optional<std::string> string() {
    if (!take('"')) return std::nullopt;
    auto end = _text.find_first_of("\"\\", _pos);
    if (end == std::string_view::npos || _text[end] != '"') return std::nullopt;
    std::string out(_text.substr(_pos, end - _pos));
    _pos = end + 1;
    return out;
  }
  std::optional<int64_t> integer() {
    skip_space();
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(_text.data() + _pos, _text.data() + _text.size(), v);
    if (ec != std::errc() || ptr == _text.data() + _pos) return std::nullopt;
    _pos = static_cast<std::size_t>(ptr - _text.data());
    return v;
  }
  std::size_t position() const { return _pos; }

 private:
  void skip_space() {
    while (_pos < _text.size() && (_text[_pos] == ' ' || _text[_pos] == '\n' ||
                                   _text[_pos] == '\r' || _text[_pos] == '\t')) {
      ++_pos;
    }
  }

  std::string_view _text;
  std::size_t _pos = 0;
};

std::string at(const json_reader& r, std::string what) {
  return what + " at byte " + std::to_string(r.position());
}

// [{"voterId":N},...] or null.
result<std::vector<model::node_id>, std::string> read_voters(json_reader& r) {
  std::vector<model::node_id> voters;
  if (r.take_null()) return voters;
  if (!r.take('[')) return fail(at(r, "currentVoters: expected an array"));
  if (r.take(']')) return voters;
  do {
    if (voters.size() == voters_max) return fail(at(r, "currentVoters: too many voters"));
    auto key = r.take('{') ? r.string() : std::nullopt;
    if (key != "voterId" || !r.take(':')) return fail(at(r, "currentVoters: expected voterId"));
    auto id = r.integer();
    if (!id || *id < 0 || *id > INT32_MAX) return fail(at(r, "currentVoters: bad voterId"));
    if (!r.take('}')) return fail(at(r, "currentVoters: expected '}'"));
    voters.push_back(model::node_id(static_cast<int32_t>(*id)));
  } while (r.take(','));
  if (!r.take(']')) return fail(at(r, "currentVoters: expected ']'"));
  return voters;
}

// The integer fields, by key, each read once.
using integer_fields = std::map<std::string, int64_t, std::less<>>;

result<void, std::string> read_member(json_reader& r, const std::string& key, integer_fields& ints,
                                      decoded_quorum_state& out) {
  static const std::set<std::string, std::less<>> integer_keys{"leaderId", "leaderEpoch", "votedId",
                                                               "appliedOffset", "data_version"};
  if (key == "clusterId") {
    if (!r.string()) return fail(at(r, "clusterId: expected a string"));
  } else if (key == "currentVoters") {
    auto v = read_voters(r);
    if (!v) return fail(v.error());
    out.voters = std::move(v).value();
  } else if (integer_keys.contains(key)) {
    auto v = r.integer();
    if (!v) return fail(at(r, key + ": expected an integer"));
    ints[key] = *v;
  } else {
    return fail(at(r, "unknown key \"" + key + "\""));
  }
  return {};
}

result<std::optional<model::node_id>, std::string> optional_id(const integer_fields& ints,
                                                               std::string_view key) {
  auto v = ints.find(key)->second;
  if (v == kafka_none) return std::optional<model::node_id>{};
  if (v < 0 || v > INT32_MAX) return fail(std::string(key) + " out of range");
  return std::optional<model::node_id>{model::node_id(static_cast<int32_t>(v))};
}

result<election_state, std::string> state_of(const integer_fields& ints) {
  for (auto key : {"leaderId", "leaderEpoch", "votedId", "appliedOffset", "data_version"}) {
    if (!ints.contains(key)) return fail(std::string("missing key \"") + key + "\"");
  }
  if (ints.find("data_version")->second != data_version) {
    return fail("data_version " + std::to_string(ints.find("data_version")->second) +
                " is not supported (only 0, static voters)");
  }
  auto epoch = ints.find("leaderEpoch")->second;
  if (epoch < 0 || epoch > INT32_MAX) return fail("leaderEpoch out of range");
  auto leader = optional_id(ints, "leaderId");
  if (!leader) return fail(leader.error());
  auto voted = optional_id(ints, "votedId");
  if (!voted) return fail(voted.error());
  return election_state{model::leader_epoch(static_cast<int32_t>(epoch)), *voted, *leader};
}

}  // namespace

std::string encode_quorum_state(const election_state& state,
                                const std::vector<model::node_id>& voters) {
  auto id = [](const std::optional<model::node_id>& n) {
    return std::to_string(n ? int64_t{(*n)()} : kafka_none);
  };
  std::string out = "{\"clusterId\":\"\",\"leaderId\":" + id(state.leader_id) +
                    ",\"leaderEpoch\":" + std::to_string(state.epoch()) +
                    ",\"votedId\":" + id(state.voted_for) +
                    ",\"appliedOffset\":0,\"currentVoters\":[";
  for (std::size_t i = 0; i < voters.size(); ++i) {
    out += (i ? ",{\"voterId\":" : "{\"voterId\":") + std::to_string(voters[i]()) + "}";
  }
  return out + "],\"data_version\":" + std::to_string(data_version) + "}\n";
}

result<decoded_quorum_state, std::string> decode_quorum_state(std::string_view text) {
  json_reader r(text);
  decoded_quorum_state out;
  integer_fields ints;
  std::set<std::string, std::less<>> seen;
  if (!r.take('{')) return fail(at(r, "expected '{'"));
  do {
    auto key = r.string();
    if (!key || !r.take(':')) return fail(at(r, "expected a key"));
    if (!seen.insert(*key).second) return fail(at(r, "key \"" + *key + "\" repeated"));
    if (auto m = read_member(r, *key, ints, out); !m) return fail(m.error());
  } while (r.take(','));
  if (!r.take('}') || !r.done()) return fail(at(r, "expected the end of the object"));
  if (!seen.contains("clusterId") || !seen.contains("currentVoters")) {
    return fail("missing key \"clusterId\" or \"currentVoters\"");
  }
  auto state = state_of(ints);
  if (!state) return fail(state.error());
  out.state = *state;
  return out;
}

quorum_state_file::quorum_state_file(storage::file_io& io, std::string dir,
                                     std::vector<model::node_id> voters)
    : _io(io), _dir(std::move(dir)), _voters(std::move(voters)) {}

result<election_state, std::string> quorum_state_file::read() const {
  auto exists = _io.exists(path());
  if (!exists) return fail(path() + ": " + exists.error().message);
  if (!*exists) return election_state{};
  auto bytes = storage::read_small_file(_io, path(), file_bytes_max);
  if (!bytes) return fail(path() + ": " + bytes.error().message);
  std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  auto decoded = decode_quorum_state(text);
  if (!decoded) return fail(path() + ": " + decoded.error());
  auto sorted = [](std::vector<model::node_id> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  if (!decoded->voters.empty() && sorted(decoded->voters) != sorted(_voters)) {
    return fail(path() + ": its currentVoters differ from the configured voters");
  }
  return decoded->state;
}

result<void, std::string> quorum_state_file::write(const election_state& state) {
  auto text = encode_quorum_state(state, _voters);
  auto bytes = std::as_bytes(std::span(text));
  if (auto w = storage::write_file_atomic(_io, _dir, std::string(file_name), bytes); !w) {
    return fail(path() + ": " + w.error().message);
  }
  return {};
}

}  // namespace vltava::quorum
