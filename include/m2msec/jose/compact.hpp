// m2msec: the text of JOSE objects: a compact serialization split at its dots,
// and JSON header members written directly (no document built).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "m2msec/core/result.hpp"

namespace m2msec::jose {

// Splits a compact serialization into exactly `Parts` pieces at '.'. The last
// piece (a tag or a signature) is found from the end and the others from the
// front, so a megabyte ciphertext or payload is not scanned here: its
// base64url decoding refuses any '.' in it.
template <std::size_t Parts>
[[nodiscard]] inline result<std::array<std::string_view, Parts>> split(std::string_view s) noexcept {
  std::array<std::string_view, Parts> out{};
  const std::size_t last = s.rfind('.');
  if (last == std::string_view::npos) return fail(errc::invalid_encoding);
  std::size_t at = 0;
  for (std::size_t i = 0; i + 2 < Parts; ++i) {
    const std::size_t dot = s.find('.', at);
    if (dot >= last) return fail(errc::invalid_encoding);
    out[i] = s.substr(at, dot - at);
    at = dot + 1;
  }
  out[Parts - 2] = s.substr(at, last - at);
  out[Parts - 1] = s.substr(last + 1);
  return out;
}

// RFC 7516 §9: a compact JWE has five parts, a JWS three. True when the first
// three dots come before the last one.
[[nodiscard]] inline bool is_compact_jwe(std::string_view s) noexcept { return split<5>(s).has_value(); }

// JSON-escaped "name":"value" for base64url values (which need no escaping).
inline void put_member(std::string& out, std::string_view name, std::string_view value, bool comma = true) {
  if (comma) out += ',';
  out += '"';
  out += name;
  out += "\":\"";
  out += value;
  out += '"';
}

// RFC 8259 §7: s as a JSON string, appended to out (plain runs in one append).
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s, run, i - run);
    run = i + 1;
    if (u >= 0x20) {
      out += '\\';
      out += static_cast<char>(u);
    } else {
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  out.append(s, run);
  out += '"';
}
// "name":"value" with the value escaped, after a comma unless first.
inline void append_string_member(std::string& out, std::string_view name, std::string_view value) {
  if (out.size() > 1) out += ',';
  append_json_string(out, name);
  out += ':';
  append_json_string(out, value);
}
}  // namespace m2msec::jose
