// m2msec: JSON Web Signature (RFC 7515) with the algorithms of TS-0003 §8.5.3:
// HS256/384/512, ES256/384/512 (r || s, RFC 7518 §3.4), RS256/384/512.
// Compact, flattened and general JSON serializations. "alg":"none" only for an
// unsecured oneM2M token (TS-0003 §7.3.2.4), and only when the policy says so.
// RFC 7797 (unencoded payloads) is not supported: "b64" in "crit" is refused.
#pragma once

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "m2msec/backend/mac.hpp"
#include "m2msec/jose/common.hpp"
#include "m2msec/jose/jwk.hpp"

namespace m2msec::jose {

// One signer: its key, algorithm, extra protected members, and an unprotected
// header (JSON serializations only).
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct signer {
  const jwk* key = nullptr;
  alg algorithm = alg::hs256;
  json protected_header = nullptr;  // an object of extra members; null for none
  json header = nullptr;
};

// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct jws_signature {
  jose::header header;  // the joint header (protected ∪ unprotected)
  alg algorithm = alg::hs256;
  std::string signing_input;  // BASE64URL(protected) '.' BASE64URL(payload)
  byte_vector signature;
  // In a general JSON JWS, a signature whose entry broke a rule is kept with the
  // reason (and nothing else), so the others can still be judged.
  std::optional<errc> refused;
};

// A JWS whose structure and headers passed every check; no key touched yet.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct parsed_jws {
  serialization form = serialization::compact;
  byte_vector payload;
  std::vector<jws_signature> signatures;
};

// What became of one signature: verified by `key`, or why not (its entry was
// refused, no key has its kid, its algorithm is not one a key allows, or the
// signature is wrong).
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct signature_verdict {
  std::optional<errc> error;
  std::size_t key = 0;
  [[nodiscard]] explicit operator bool() const noexcept { return !error; }
};

// Which signatures of a JWS must verify: one (any), or every one (all). To require
// a named key, verify with that key alone.
enum class require { any, all };

// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct verified {
  byte_vector payload;
  jose::header header;
  std::size_t signature = 0;
  std::size_t key = 0;  // the index of the key that verified it
  std::vector<signature_verdict> verdicts;  // one per signature, in order
};

namespace detail {

template <class F>
[[nodiscard]] decltype(auto) with_signature_alg(alg a, F&& f) {
  using namespace crypto;
  switch (a) {
    case alg::es256: return f.template operator()<signature<ecdsa_p256_sha256>>();
    case alg::es384: return f.template operator()<signature<ecdsa_p384_sha384>>();
    case alg::es512: return f.template operator()<signature<ecdsa_p521_sha512>>();
    case alg::rs256: return f.template operator()<signature<rsa_pkcs1_sha256>>();
    case alg::rs384: return f.template operator()<signature<rsa_pkcs1_sha384>>();
    default: return f.template operator()<signature<rsa_pkcs1_sha512>>();
  }
}
template <class F>
[[nodiscard]] decltype(auto) with_hmac(alg a, F&& f) {
  switch (a) {
    case alg::hs256: return f.template operator()<crypto::sha256>();
    case alg::hs384: return f.template operator()<crypto::sha384>();
    default: return f.template operator()<crypto::sha512>();
  }
}

[[nodiscard]] inline result<byte_vector> sign_input(const jwk& key, alg a, std::string_view input) {
  if (is_hmac(a)) {
    return with_hmac(a, [&]<class H>() -> result<byte_vector> {
      const auto* m = key.hmac<H>();
      if (m == nullptr) return fail(errc::alg_not_allowed);
      byte_vector tag(H::size);
      if (auto r = m->compute(as_bytes(input), tag); !r) return fail(r.error());
      return tag;
    });
  }
  if (!key.has_private()) return fail(errc::invalid_key);
  return with_signature_alg(a, [&]<class S>() -> result<byte_vector> {
    byte_vector sig(S::max_signature_size);
    auto n = S::sign(key.private_part().expose(), as_bytes(input), sig);
    if (!n) return fail(n.error());
    sig.resize(*n);
    return sig;
  });
}

// Appends '.' and the encoded signature of `input` (all of `out`) to `out`;
// an HMAC tag goes through the stack rather than a vector.
[[nodiscard]] inline result<void> append_signature(const jwk& key, alg a, std::string& out) {
  if (is_hmac(a)) {
    return with_hmac(a, [&]<class H>() -> result<void> {
      const auto* m = key.hmac<H>();
      if (m == nullptr) return fail(errc::alg_not_allowed);
      std::array<byte, H::size> tag{};
      if (auto r = m->compute(as_bytes(out), tag); !r) return fail(r.error());
      out += '.';
      base64url_append(out, tag);
      return {};
    });
  }
  auto sig = sign_input(key, a, out);
  if (!sig) return fail(sig.error());
  out += '.';
  base64url_append(out, *sig);
  return {};
}

[[nodiscard]] inline result<void> verify_input(const jwk& key, alg a, std::string_view input, bytes_view sig) {
  if (is_hmac(a)) {
    return with_hmac(a, [&]<class H>() -> result<void> {
      const auto* m = key.hmac<H>();
      if (m == nullptr) return fail(errc::alg_not_allowed);
      if (auto r = m->verify(as_bytes(input), sig); !r) return fail(errc::auth_failed);
      return {};
    });
  }
  return with_signature_alg(a, [&]<class S>() -> result<void> {
    if (auto r = S::verify(key.public_part(), as_bytes(input), sig); !r) return fail(errc::auth_failed);
    return {};
  });
}

}  // namespace detail

// ---- signing -------------------------------------------------------------------------

[[nodiscard]] inline result<std::string> sign(bytes_view payload, std::span<const signer> signers,
                                              serialization form = serialization::compact) {
  if (signers.empty() || (form != serialization::general && signers.size() != 1)) return fail(errc::invalid_argument);
  // The protected header of one signer, written directly: "alg", "kid" (unless
  // given), then the caller's members.
  auto protected_text = [](const signer& s) -> result<std::string> {
    if (s.key == nullptr || !is_signature(s.algorithm)) return fail(errc::invalid_argument);
    if (!s.key->allows(s.algorithm)) return fail(errc::alg_not_allowed);
    const json& extra = s.protected_header;
    if (!extra.is_null() && (!extra.is_object() || extra.contains("alg"))) return fail(errc::invalid_argument);
    bool has_kid = extra.is_object() && extra.contains("kid");
    if (!s.header.is_null()) {
      auto joint = detail::joint_header({&s.protected_header, &s.header});
      if (!joint || joint->contains("alg")) return fail(errc::invalid_argument);
      has_kid = joint->contains("kid");
    }
    std::string prot;
    prot.reserve(32 + s.key->kid().size());
    prot = "{";
    append_string_member(prot, "alg", to_string(s.algorithm));
    if (!s.key->kid().empty() && !has_kid) append_string_member(prot, "kid", s.key->kid());
    append_members(prot, s.protected_header);
    prot += '}';
    return prot;
  };
  if (form == serialization::compact) {
    const signer& s = signers[0];
    if (!s.header.is_null()) return fail(errc::invalid_argument);
    auto prot = protected_text(s);
    if (!prot) return fail(prot.error());
    // One buffer: the signing input, then '.' and the signature.
    std::string out;
    out.reserve(base64url_encoded_size(prot->size()) + base64url_encoded_size(payload.size()) + 2 +
                base64url_encoded_size(crypto::rsa_max_modulus_bytes));
    base64url_append(out, as_bytes(*prot));
    out += '.';
    base64url_append(out, payload);
    if (auto r = detail::append_signature(*s.key, s.algorithm, out); !r) return fail(r.error());
    return out;
  }
  const std::string payload_b64 = fast_base64url_encode(payload);
  struct made {
    std::string prot_b64, sig_b64;
    const json* header;
  };
  std::vector<made> sigs;
  for (const auto& s : signers) {
    auto prot = protected_text(s);
    if (!prot) return fail(prot.error());
    std::string input = fast_base64url_encode(as_bytes(*prot));
    const std::size_t prot_len = input.size();
    input += '.';
    input += payload_b64;
    auto sig = detail::sign_input(*s.key, s.algorithm, input);
    if (!sig) return fail(sig.error());
    input.resize(prot_len);
    sigs.push_back({std::move(input), fast_base64url_encode(*sig), &s.header});
  }
  std::string out = "{";
  put_member(out, "payload", payload_b64, false);
  auto put_sig = [&](const made& m, bool comma) {
    put_member(out, "protected", m.prot_b64, comma);
    if (!m.header->is_null()) out += ",\"header\":" + m.header->dump();
    put_member(out, "signature", m.sig_b64);
  };
  if (form == serialization::general) {
    out += ",\"signatures\":[";
    for (std::size_t i = 0; i < sigs.size(); ++i) {
      out += i == 0 ? "{" : ",{";
      put_sig(sigs[i], false);
      out += '}';
    }
    out += ']';
  } else {
    put_sig(sigs[0], true);
  }
  out += '}';
  return out;
}

// One signer, compact unless told otherwise.
[[nodiscard]] inline result<std::string> sign(bytes_view payload, const jwk& key, alg a,
                                              json protected_header = nullptr,
                                              serialization form = serialization::compact) {
  const signer s{&key, a, std::move(protected_header), nullptr};
  return sign(payload, std::span<const signer>(&s, 1), form);
}

// RFC 7519 §6: an unsecured compact JWS ("alg":"none", empty signature).
[[nodiscard]] inline result<std::string> unsecured(bytes_view payload, json protected_header = json::object()) {
  if (!protected_header.is_object()) return fail(errc::invalid_argument);
  protected_header["alg"] = "none";
  return fast_base64url_encode(as_bytes(protected_header.dump())) + '.' + fast_base64url_encode(payload) + '.';
}

// ---- parsing ---------------------------------------------------------------------------

namespace detail {

[[nodiscard]] inline result<jws_signature> parse_signature(header prot, std::string_view prot_b64,
                                                           const json* unprotected, std::string_view payload_b64,
                                                           std::string_view sig_b64, const policy& pol) {
  // Without an unprotected header the protected one is the joint header.
  auto joint = unprotected == nullptr ? result<header>(std::move(prot)) : joint_header(prot, {unprotected}, pol.bounds);
  if (!joint) return fail(joint.error());
  if (auto c = check_crit_and_zip(*joint, unprotected == nullptr ? *joint : prot, pol); !c) return fail(c.error());
  auto a = header_alg(*joint, pol);
  if (!a) return fail(a.error());
  if (!is_signature(*a) && *a != alg::none) return fail(refuse(errc::alg_not_allowed, "alg", "not a signature algorithm"));
  if (auto kid = joint->string("kid"); !kid) return fail(refuse(kid.error(), "kid", "not a string"));
  auto sig = fast_base64url_decode(sig_b64);
  if (!sig) return fail(refuse(sig.error(), "signature", "base64url"));
  if ((*a == alg::none) != sig->empty()) return fail(refuse(errc::invalid_encoding, "signature", "empty exactly for none"));
  jws_signature s;
  s.header = std::move(*joint);
  s.algorithm = *a;
  s.signing_input.reserve(prot_b64.size() + 1 + payload_b64.size());
  s.signing_input = prot_b64;
  s.signing_input += '.';
  s.signing_input += payload_b64;
  s.signature = std::move(*sig);
  return s;
}

// The payload of a JWS: the one it carries, or (RFC 7515 Appendix F) the one the
// caller holds, when the JWS carries none: its encoding enters the signing input.
struct payload_source {
  const bytes_view* detached = nullptr;
  std::string encoded;  // BASE64URL(detached payload)

  result<std::string_view> take(std::string_view carried, parsed_jws& p) {
    if (detached == nullptr) {
      auto payload = fast_base64url_decode(carried);
      if (!payload) return fail(payload.error());
      p.payload = std::move(*payload);
      return carried;
    }
    if (!carried.empty()) return fail(errc::invalid_encoding);  // detached means absent
    p.payload.assign(detached->begin(), detached->end());
    encoded = base64url_encode(*detached);
    return std::string_view(encoded);
  }
};

[[nodiscard]] inline result<parsed_jws> parse_compact_jws(std::string_view text, const policy& pol,
                                                          payload_source src = {}) {
  auto parts = split<3>(text);
  if (!parts) return fail(refuse(parts.error(), "compact", "three parts"));
  auto prot = decode_header((*parts)[0], pol.bounds);
  if (!prot) return fail(prot.error());
  parsed_jws p;
  auto payload_b64 = src.take((*parts)[1], p);
  if (!payload_b64) return fail(payload_b64.error());
  auto s = parse_signature(std::move(*prot), (*parts)[0], nullptr, *payload_b64, (*parts)[2], pol);
  if (!s) return fail(s.error());
  p.signatures.push_back(std::move(*s));
  return p;
}

[[nodiscard]] inline result<parsed_jws> parse_json_jws(std::string_view text, const policy& pol,
                                                       payload_source src = {}) {
  if (auto shape = check_serialization_shape(text, pol.bounds, {"header"}, "signatures"); !shape)
    return fail(refuse(shape.error(), "json", "shape: strings, header objects, one signatures list"));
  auto doc = parse_object(text, pol.bounds.max_object, pol.bounds.max_depth + 3);
  if (!doc) return fail(doc.error());
  const json& j = *doc;
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "payload" && it.key() != "signatures" && it.key() != "protected" && it.key() != "header" &&
        it.key() != "signature")
      return fail(refuse(errc::invalid_encoding, "json", "a member RFC 7515 does not define"));
  // Detached: "payload" is absent or empty (RFC 7515 Appendix F).
  auto carried = b64_member(j, "payload", src.detached == nullptr);
  if (!carried) return fail(carried.error());
  parsed_jws p;
  auto payload_b64 = src.take(*carried ? **carried : std::string_view{}, p);
  if (!payload_b64) return fail(payload_b64.error());
  auto add = [&](const json& s) -> result<void> {
    if (!s.is_object()) return fail(errc::invalid_encoding);
    for (auto it = s.begin(); it != s.end(); ++it)
      if (it.key() != "protected" && it.key() != "header" && it.key() != "signature") return fail(errc::invalid_encoding);
    auto prot_b64 = b64_member(s, "protected", false);
    auto sig_b64 = b64_member(s, "signature", true);
    if (!prot_b64) return fail(prot_b64.error());
    if (!sig_b64) return fail(sig_b64.error());
    // RFC 7515 §7.2.1: "alg" must be protected for m2msec (no alg stripping by a relay).
    if (!*prot_b64) return fail(refuse(errc::policy_refused, "alg", "must be in the protected header"));
    auto prot = decode_header(**prot_b64, pol.bounds);
    if (!prot) return fail(prot.error());
    if (!prot->contains("alg")) return fail(refuse(errc::policy_refused, "alg", "must be in the protected header"));
    auto sig = parse_signature(std::move(*prot), **prot_b64, member(s, "header"), *payload_b64, **sig_b64, pol);
    if (!sig) return fail(sig.error());
    p.signatures.push_back(std::move(*sig));
    return {};
  };
  if (const json* list = member(j, "signatures")) {
    p.form = serialization::general;
    if (j.contains("protected") || j.contains("header") || j.contains("signature") || !list->is_array() ||
        list->empty())
      return fail(errc::invalid_encoding);
    if (list->size() > pol.bounds.max_recipients) return fail(errc::message_too_long);
    // Each signature is judged on its own: one that breaks a rule is kept as refused.
    std::optional<errc> first;
    for (const auto& s : *list) {
      if (auto r = add(s); !r) {
        jws_signature refused;
        refused.refused = r.error();
        p.signatures.push_back(std::move(refused));
        if (!first) first = r.error();
      }
    }
    if (first && std::all_of(p.signatures.begin(), p.signatures.end(), [](const auto& s) { return s.refused; }))
      return fail(*first);
  } else {
    p.form = serialization::flattened;
    json s = json::object();
    for (std::string_view k : {"protected", "header", "signature"})
      if (const json* m = member(j, k)) s[std::string(k)] = *m;
    if (auto r = add(s); !r) return fail(r.error());
  }
  return p;
}

}  // namespace detail

[[nodiscard]] inline result<parsed_jws> parse_jws(std::string_view text, const policy& pol = {}) {
  detail::start_refusals();
  if (text.size() > pol.bounds.max_object) return fail(detail::refuse(errc::message_too_long, "json", "max_object"));
  if (!text.empty() && text.front() == '{') return detail::parse_json_jws(text, pol);
  return detail::parse_compact_jws(text, pol);
}

// RFC 7515 Appendix F: a JWS whose payload travels apart (compact "header..signature",
// or JSON without "payload"): `payload` is the one the caller holds, signed as if
// carried. A JWS that carries a payload of its own is refused here (invalid_encoding).
[[nodiscard]] inline result<parsed_jws> parse_jws_detached(std::string_view text, bytes_view payload,
                                                           const policy& pol = {}) {
  detail::start_refusals();
  if (text.size() > pol.bounds.max_object || payload.size() > pol.bounds.max_object)
    return fail(detail::refuse(errc::message_too_long, "payload", "max_object"));
  detail::payload_source src{&payload, {}};
  if (!text.empty() && text.front() == '{') return detail::parse_json_jws(text, pol, std::move(src));
  return detail::parse_compact_jws(text, pol, std::move(src));
}

// ---- verification ------------------------------------------------------------------------

namespace detail {

// One signature against `keys`, by the same kid rules as decrypt(). An unsecured
// signature passes only if parse_jws() let it through (policy.allow_unsecured),
// alone, and `keys` is empty.
[[nodiscard]] inline signature_verdict check_signature(const jws_signature& s, std::span<const jwk* const> keys,
                                                       bool alone) {
  if (s.refused) return {s.refused, 0};
  if (s.algorithm == alg::none) {
    if (!keys.empty() || !alone) return {errc::alg_not_allowed, 0};
    return {};
  }
  bool wrong_alg = false, tried = false;
  auto kid = s.header.string("kid");
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const jwk& key = *keys[k];
    if (kid && *kid && key.kid() != **kid) continue;
    if (!key.allows(s.algorithm)) {
      wrong_alg = true;
      continue;
    }
    tried = true;
    if (verify_input(key, s.algorithm, s.signing_input, s.signature)) return {std::nullopt, k};
  }
  return {tried ? errc::auth_failed : wrong_alg ? errc::alg_not_allowed : errc::not_found, 0};
}

}  // namespace detail

// The verdict on every signature, in order (RFC 7515 §7.2: which must verify is
// the application's choice).
[[nodiscard]] inline std::vector<signature_verdict> check_each(const parsed_jws& p, std::span<const jwk* const> keys) {
  std::vector<signature_verdict> out;
  out.reserve(p.signatures.size());
  for (const auto& s : p.signatures) out.push_back(detail::check_signature(s, keys, p.signatures.size() == 1));
  return out;
}

// Succeeds when one signature (require::any) or every signature (require::all)
// verifies with one of `keys`; the verdicts on all of them come back either way
// they succeed. Failing, any gives the most telling reason (a wrong signature,
// then an algorithm no key allows, then a refused entry, then no key), all the
// first signature's that failed.
[[nodiscard]] inline result<verified> verify(parsed_jws&& p, std::span<const jwk* const> keys,
                                             require need = require::any) {
  auto verdicts = check_each(p, keys);
  std::optional<std::size_t> chosen;
  for (std::size_t i = 0; i < verdicts.size() && !chosen; ++i)
    if (verdicts[i]) chosen = i;
  if (need == require::all) {
    for (const auto& v : verdicts)
      if (!v) return fail(*v.error);
  }
  if (!chosen) {
    auto has = [&](errc e) {
      return std::any_of(verdicts.begin(), verdicts.end(), [&](const auto& v) { return v.error == e; });
    };
    if (has(errc::auth_failed)) return fail(errc::auth_failed);
    if (has(errc::alg_not_allowed)) return fail(errc::alg_not_allowed);
    for (const auto& s : p.signatures)
      if (s.refused) return fail(*s.refused);
    return fail(errc::not_found);
  }
  const std::size_t i = *chosen;
  const std::size_t key = verdicts[i].key;
  return verified{std::move(p.payload), std::move(p.signatures[i].header), i, key, std::move(verdicts)};
}

[[nodiscard]] inline result<verified> verify(parsed_jws&& p, std::span<const jwk> keys,
                                             require need = require::any) {
  std::vector<const jwk*> ptrs;
  for (const jwk& k : keys) ptrs.push_back(&k);
  return verify(std::move(p), ptrs, need);
}
[[nodiscard]] inline result<verified> verify(std::string_view text, std::span<const jwk> keys,
                                             const policy& pol = {}) {
  auto p = parse_jws(text, pol);
  if (!p) return fail(p.error());
  return verify(std::move(*p), keys);
}
[[nodiscard]] inline result<verified> verify(std::string_view text, const jwk& key, const policy& pol = {}) {
  return verify(text, std::span<const jwk>(&key, 1), pol);
}
// The same for a detached payload (parse_jws_detached).
[[nodiscard]] inline result<verified> verify_detached(std::string_view text, bytes_view payload,
                                                      std::span<const jwk> keys, const policy& pol = {}) {
  auto p = parse_jws_detached(text, payload, pol);
  if (!p) return fail(p.error());
  return verify(std::move(*p), keys);
}
[[nodiscard]] inline result<verified> verify_detached(std::string_view text, bytes_view payload, const jwk& key,
                                                      const policy& pol = {}) {
  return verify_detached(text, payload, std::span<const jwk>(&key, 1), pol);
}

}  // namespace m2msec::jose
