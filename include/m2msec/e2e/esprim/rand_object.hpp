// m2msec: ESPrim rand objects (TS-0004 §6.3.5.50/51): made, written and read in
// their short-name JSON.
#pragma once

#include <string>
#include <vector>

#include "m2msec/backend/random.hpp"
#include "m2msec/core/encoding.hpp"
#include "m2msec/e2e/esprim/common.hpp"
#include "m2msec/e2e/esprim/timestamp.hpp"

namespace m2msec::esprim {

// ---- rand objects (TS-0004 §6.3.5.50/51), short names ------------------------------------

enum class role { originator, receiver };

// esprimRandValue is typed xs:NCName; m2msec writes the 128 bits as "X" and
// 32 upper-case hex digits (docs/decisions.md, A6).
[[nodiscard]] inline std::string rand_value_text(const rand_object& o) {
  std::string s = "X" + hex_encode(o.value);
  for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 32 : c);
  return s;
}

[[nodiscard]] inline json to_json(const rand_object& o, role r) {
  json j = {{"esri", o.id}, {"esrv", rand_value_text(o)}, {"esrx", to_timestamp(o.expiry)}, {"espa", o.protocol_and_alg_ids}};
  if (r == role::originator && o.key_gen_alg_ids.size() == 1) j["esk"] = o.key_gen_alg_ids[0];
  else j["esks"] = o.key_gen_alg_ids;
  return j;
}

namespace detail {
inline bool is_ncname(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!letter(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; });
}
inline result<std::vector<std::uint8_t>> small_ints(const json& j) {
  if (!j.is_array() || j.empty() || j.size() > 16) return fail(errc::invalid_encoding);
  std::vector<std::uint8_t> out;
  for (const auto& v : j) {
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 255) return fail(errc::invalid_encoding);
    out.push_back(static_cast<std::uint8_t>(v.get<std::uint64_t>()));
  }
  return out;
}
}  // namespace detail

[[nodiscard]] inline result<rand_object> rand_object_from_json(const json& j, role r) {
  if (!j.is_object()) return fail(errc::invalid_encoding);
  rand_object o;
  auto id = jose::string_member(j, "esri");
  auto value = jose::string_member(j, "esrv");
  auto expiry = jose::string_member(j, "esrx");
  for (auto* m : {&id, &value, &expiry})
    if (!*m || !**m) return fail(errc::invalid_encoding);
  if (!detail::is_ncname(**id)) return fail(errc::invalid_encoding);
  o.id = std::string(**id);
  if ((*value)->size() != 33 || (**value)[0] != 'X') return fail(errc::invalid_encoding);
  if (auto n = hex_decode((*value)->substr(1), o.value); !n) return fail(n.error());
  if (rand_value_text(o) != **value) return fail(errc::invalid_encoding);  // upper-case only
  auto t = parse_timestamp(**expiry);
  if (!t) return fail(t.error());
  o.expiry = *t;
  const json* espa = jose::member(j, "espa");
  if (espa == nullptr) return fail(errc::invalid_encoding);
  auto p = detail::small_ints(*espa);
  if (!p) return fail(p.error());
  o.protocol_and_alg_ids = std::move(*p);
  if (r == role::originator) {
    const json* esk = jose::member(j, "esk");
    if (esk == nullptr || j.contains("esks")) return fail(errc::invalid_encoding);
    auto k = detail::small_ints(json::array({*esk}));
    if (!k) return fail(k.error());
    o.key_gen_alg_ids = std::move(*k);
  } else {
    const json* esks = jose::member(j, "esks");
    if (esks == nullptr || j.contains("esk")) return fail(errc::invalid_encoding);
    auto k = detail::small_ints(*esks);
    if (!k) return fail(k.error());
    o.key_gen_alg_ids = std::move(*k);
  }
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
