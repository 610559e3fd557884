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
#include "m2msec/jose/header.hpp"
#include "m2msec/jose/refusal.hpp"

namespace m2msec::jose {

enum class serialization { compact, flattened, general };

// What a decoder accepts, decided before any key is touched.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
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
  if (base64url_decoded_size(b64.size()) > lim.max_header)
    return fail(refuse(errc::message_too_long, "protected", "longer than max_header"));
  std::string text(base64url_decoded_size(b64.size()), '\0');
  auto n = fast_base64url_decode(b64, mutable_bytes(reinterpret_cast<byte*>(text.data()), text.size()));
  if (!n) return fail(refuse(n.error(), "protected", "base64url"));
  auto h = header::parse(std::move(text), lim);
  if (!h) return fail(refuse(h.error(), "protected", "JSON object, no member twice"));
  return h;
}

// RFC 7515 §4.1.11 and RFC 7516 §4.1.13: "crit" sits in the protected header, is a
// non-empty list of distinct extension names that the caller understands and
// that the header carries. RFC 7516 §4.1.3: "zip" is refused (m2msec inflates nothing).
[[nodiscard]] inline result<void> check_crit_and_zip(const header& joint, const header& protected_header,
                                                     const policy& pol) {
  if (joint.contains("zip")) return fail(refuse(errc::unsupported, "zip", "not implemented"));
  if (!joint.contains("crit")) return {};
  if (!protected_header.contains("crit") || joint.type_of("crit") != header::kind::array)
    return fail(refuse(errc::invalid_encoding, "crit", "a list in the protected header"));
  // The list is read where it lies: its strings, nothing else.
  const std::string_view text = *joint.raw("crit");
  json_reader r(text);
  std::vector<std::string_view> seen;
  std::string scratch;
  scratch.reserve(text.size());  // unescaped names stay where seen points
  const bool read = r.array(0, 1, [&] {
    std::string_view name;
    if (r.peek() != '"' || !r.string(name, scratch)) return false;
    seen.push_back(name);
    return true;
  });
  if (!read || !r.at_end() || seen.empty()) return fail(refuse(errc::invalid_encoding, "crit", "a non-empty list of names"));
  for (std::size_t i = 0; i < seen.size(); ++i) {
    const std::string_view name = seen[i];
    for (auto reg : registered_names)
      if (reg == name) return fail(refuse(errc::invalid_encoding, "crit", "lists a registered name"));
    for (std::size_t j = 0; j < i; ++j)
      if (seen[j] == name) return fail(refuse(errc::invalid_encoding, "crit", "lists a name twice"));
    // RFC 7797's "b64" changes how the payload is read, which m2msec never does:
    // refused whatever the caller lists.
    if (name == "b64") return fail(refuse(errc::unsupported, "crit", "b64 (RFC 7797) not implemented"));
    bool understood = false;
    for (const auto& u : pol.critical) understood = understood || u == name;
    if (!understood) return fail(refuse(errc::unsupported, "crit", "an extension the caller does not understand"));
    if (!joint.contains(name)) return fail(refuse(errc::invalid_encoding, "crit", "lists a name the header lacks"));
  }
  return {};
}

// The "alg" of a joint header, checked against the policy. Names outside
// RFC 7518's set that m2msec implements (PBES2, RSA1_5, A*GCMKW, ...) are unsupported.
[[nodiscard]] inline result<alg> header_alg(const header& joint, const policy& pol) {
  auto name = joint.string("alg");
  if (!name) return fail(refuse(name.error(), "alg", "not a string"));
  if (!*name) return fail(refuse(errc::invalid_encoding, "alg", "missing"));
  const auto a = parse_alg(**name);
  if (!a) return fail(refuse(errc::unsupported, "alg", "not implemented"));
  if (!pol.algs.contains(*a) || (*a == alg::none && !pol.allow_unsecured))
    return fail(refuse(errc::alg_not_allowed, "alg", "not in the policy"));
  return *a;
}

}  // namespace detail
}  // namespace m2msec::jose
