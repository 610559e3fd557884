// m2msec: ESPrim rand objects (TS-0004 §6.3.5.50/51): made, written and read in
// their short-name JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "m2msec/backend/random.hpp"
#include "m2msec/core/encoding.hpp"
#include "m2msec/e2e/esprim/common.hpp"
#include "m2msec/e2e/esprim/timestamp.hpp"
#include "m2msec/jose/compact.hpp"
#include "m2msec/jose/reader.hpp"

namespace m2msec::esprim {

// ---- rand objects (TS-0004 §6.3.5.50/51), short names ------------------------------------

enum class role { originator, receiver };

// esprimRandValue is typed xs:NCName; m2msec writes the 128 bits as "X" and
// 32 upper-case hex digits (docs/decisions.md, A6).
[[nodiscard]] inline std::string rand_value_text(const rand_object& o) {
  std::string s = "X";
  s += hex_encode(o.value);
  for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 32 : c);
  return s;
}

// The short-name JSON object, members in name order:
// {"esk":1,...} for an originator, {"esks":[1],...} for a receiver.
[[nodiscard]] inline std::string rand_object_text(const rand_object& o, role r) {
  auto ints = [](std::string& out, const std::vector<std::uint8_t>& v) {
    out += '[';
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i != 0) out += ',';
      out += std::to_string(v[i]);
    }
    out += ']';
  };
  std::string s = "{";
  if (r == role::originator && o.key_gen_alg_ids.size() == 1) {
    s += "\"esk\":" + std::to_string(o.key_gen_alg_ids[0]);
  } else {
    s += "\"esks\":";
    ints(s, o.key_gen_alg_ids);
  }
  s += ",\"espa\":";
  ints(s, o.protocol_and_alg_ids);
  jose::append_string_member(s, "esri", o.id);
  jose::append_string_member(s, "esrv", rand_value_text(o));
  jose::append_string_member(s, "esrx", to_timestamp(o.expiry));
  s += '}';
  return s;
}

namespace detail {
inline bool is_ncname(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!letter(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; });
}
}  // namespace detail

// Reads a rand object from its short-name JSON text, strictly (no member twice,
// RFC 8259 grammar); members m2msec does not know are skipped. An originator's
// object has one "esk", a receiver's an "esks" list; 1 to 16 ids of 0..255.
[[nodiscard]] inline result<rand_object> parse_rand_object(std::string_view text, role r) {
  constexpr std::size_t max_depth = 8;
  jose::json_reader in(text);
  std::string scratch;
  scratch.reserve(text.size());  // unescaped strings stay where they are viewed
  std::optional<std::string_view> id, value, expiry;
  std::optional<std::vector<std::uint8_t>> espa, keygen;
  auto string = [&](std::optional<std::string_view>& out) {
    std::string_view v;
    if (in.peek() != '"' || !in.string(v, scratch)) return false;
    out = v;
    return true;
  };
  auto small_int = [&](std::vector<std::uint8_t>& out) {
    std::uint64_t v = 0;
    if (out.size() == 16 || !in.unsigned_integer(v, 255)) return false;
    out.push_back(static_cast<std::uint8_t>(v));
    return true;
  };
  auto small_ints = [&](std::optional<std::vector<std::uint8_t>>& out) {
    out.emplace();
    return in.array(1, max_depth, [&] { return small_int(*out); }) && !out->empty();
  };
  const std::string_view one = "esk", many = "esks";
  const bool read = in.peek() == '{' && in.object(0, max_depth, [&](std::string_view name) {
    if (name == "esri") return string(id);
    if (name == "esrv") return string(value);
    if (name == "esrx") return string(expiry);
    if (name == "espa") return small_ints(espa);
    if (name == (r == role::originator ? one : many)) {
      if (r == role::receiver) return small_ints(keygen);
      keygen.emplace();
      return small_int(*keygen);
    }
    if (name == one || name == many) return false;
    return in.skip(1, max_depth);
  });
  if (!read || !in.at_end() || !id || !value || !expiry || !espa || !keygen) return fail(errc::invalid_encoding);
  rand_object o;
  if (!detail::is_ncname(*id)) return fail(errc::invalid_encoding);
  o.id = std::string(*id);
  if (value->size() != 33 || (*value)[0] != 'X') return fail(errc::invalid_encoding);
  if (auto n = hex_decode(value->substr(1), o.value); !n) return fail(n.error());
  if (rand_value_text(o) != *value) return fail(errc::invalid_encoding);  // upper-case only
  auto t = parse_timestamp(*expiry);
  if (!t) return fail(t.error());
  o.expiry = *t;
  o.protocol_and_alg_ids = std::move(*espa);
  o.key_gen_alg_ids = std::move(*keygen);
  return o;
}

// A fresh rand object: random 128-bit value, an id `prefix` + 16 hex digits,
// expiry cut to whole seconds (the resolution of m2m:timestamp).
[[nodiscard]] inline result<rand_object> make_rand_object(char prefix, time_point expiry,
                                                          std::vector<std::uint8_t> key_gen_ids,
                                                          std::vector<std::uint8_t> protocol_ids) {
  rand_object o;
  std::array<byte, 8> id{};
  if (auto r = crypto::rng<>::fill(id); !r) return fail(r.error());
  if (auto r = crypto::rng<>::fill(o.value); !r) return fail(r.error());
  o.id = std::string(1, prefix) + hex_encode(id);
  o.expiry = std::chrono::floor<std::chrono::seconds>(expiry);
  o.key_gen_alg_ids = std::move(key_gen_ids);
  o.protocol_and_alg_ids = std::move(protocol_ids);
  return o;
}

}  // namespace m2msec::esprim
