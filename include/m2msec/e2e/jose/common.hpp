// m2msec: what JWE and JWS share: the decoding policy, header rules (crit, zip,
// disjoint members), compact splitting, and AES-GCM by "enc".
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "m2msec/crypto/aead.hpp"
#include "m2msec/crypto/random.hpp"
#include "m2msec/e2e/jose/algorithms.hpp"
#include "m2msec/e2e/jose/base64url.hpp"
#include "m2msec/e2e/jose/json.hpp"
#include "m2msec/e2e/jose/jwk.hpp"

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
// The members of a JSON object (its text without the braces), appended after a comma.
inline void append_members(std::string& out, const json& obj) {
  if (!obj.is_object() || obj.empty()) return;
  const std::string text = obj.dump();
  if (out.size() > 1) out += ',';
  out.append(text, 1, text.size() - 2);
}

// ---- AES-GCM by "enc" (RFC 7518 §5.3): 96-bit IV, 128-bit tag ------------------
inline constexpr std::size_t iv_size = 12, tag_size = 16;

template <class F>
[[nodiscard]] decltype(auto) with_gcm(enc e, F&& f) {
  switch (e) {
    case enc::a128gcm: return f.template operator()<crypto::aead<crypto::aes128_gcm>>();
    case enc::a192gcm: return f.template operator()<crypto::aead<crypto::aes192_gcm>>();
    default:
      // libsodium's AES-256-GCM is the fastest measured where the CPU has AES-NI.
      if (crypto::aead<crypto::aes256_gcm, backend::sodium>::available())
        return f.template operator()<crypto::aead<crypto::aes256_gcm, backend::sodium>>();
      return f.template operator()<crypto::aead<crypto::aes256_gcm, backend::botan>>();
  }
}

// Writes ciphertext || tag (in.size() + tag_size bytes) into sealed. Each CEK
// serves one message, so a backend that can key per call does so.
[[nodiscard]] inline result<void> gcm_seal(enc e, bytes_view key, bytes_view iv, bytes_view aad, bytes_view in,
                                           mutable_bytes sealed) {
  if (key.size() != key_size(e)) return fail(errc::invalid_key_size);
  return with_gcm(e, [&]<class A>() -> result<void> {
    if constexpr (requires { A::seal_once(key, sealed, iv, aad, in); }) {
      if (auto n = A::seal_once(key, sealed, iv, aad, in); !n) return fail(n.error());
      return {};
    }
    auto a = A::create(key);
    if (!a) return fail(a.error());
    auto n = a->seal(sealed, iv, aad, in);
    if (!n) return fail(n.error());
    return {};
  });
}

// Opens ciphertext || tag held in `sealed`, in place; returns the plaintext length.
// On failure the buffer is zeroed.
[[nodiscard]] inline result<std::size_t> gcm_open(enc e, bytes_view key, bytes_view iv, bytes_view aad,
                                                  mutable_bytes sealed) {
  if (key.size() != key_size(e)) return fail(errc::auth_failed);
  return with_gcm(e, [&]<class A>() -> result<std::size_t> {
    if constexpr (requires { A::open_once(key, sealed, iv, aad, sealed); }) {
      auto n = A::open_once(key, sealed, iv, aad, sealed);
      if (!n) {
        ct::wipe(sealed);
        return fail(errc::auth_failed);
      }
      return *n;
    }
    auto a = A::create(key);
    if (!a) return fail(a.error());
    auto n = a->open(sealed, iv, aad, sealed);
    if (!n) {
      ct::wipe(sealed);
      return fail(errc::auth_failed);
    }
    return *n;
  });
}

}  // namespace detail
}  // namespace m2msec::jose
