// m2msec: ESData, end-to-end security of data (TS-0003 §8.5, TS-0001 §11.4.1):
// all of one attribute value, e.g. `con` of a <contentInstance>, protected by
// its Source for one or more Targets with JOSE. Encryption-only (direct mode for
// a single key; encrypted-key mode with AES-KW, ECDH-ES or RSA-OAEP-256 for one
// or more recipients), signature-only (HMAC or a digital signature), or nested
// sign-then-encrypt. The contentInfo attribute says which (TS-0004 §6.3.3).
//
// Every key is a bound_key: a JWK reached only through a checked use of a security
// association whose lifetime is the validity of the data it protects, capped
// strictly below the credential the key came from (TS-0001 §11.3.2), and only for
// the usage its credential was provisioned for: encryption keys (SUID x4) encrypt
// and decrypt, signature keys (x5) sign and verify; the signature inside a nested
// sign-then-encrypt object may use either (decision A14).
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "m2msec/jose/jwe.hpp"
#include "m2msec/jose/jws.hpp"
#include "m2msec/e2e/bound_jwk.hpp"

namespace m2msec::esdata {

using jose::json;

// TS-0004 §6.3.4.2.38 m2m:contentSecurity.
enum class content_security : std::uint8_t {
  none = 0, jose_compact = 1, jose_json = 2, jose_json_base64 = 3, xml = 4, xml_base64 = 5,
};

// TS-0004 §6.3.3: contentInfo = <mediaType>:<encodingType>[:<contentSecurity>],
// e.g. "application/json:0:1".
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct content_info {
  std::string media_type;
  int encoding_type = 0;  // m2m:encodingType: 0 plain, 1 base64 on a string, 2 base64 on binary
  content_security security = content_security::none;

  [[nodiscard]] std::string str() const {
    std::string s = media_type + ":" + std::to_string(encoding_type);
    if (security != content_security::none) s += ":" + std::to_string(static_cast<int>(security));
    return s;
  }
  [[nodiscard]] static result<content_info> parse(std::string_view s) {
    const std::size_t a = s.rfind(':');
    if (a == std::string_view::npos || a + 2 != s.size()) return fail(errc::invalid_encoding);
    content_info ci;
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    std::string_view rest = s.substr(0, a);
    int last = s[a + 1] - '0';
    if (!digit(s[a + 1])) return fail(errc::invalid_encoding);
    // Two or three fields: the media type itself contains '/' but no ':'.
    if (const std::size_t b = rest.rfind(':'); b != std::string_view::npos && b + 2 == rest.size() && digit(rest[b + 1])) {
      ci.encoding_type = rest[b + 1] - '0';
      if (last > 5) return fail(errc::invalid_encoding);
      ci.security = static_cast<content_security>(last);
      rest = rest.substr(0, b);
    } else {
      ci.encoding_type = last;
    }
    if (ci.encoding_type > 2 || rest.empty() || rest.find(':') != std::string_view::npos ||
        rest.find('/') == std::string_view::npos)
      return fail(errc::invalid_encoding);
    ci.media_type = std::string(rest);
    return ci;
  }
};

// A JWK bound to an SA: the key may be used only within the SA's lifetime and
// limits, and only for its credential's usage.
using bound_key = e2e::bound_jwk;
using e2e::encryption_usage;
using e2e::nested_signature_usage;
using e2e::signature_usage;

// TS-0003 §8.5: an ESData key lives as long as the data it protects. The SA runs
// over `data_validity`, cut to end strictly before the credential the key belongs
// to; refused if the credential is not valid now.
template <credential C, clock Clock>
[[nodiscard]] result<bound_key> bind(jose::jwk key, const C& cred, security_association::parties who,
                                     validity data_validity, const Clock& clk, usage_limits limits = {}) {
  return bound_key::create(std::move(key), std::move(who), cred, requested_lifetime::data(data_validity), limits, clk);
}


// How to protect a value. No recipients: signature-only. A signer and
// recipients: nested sign-then-encrypt (the JWS compact is the JWE plaintext,
// "cty":"JOSE", RFC 7516 §A.4 style).
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct recipient {
  bound_key* key = nullptr;
  jose::alg algorithm = jose::alg::a256kw;
};
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct protection {
  std::vector<recipient> recipients{};
  jose::enc encryption = jose::enc::a256gcm;
  bound_key* signer = nullptr;
  jose::alg signature = jose::alg::es256;
  content_security form = content_security::jose_compact;
};

// A protected attribute value and the contentInfo that goes with it.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct sealed_value {
  std::string value;
  std::string content_info;
};

// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct opened_value {
  byte_vector data;
  content_info info;     // as received (security code included)
  bool encrypted = false;
  bool signed_ = false;
};

// What the Target requires, and which keys it holds.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct expectation {
  std::span<bound_key* const> decryption_keys{};
  std::span<bound_key* const> verification_keys{};
  bool require_encryption = false;
  bool require_signature = false;
  jose::policy policy{};
};

namespace detail {
inline bool is_json_form(content_security f) {
  return f == content_security::jose_json || f == content_security::jose_json_base64;
}
// Verifies a parsed JWS with the verification keys usable now and counts the use.
template <clock Clock>
result<byte_vector> verify_with(jose::parsed_jws&& s, std::span<bound_key* const> keys, usages wanted,
                                const Clock& clk) {
  std::vector<bound_key*> signers;
  const auto vkeys = e2e::usable(keys, wanted, clk, signers);
  auto v = jose::verify(std::move(s), vkeys);
  if (!v) return fail(v.error());
  if (v->key >= signers.size()) return fail(errc::auth_failed);  // an unsecured JWS proves nothing here
  if (auto u = signers[v->key]->use(wanted, clk, v->payload.size()); !u) return fail(u.error());
  return std::move(v->payload);
}
}  // namespace detail

// TS-0003 §8.5.2: protects `data` (of media type `media_type`) for the
// recipients, signing first if a signer is given. The contentInfo names the
// media type, encoding 0 and the security code of `how.form`.
template <clock Clock>
[[nodiscard]] result<sealed_value> protect(bytes_view data, std::string_view media_type, const protection& how,
                                           const Clock& clk) {
  if (how.form == content_security::none || how.form == content_security::xml ||
      how.form == content_security::xml_base64)
    return fail(errc::unsupported);
  if (how.recipients.empty() && how.signer == nullptr) return fail(errc::invalid_argument);
  if (how.form == content_security::jose_compact && how.recipients.size() > 1) return fail(errc::invalid_argument);
  const auto json_form = how.recipients.size() > 1 ? jose::serialization::general : jose::serialization::flattened;
  const auto form = detail::is_json_form(how.form) ? json_form : jose::serialization::compact;

  std::string out;
  // Every key is checked (usage, SA, limits) before any is counted, so a
  // refusal leaves every key as it was; a key listed twice is refused.
  const bool nested = how.signer != nullptr && !how.recipients.empty();
  const usages signing = nested ? nested_signature_usage : usages(signature_usage);
  for (std::size_t i = 0; i < how.recipients.size(); ++i) {
    const bound_key* k = how.recipients[i].key;
    if (k == nullptr) return fail(errc::invalid_argument);
    for (std::size_t j = 0; j < i; ++j)
      if (how.recipients[j].key == k) return fail(errc::invalid_argument);
    if (auto c = k->check(encryption_usage, clk, data.size()); !c) return fail(c.error());
  }
  if (how.signer != nullptr)
    if (auto c = how.signer->check(signing, clk, data.size()); !c) return fail(c.error());
  std::vector<jose::recipient> to;
  for (const auto& r : how.recipients) {
    auto g = r.key->use(encryption_usage, clk, data.size());
    if (!g) return fail(g.error());
    to.push_back({&g->key(), r.algorithm, nullptr});
  }
  if (how.signer != nullptr) {
    auto g = how.signer->use(signing, clk, data.size());
    if (!g) return fail(g.error());
    // The inner JWS of a nested object is compact whatever the outer form.
    auto s = jose::sign(data, g->key(), how.signature, json{{"cty", media_type}},
                        how.recipients.empty() ? form : jose::serialization::compact);
    if (!s) return fail(s.error());
    out = std::move(*s);
  }
  if (!how.recipients.empty()) {
    jose::jwe_options o;
    o.encryption = how.encryption;
    o.form = form;
    o.protected_header = how.signer != nullptr ? json{{"cty", "JOSE"}} : json{{"cty", media_type}};
    auto e = jose::encrypt(how.signer != nullptr ? as_bytes(out) : data, to, o);
    if (!e) return fail(e.error());
    out = std::move(*e);
  }
  if (how.form == content_security::jose_json_base64) out = jose::base64_encode(as_bytes(out));
  return sealed_value{std::move(out), content_info{std::string(media_type), 0, how.form}.str()};
}

// TS-0004 §6.3.3 NOTE: undoes ESData first (then the caller undoes the
// transfer encoding and reads the media type). Values with security code 0
// come back as they are, unless the expectation requires protection.
template <clock Clock>
[[nodiscard]] result<opened_value> unprotect(std::string_view value, std::string_view content_info_text,
                                             const expectation& want, const Clock& clk) {
  auto ci = content_info::parse(content_info_text);
  if (!ci) return fail(ci.error());
  opened_value out;
  out.info = *ci;
  switch (ci->security) {
    case content_security::none:
      if (want.require_encryption || want.require_signature) return fail(errc::auth_failed);
      out.data.assign(value.begin(), value.end());
      return out;
    case content_security::xml:
    case content_security::xml_base64: return fail(errc::unsupported);
    default: break;
  }
  std::string text;
  if (ci->security == content_security::jose_json_base64) {
    if (value.size() > want.policy.bounds.max_object * 4 / 3 + 4) return fail(errc::message_too_long);
    auto raw = jose::base64_decode(value);
    if (!raw) return fail(raw.error());
    text.assign(raw->begin(), raw->end());
    value = text;
  }
  const bool json_text = !value.empty() && value.front() == '{';
  if (json_text != detail::is_json_form(ci->security)) return fail(errc::invalid_encoding);

  // A JWE has five compact parts or "ciphertext"; anything else is a JWS.
  const bool is_jwe = json_text ? value.find("\"ciphertext\"") != std::string_view::npos
                                : jose::is_compact_jwe(value);
  byte_vector payload;
  if (is_jwe) {
    auto p = jose::parse_jwe(value, want.policy);
    if (!p) return fail(p.error());
    std::vector<bound_key*> which;
    const auto keys = e2e::usable(want.decryption_keys, encryption_usage, clk, which);
    auto d = jose::decrypt(std::move(*p), keys);
    if (!d) return fail(d.error());
    if (auto u = which[d->key]->use(encryption_usage, clk, d->plaintext.size()); !u) {
      ct::wipe(d->plaintext);
      return fail(u.error());
    }
    out.encrypted = true;
    auto cty = jose::string_member(d->header, "cty");
    if (cty && *cty && **cty == "JOSE") {
      const std::string inner(d->plaintext.begin(), d->plaintext.end());
      ct::wipe(d->plaintext);
      auto s = jose::parse_jws(inner, want.policy);
      if (!s || s->form != jose::serialization::compact) return fail(s ? errc::invalid_encoding : s.error());
      auto v = detail::verify_with(std::move(*s), want.verification_keys, nested_signature_usage, clk);
      if (!v) return fail(v.error());
      out.signed_ = true;
      payload = std::move(*v);
    } else {
      payload = std::move(d->plaintext);
    }
  } else {
    auto s = jose::parse_jws(value, want.policy);
    if (!s) return fail(s.error());
    auto v = detail::verify_with(std::move(*s), want.verification_keys, signature_usage, clk);
    if (!v) return fail(v.error());
    out.signed_ = true;
    payload = std::move(*v);
  }
  if ((want.require_encryption && !out.encrypted) || (want.require_signature && !out.signed_)) {
    ct::wipe(payload);
    return fail(errc::auth_failed);
  }
  out.data = std::move(payload);
  return out;
}

}  // namespace m2msec::esdata
