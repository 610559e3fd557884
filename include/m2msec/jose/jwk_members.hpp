// m2msec: the members of a JWK as they come in (RFC 7517 §4, RFC 7518 §6): private
// members decoded straight into wiped memory, the public ones as nlohmann-json.
// A JWK's text is read by m2msec's strict reader, so no copy of a private member
// is left in a JSON library's strings or buffers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "m2msec/core/encoding.hpp"
#include "m2msec/core/secret.hpp"
#include "m2msec/jose/json.hpp"
#include "m2msec/jose/reader.hpp"

namespace m2msec::jose::jwk_detail {

// RFC 7518 §6.2.2, §6.3.2: the private members. "dp", "dq" and "qi" are checked
// as base64url and not kept (they follow from "p" and "q").
struct private_members {
  std::optional<secret> k, d, p, q;

  static constexpr std::string_view names[] = {"k", "d", "p", "q", "dp", "dq", "qi"};
  [[nodiscard]] static bool is_private(std::string_view name) noexcept {
    for (auto n : names)
      if (n == name) return true;
    return false;
  }
  void keep(std::string_view name, secret value) {
    if (name == "k") k = std::move(value);
    else if (name == "d") d = std::move(value);
    else if (name == "p") p = std::move(value);
    else if (name == "q") q = std::move(value);
  }
};

// The private members of a document the caller holds (its strings are the caller's).
template <class Json>
[[nodiscard]] inline result<private_members> private_members_of(const Json& j) {
  private_members out;
  for (auto name : private_members::names) {
    auto s = string_member(j, name);
    if (!s) return fail(s.error());
    if (!*s) continue;
    auto b = base64url_decode_secret(**s);
    if (!b) return fail(b.error());
    out.keep(name, std::move(*b));
  }
  return out;
}

struct jwk_text {
  json pub;  // every member but the private ones
  private_members priv;
};

// A JWK's text: one object, read strictly (no member twice, bounded size and
// depth). A private member must be a string without escapes (base64url needs
// none); it is decoded from the text where it lies.
[[nodiscard]] inline result<jwk_text> read_jwk(std::string_view text, const limits& lim) {
  if (text.size() > lim.max_header) return fail(errc::message_too_long);
  jwk_text out{json::object(), {}};
  json_reader r(text);
  std::string scratch;
  scratch.reserve(text.size());  // unescaped text is never longer: no copy is left by growing
  std::optional<errc> refused;
  auto on_member = [&](std::string_view name) {
    const std::string key(name);
    const char c = r.peek();
    const std::size_t start = r.offset();
    if (private_members::is_private(key)) {
      std::string_view v;
      const std::size_t mark = scratch.size();
      if (c != '"' || !r.string(v, scratch)) return false;
      if (scratch.size() != mark) return false;  // escaped
      auto b = base64url_decode_secret(v);
      if (!b) {
        refused = b.error();
        return false;
      }
      out.priv.keep(key, std::move(*b));
      return true;
    }
    if (!r.skip(1, lim.max_depth)) return false;
    const std::string_view raw = text.substr(start, r.offset() - start);
    json v = json::parse(raw.begin(), raw.end(), nullptr, /*allow_exceptions=*/false);
    if (v.is_discarded()) return false;
    out.pub[key] = std::move(v);
    return true;
  };
  const bool ok = r.peek() == '{' && r.object(0, lim.max_depth, on_member) && r.at_end();
  ct::wipe(scratch.data(), scratch.size());
  if (!ok) return fail(refused.value_or(errc::invalid_encoding));
  return out;
}

}  // namespace m2msec::jose::jwk_detail
