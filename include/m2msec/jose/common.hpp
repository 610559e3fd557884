// m2msec: what JWE and JWS decoders share: the decoding policy and the header
// rules (crit, zip, disjoint members).
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "m2msec/core/ct.hpp"
#include "m2msec/jose/algorithms.hpp"
#include "m2msec/jose/base64url.hpp"
#include "m2msec/jose/compact.hpp"
#include "m2msec/jose/json.hpp"

namespace m2msec::jose {

enum class serialization { compact, flattened, general };

// What a decoder accepts, decided before any key is touched.
struct policy {
  alg_set algs = secured_algs;          // `none` only when listed here and allow_unsecured
  enc_set encs = enc_set::all();
  limits bounds{};
  std::vector<std::string> critical{};  // extension header names the caller understands (RFC 7515 §4.1.11)
  bool allow_unsecured = false;         // JWS "alg":"none" (TS-0003 §7.3.2.4: unsecured tokens only)
};

namespace detail {

// Header names registered by RFC 7515/7516/7518, which "crit" must not list.
inline constexpr std::string_view registered_names[] = {"alg", "enc", "zip", "jku", "jwk", "kid", "x5u", "x5c",
                                                        "x5t", "x5t#S256", "typ", "cty", "crit", "epk", "apu",
                                                        "apv", "iv", "tag", "p2s", "p2c"};

// Bytes on the stack that are wiped when they go out of scope (CEKs, KEKs).
template <std::size_t N>
struct wiped {
  std::array<byte, N> bytes{};
  std::size_t size = 0;
  wiped() = default;
  wiped(const wiped&) = delete;
  wiped& operator=(const wiped&) = delete;
  ~wiped() { ct::wipe(bytes.data(), bytes.size()); }
  [[nodiscard]] mutable_bytes span() noexcept { return {bytes.data(), size}; }
  [[nodiscard]] bytes_view view() const noexcept { return {bytes.data(), size}; }
};

// A base64url header: decoded, bounded, and read strictly as a JSON object.
[[nodiscard]] inline result<header> decode_header(std::string_view b64, const limits& lim) {
  if (base64url_decoded_size(b64.size()) > lim.max_header) return fail(errc::message_too_long);
  std::string text(base64url_decoded_size(b64.size()), '\0');
  auto n = fast_base64url_decode(b64, mutable_bytes(reinterpret_cast<byte*>(text.data()), text.size()));
  if (!n) return fail(n.error());
  return header::parse(std::move(text), lim);
}

// A base64url member of a JSON serialization; `required` members must be present.
[[nodiscard]] inline result<std::optional<std::string_view>> b64_member(const json& j, std::string_view name,
                                                                        bool required) {
  auto s = string_member(j, name);
  if (!s) return fail(s.error());
  if (required && !*s) return fail(errc::invalid_encoding);
  return *s;
}

// RFC 7516 §7.2.1 / RFC 7515 §7.2.1: the headers of one recipient or signature
// must not share a member name; their union is the JOSE header (as written).
[[nodiscard]] inline result<json> joint_header(std::initializer_list<const json*> parts) {
  json joint = json::object();
  for (const json* p : parts) {
    if (p == nullptr || p->is_null()) continue;
    if (!p->is_object()) return fail(errc::invalid_encoding);
    for (auto it = p->begin(); it != p->end(); ++it) {
      if (joint.contains(it.key())) return fail(errc::invalid_encoding);
      joint[it.key()] = it.value();
    }
  }
  return joint;
}
// The same for headers as read: the protected one and the unprotected ones
// of a JSON serialization (absent when null).
[[nodiscard]] inline result<header> joint_header(const header& protected_header, std::initializer_list<const json*> unprotected,
                                                 const limits& lim) {
  std::vector<header> parts;
  for (const json* u : unprotected) {
    if (u == nullptr) continue;
    auto h = header::from_json(*u, lim);
    if (!h) return fail(h.error());
    parts.push_back(std::move(*h));
  }
  if (parts.empty()) return protected_header;
  auto joint = header::join({&protected_header, &parts[0], parts.size() > 1 ? &parts[1] : nullptr});
  if (!joint) return fail(joint.error());
  return joint;
}

// RFC 7515 §4.1.11 and RFC 7516 §4.1.13: "crit" sits in the protected header, is a
// non-empty list of distinct extension names that the caller understands and
// that the header carries. RFC 7516 §4.1.3: "zip" is refused (m2msec inflates nothing).
[[nodiscard]] inline result<void> check_crit_and_zip(const header& joint, const header& protected_header,
                                                     const policy& pol) {
  if (joint.contains("zip")) return fail(errc::unsupported);
  if (!joint.contains("crit")) return {};
  if (!protected_header.contains("crit") || joint.type_of("crit") != header::kind::array)
    return fail(errc::invalid_encoding);
  const json crit = joint.value("crit");
  if (crit.empty()) return fail(errc::invalid_encoding);
  std::vector<std::string_view> seen;
  for (const auto& c : crit) {
    if (!c.is_string()) return fail(errc::invalid_encoding);
    const auto& name = c.get_ref<const std::string&>();
    for (auto r : registered_names)
      if (r == name) return fail(errc::invalid_encoding);
    for (auto s : seen)
      if (s == name) return fail(errc::invalid_encoding);
    seen.push_back(name);
    bool understood = false;
    for (const auto& u : pol.critical) understood = understood || u == name;
    if (!understood) return fail(errc::unsupported);
    if (!joint.contains(name)) return fail(errc::invalid_encoding);
  }
  return {};
}

// The "alg" of a joint header, checked against the policy. Names outside
// RFC 7518's set that m2msec implements (PBES2, RSA1_5, A*GCMKW, ...) are unsupported.
[[nodiscard]] inline result<alg> header_alg(const header& joint, const policy& pol) {
  auto name = joint.string("alg");
  if (!name) return fail(name.error());
  if (!*name) return fail(errc::invalid_encoding);
  const auto a = parse_alg(**name);
  if (!a) return fail(errc::unsupported);
  if (!pol.algs.contains(*a) || (*a == alg::none && !pol.allow_unsecured)) return fail(errc::alg_not_allowed);
  return *a;
}

}  // namespace detail
}  // namespace m2msec::jose
