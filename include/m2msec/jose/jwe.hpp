// m2msec: JSON Web Encryption (RFC 7516) with the algorithms of TS-0003 §8.5.3:
// alg dir, A128KW/A192KW/A256KW, ECDH-ES and ECDH-ES+A*KW (P-256/384/521,
// Concat KDF), RSA-OAEP-256; enc A128GCM/A192GCM/A256GCM. Compact, flattened
// and general JSON serializations, one or more recipients.
//
// Decoding is split in two: parse_jwe() checks the structure, sizes, headers and
// algorithms against the caller's policy without touching a key; decrypt() then
// unwraps the CEK and opens the ciphertext. No plaintext leaves on failure.
// This layer allocates (JSON headers, the output string).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "m2msec/backend/keywrap.hpp"
#include "m2msec/backend/public_random.hpp"
#include "m2msec/jose/common.hpp"
#include "m2msec/jose/gcm.hpp"
#include "m2msec/jose/jwk.hpp"

namespace m2msec::jose {

// One recipient: its key, the algorithm for it, and extra members for its
// per-recipient unprotected header (JSON serializations only).
struct recipient {
  const jwk* key = nullptr;
  alg algorithm = alg::dir;
  json header = nullptr;
};

struct jwe_options {
  enc encryption = enc::a256gcm;
  json protected_header = json::object();  // extra members: kid, cty, typ, apu, apv, ...
  json unprotected = nullptr;              // the shared unprotected header (JSON serializations)
  std::string aad{};                       // external additional authenticated data (JSON serializations)
  serialization form = serialization::compact;
};

// One recipient as parsed: its joint header (protected ∪ shared ∪ its own),
// algorithm and encrypted key.
struct jwe_recipient {
  jose::header header;
  alg algorithm = alg::dir;
  byte_vector encrypted_key;
};

// A JWE whose structure and headers passed every check; no key touched yet.
struct parsed_jwe {
  serialization form = serialization::compact;
  jose::header protected_header;  // as sent, authenticated
  enc encryption = enc::a256gcm;
  std::vector<jwe_recipient> recipients;
  byte_vector iv;
  byte_vector sealed;  // ciphertext || tag, so it opens in place
  std::string aad;     // the AEAD's AAD: BASE64URL(protected) [ '.' BASE64URL(aad) ]
};

struct decrypted {
  byte_vector plaintext;
  jose::header header;  // the joint header of the recipient that matched
  std::size_t recipient = 0;
  std::size_t key = 0;  // the index of the key that opened it
};

namespace detail {

inline void put_be32(byte_vector& v, std::uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<byte>(x >> s));
}

// RFC 7518 §4.6.2: the key from Z, for ECDH-ES (AlgorithmID = enc, the CEK)
// or ECDH-ES+A*KW (AlgorithmID = alg, the KEK).
[[nodiscard]] inline result<void> ecdh_es_kdf(alg a, enc e, bytes_view z, std::optional<std::string_view> apu,
                                              std::optional<std::string_view> apv, mutable_bytes out) {
  byte_vector info;
  const std::string_view id = a == alg::ecdh_es ? to_string(e) : to_string(a);
  put_be32(info, static_cast<std::uint32_t>(id.size()));
  info.insert(info.end(), id.begin(), id.end());
  for (const auto& party : {apu, apv}) {
    byte_vector v;
    if (party) {
      if (party->size() > 1024) return fail(errc::message_too_long);
      auto d = fast_base64url_decode(*party);
      if (!d) return fail(d.error());
      v = std::move(*d);
    }
    put_be32(info, static_cast<std::uint32_t>(v.size()));
    info.insert(info.end(), v.begin(), v.end());
  }
  put_be32(info, static_cast<std::uint32_t>(out.size() * 8));
  return backend::botan_jose::concat_kdf_sha256(z, info, out);
}

template <class F>
[[nodiscard]] decltype(auto) with_kw(std::size_t size, F&& f) {
  switch (size) {
    case 16: return f.template operator()<crypto::keywrap<crypto::aes128_kw>>();
    case 24: return f.template operator()<crypto::keywrap<crypto::aes192_kw>>();
    default: return f.template operator()<crypto::keywrap<crypto::aes256_kw>>();
  }
}
[[nodiscard]] inline result<byte_vector> kw_wrap(bytes_view kek, bytes_view cek) {
  return with_kw(kek.size(), [&]<class W>() -> result<byte_vector> {
    auto w = W::create(kek);
    if (!w) return fail(w.error());
    byte_vector out(cek.size() + W::overhead);
    auto n = w->wrap(out, cek);
    if (!n) return fail(n.error());
    return out;
  });
}
[[nodiscard]] inline result<void> kw_unwrap(bytes_view kek, bytes_view wrapped, wiped<32>& cek) {
  if (wrapped.size() != cek.size + 8) return fail(errc::auth_failed);
  return with_kw(kek.size(), [&]<class W>() -> result<void> {
    auto w = W::create(kek);
    if (!w) return fail(w.error());
    auto n = w->unwrap(cek.span(), wrapped);
    if (!n || *n != cek.size) return fail(errc::auth_failed);
    return {};
  });
}

// The sender's half of ECDH-ES: a fresh key on the recipient's curve, its
// public JWK for "epk", and Z.
[[nodiscard]] inline result<json> ecdh_sender(const jwk& to, wiped<66>& z) {
  return jwk_detail::with_curve(to.crv(), [&]<class C>(C) -> result<json> {
    using ka = crypto::key_agreement<C>;
    auto eph = ka::generate();
    if (!eph) return fail(eph.error());
    z.size = ka::shared_size;
    if (auto r = ka::agree(eph->private_key.expose(), to.public_part(), z.span()); !r) return fail(r.error());
    auto epk = jwk::ec(to.crv(), std::move(eph->public_key), std::nullopt, alg_set{alg::ecdh_es});
    if (!epk) return fail(epk.error());
    json j = epk->to_json();
    j.erase("alg");
    return j;
  });
}

// The "apu" and "apv" strings of a header, for the Concat KDF.
template <class Header>
[[nodiscard]] inline result<std::array<std::optional<std::string_view>, 2>> parties(const Header& h) {
  auto apu = string_member(h, "apu");
  auto apv = string_member(h, "apv");
  if (!apu) return fail(apu.error());
  if (!apv) return fail(apv.error());
  return std::array{*apu, *apv};
}

// RFC 7518 §4.6.1.1: "epk" is a public EC key on a curve m2msec has, and on it.
[[nodiscard]] inline result<jwk> parse_epk(const header& joint, alg a) {
  if (joint.type_of("epk") != header::kind::object) return fail(errc::invalid_encoding);
  json copy = joint.value("epk");
  if (copy.contains("d")) return fail(errc::invalid_encoding);
  copy.erase("alg");
  copy.erase("use");
  auto epk = jwk::from_json(copy, alg_set{a});
  if (!epk) return fail(epk.error());
  if (epk->type() != kty::ec) return fail(errc::invalid_key);
  return epk;
}

// The recipient's half: Z from our private key and the sender's "epk".
[[nodiscard]] inline result<void> ecdh_recipient(const jwk& ours, const header& joint, alg a, wiped<66>& z) {
  auto epk = parse_epk(joint, a);
  if (!epk) return fail(epk.error());
  if (epk->crv() != ours.crv()) return fail(errc::invalid_key);
  return jwk_detail::with_curve(ours.crv(), [&]<class C>(C) -> result<void> {
    using ka = crypto::key_agreement<C>;
    z.size = ka::shared_size;
    return ka::agree(ours.private_part().expose(), epk->public_part(), z.span());
  });
}

// Sender: makes the CEK (direct algorithms) or wraps it (the others) for one
// recipient; members the recipient needs ("epk") go into `header`.
[[nodiscard]] inline result<byte_vector> key_for_recipient(const jwk& key, alg a, enc e, wiped<32>& cek,
                                                           json& header, const json& joint) {
  switch (a) {
    case alg::dir:
      if (key.private_part().size() != cek.size) return fail(errc::invalid_key_size);
      std::memcpy(cek.bytes.data(), key.private_part().expose().data(), cek.size);
      return byte_vector{};
    case alg::a128kw: case alg::a192kw: case alg::a256kw:
      return kw_wrap(key.private_part().expose(), cek.view());
    case alg::rsa_oaep_256: {
      byte_vector out(crypto::rsa_max_modulus_bytes);
      auto n = crypto::key_encryption<crypto::rsa_oaep_sha256>::encrypt(key.public_part(), {}, cek.view(), out);
      if (!n) return fail(n.error());
      out.resize(*n);
      return out;
    }
    default: {  // ECDH-ES, ECDH-ES+A*KW
      wiped<66> z;
      auto epk = ecdh_sender(key, z);
      if (!epk) return fail(epk.error());
      header["epk"] = std::move(*epk);
      auto p = parties(joint);
      if (!p) return fail(p.error());
      if (a == alg::ecdh_es) {
        if (auto r = ecdh_es_kdf(a, e, z.view(), (*p)[0], (*p)[1], cek.span()); !r) return fail(r.error());
        return byte_vector{};
      }
      wiped<32> kek;
      kek.size = wrap_key_size(a);
      if (auto r = ecdh_es_kdf(a, e, z.view(), (*p)[0], (*p)[1], kek.span()); !r) return fail(r.error());
      return kw_wrap(kek.view(), cek.view());
    }
  }
}

// Recipient: the CEK from this recipient's encrypted key, or an error.
[[nodiscard]] inline result<void> cek_for_recipient(const jwk& key, const jwe_recipient& r, enc e, wiped<32>& cek) {
  cek.size = key_size(e);
  switch (r.algorithm) {
    case alg::dir:
      if (key.private_part().size() != cek.size) return fail(errc::auth_failed);
      std::memcpy(cek.bytes.data(), key.private_part().expose().data(), cek.size);
      return {};
    case alg::a128kw: case alg::a192kw: case alg::a256kw:
      return kw_unwrap(key.private_part().expose(), r.encrypted_key, cek);
    case alg::rsa_oaep_256: {
      wiped<crypto::rsa_max_modulus_bytes> out;
      out.size = out.bytes.size();
      auto n = crypto::key_encryption<crypto::rsa_oaep_sha256>::decrypt(key.private_part().expose(), {},
                                                                        r.encrypted_key, out.span());
      if (!n || *n != cek.size) return fail(errc::auth_failed);
      std::memcpy(cek.bytes.data(), out.bytes.data(), cek.size);
      return {};
    }
    default: {
      wiped<66> z;
      if (auto z_ok = ecdh_recipient(key, r.header, r.algorithm, z); !z_ok) return fail(z_ok.error());
      auto p = parties(r.header);
      if (!p) return fail(p.error());
      if (r.algorithm == alg::ecdh_es) return ecdh_es_kdf(r.algorithm, e, z.view(), (*p)[0], (*p)[1], cek.span());
      wiped<32> kek;
      kek.size = wrap_key_size(r.algorithm);
      if (auto k = ecdh_es_kdf(r.algorithm, e, z.view(), (*p)[0], (*p)[1], kek.span()); !k) return fail(k.error());
      return kw_unwrap(kek.view(), r.encrypted_key, cek);
    }
  }
}

[[nodiscard]] constexpr bool is_direct(alg a) noexcept { return a == alg::dir || a == alg::ecdh_es; }

}  // namespace detail

// ---- encryption ---------------------------------------------------------------------

[[nodiscard]] inline result<std::string> encrypt(bytes_view plaintext, std::span<const recipient> to,
                                                 const jwe_options& opt = {}) {
  const enc e = opt.encryption;
  if (to.empty()) return fail(errc::invalid_argument);
  const bool compact = opt.form == serialization::compact;
  if (opt.form != serialization::general && to.size() != 1) return fail(errc::invalid_argument);
  if (compact && (!opt.unprotected.is_null() || !opt.aad.empty() || !to[0].header.is_null()))
    return fail(errc::invalid_argument);
  if (!opt.protected_header.is_object() || opt.protected_header.contains("alg") ||
      opt.protected_header.contains("enc") || opt.protected_header.contains("zip"))
    return fail(errc::invalid_argument);
  for (const auto& r : to) {
    if (r.key == nullptr || !is_encryption(r.algorithm)) return fail(errc::invalid_argument);
    if (!r.key->allows(r.algorithm)) return fail(errc::alg_not_allowed);
    if (detail::is_direct(r.algorithm) && to.size() != 1) return fail(errc::invalid_argument);
  }

  json prot = opt.protected_header;
  prot["enc"] = std::string(to_string(e));
  detail::wiped<32> cek;
  cek.size = key_size(e);
  if (!detail::is_direct(to[0].algorithm))
    if (auto r = crypto::rng<>::fill(cek.span()); !r) return fail(r.error());

  std::vector<json> headers(to.size());
  std::vector<byte_vector> keys(to.size());
  for (std::size_t i = 0; i < to.size(); ++i) {
    json& h = compact ? prot : headers[i];
    if (!compact) h = to[i].header.is_null() ? json::object() : to[i].header;
    if (!h.is_object()) return fail(errc::invalid_argument);
    h["alg"] = std::string(to_string(to[i].algorithm));
    auto joint = detail::joint_header({compact ? nullptr : &prot, &opt.unprotected, &h});
    if (!joint) return fail(errc::invalid_argument);
    if (!to[i].key->kid().empty() && !joint->contains("kid")) h["kid"] = to[i].key->kid();
    auto k = detail::key_for_recipient(*to[i].key, to[i].algorithm, e, cek, h, *joint);
    if (!k) return fail(k.error());
    keys[i] = std::move(*k);
  }

  std::string out;
  const std::string prot_text = prot.dump();
  const std::string prot_b64 = fast_base64url_encode(as_bytes(prot_text));
  std::string aad = prot_b64;
  if (!opt.aad.empty()) {
    aad += '.';
    base64url_append(aad, as_bytes(opt.aad));
  }
  std::array<byte, iv_size> iv{};
  if (auto r = crypto::public_random::fill(iv); !r) return fail(r.error());
  // Uninitialised: every byte is written by the AEAD (no memset of a megabyte).
  const std::size_t sealed_size = plaintext.size() + tag_size;
  const std::unique_ptr<byte[]> sealed_bytes(new byte[sealed_size]);
  const mutable_bytes sealed(sealed_bytes.get(), sealed_size);
  if (auto r = gcm_seal(e, cek.view(), iv, as_bytes(aad), plaintext, sealed); !r) return fail(r.error());
  const bytes_view ciphertext(sealed.data(), plaintext.size());
  const bytes_view tag(sealed.data() + plaintext.size(), tag_size);

  if (compact) {
    out.reserve(prot_b64.size() + base64url_encoded_size(keys[0].size()) + base64url_encoded_size(sealed.size()) + 24);
    out = prot_b64;
    out += '.';
    base64url_append(out, keys[0]);
    out += '.';
    base64url_append(out, iv);
    out += '.';
    base64url_append(out, ciphertext);
    out += '.';
    base64url_append(out, tag);
    return out;
  }
  out.reserve(base64url_encoded_size(sealed.size()) + aad.size() + 256 * to.size());
  out = "{";
  put_member(out, "protected", prot_b64, false);
  if (!opt.unprotected.is_null()) out += ",\"unprotected\":" + opt.unprotected.dump();
  auto put_recipient = [&](std::size_t i, bool comma) {
    if (comma) out += ',';
    out += "\"header\":" + headers[i].dump();
    if (!keys[i].empty()) put_member(out, "encrypted_key", fast_base64url_encode(keys[i]));
  };
  if (opt.form == serialization::general) {
    out += ",\"recipients\":[";
    for (std::size_t i = 0; i < to.size(); ++i) {
      out += i == 0 ? "{" : ",{";
      put_recipient(i, false);
      out += '}';
    }
    out += ']';
  } else {
    put_recipient(0, true);
  }
  if (!opt.aad.empty()) put_member(out, "aad", fast_base64url_encode(as_bytes(opt.aad)));
  put_member(out, "iv", fast_base64url_encode(iv));
  out += ",\"ciphertext\":\"";
  base64url_append(out, ciphertext);
  out += '"';
  put_member(out, "tag", fast_base64url_encode(tag));
  out += '}';
  return out;
}

// One recipient.
[[nodiscard]] inline result<std::string> encrypt(bytes_view plaintext, const jwk& key, alg a,
                                                 const jwe_options& opt = {}) {
  const recipient r{&key, a, nullptr};
  return encrypt(plaintext, std::span<const recipient>(&r, 1), opt);
}

// ---- parsing ----------------------------------------------------------------------------

namespace detail {

// Decodes the ciphertext and tag straight into parsed.sealed.
[[nodiscard]] inline result<void> decode_body(parsed_jwe& p, std::string_view iv, std::string_view ciphertext,
                                              std::string_view tag) {
  auto v = fast_base64url_decode(iv);
  if (!v) return fail(v.error());
  if (v->size() != iv_size) return fail(errc::invalid_encoding);
  p.iv = std::move(*v);
  if (base64url_decoded_size(tag.size()) != tag_size || tag.size() % 4 == 1) return fail(errc::invalid_encoding);
  if (ciphertext.size() % 4 == 1) return fail(errc::invalid_encoding);
  const std::size_t n = base64url_decoded_size(ciphertext.size());
  p.sealed.resize(n + tag_size);
  auto c = fast_base64url_decode(ciphertext, mutable_bytes(p.sealed).first(n));
  if (!c) return fail(c.error());
  auto t = fast_base64url_decode(tag, mutable_bytes(p.sealed).subspan(n));
  if (!t) return fail(t.error());
  return {};
}

// The rules every recipient's joint header must pass, before any key.
[[nodiscard]] inline result<void> check_recipients(parsed_jwe& p, const policy& pol) {
  if (p.recipients.empty()) return fail(errc::invalid_encoding);
  if (p.recipients.size() > pol.bounds.max_recipients) return fail(errc::message_too_long);
  std::optional<enc> common;
  for (auto& r : p.recipients) {
    if (auto c = check_crit_and_zip(r.header, p.protected_header, pol); !c) return fail(c.error());
    auto a = header_alg(r.header, pol);
    if (!a) return fail(a.error());
    if (!is_encryption(*a)) return fail(errc::alg_not_allowed);
    r.algorithm = *a;
    auto en = string_member(r.header, "enc");
    if (!en) return fail(en.error());
    if (!*en) return fail(errc::invalid_encoding);
    const auto e = parse_enc(**en);
    if (!e) return fail(errc::unsupported);
    if (!pol.encs.contains(*e)) return fail(errc::alg_not_allowed);
    if (common && *common != *e) return fail(errc::invalid_encoding);
    common = *e;
    if (is_direct(*a) != r.encrypted_key.empty()) return fail(errc::invalid_encoding);
    if (is_direct(*a) && p.recipients.size() != 1) return fail(errc::invalid_encoding);
    if (is_ecdh(*a))
      if (auto epk = parse_epk(r.header, *a); !epk) return fail(epk.error());
    if (auto kid = string_member(r.header, "kid"); !kid) return fail(kid.error());
  }
  p.encryption = *common;
  return {};
}

[[nodiscard]] inline result<parsed_jwe> parse_compact_jwe(std::string_view text, const policy& pol) {
  auto parts = split<5>(text);
  if (!parts) return fail(parts.error());
  parsed_jwe p;
  auto h = decode_header((*parts)[0], pol.bounds);
  if (!h) return fail(h.error());
  p.protected_header = std::move(*h);
  auto ek = fast_base64url_decode((*parts)[1]);
  if (!ek) return fail(ek.error());
  p.recipients.push_back({p.protected_header, alg::dir, std::move(*ek)});
  if (auto r = decode_body(p, (*parts)[2], (*parts)[3], (*parts)[4]); !r) return fail(r.error());
  p.aad = std::string((*parts)[0]);
  if (auto r = check_recipients(p, pol); !r) return fail(r.error());
  return p;
}

[[nodiscard]] inline result<parsed_jwe> parse_json_jwe(std::string_view text, const policy& pol) {
  auto doc = parse_object(text, pol.bounds.max_object, pol.bounds.max_depth + 3);
  if (!doc) return fail(doc.error());
  const json& j = *doc;
  static constexpr std::string_view known[] = {"protected", "unprotected", "header", "encrypted_key", "recipients",
                                               "aad",       "iv",          "ciphertext", "tag"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (auto k : known) ok = ok || it.key() == k;
    if (!ok) return fail(errc::invalid_encoding);
  }
  parsed_jwe p;
  auto prot = b64_member(j, "protected", false);
  if (!prot) return fail(prot.error());
  if (*prot) {
    auto h = decode_header(**prot, pol.bounds);
    if (!h) return fail(h.error());
    p.protected_header = std::move(*h);
  }
  const json* shared = member(j, "unprotected");

  auto add = [&](const json& r) -> result<void> {
    if (!r.is_object()) return fail(errc::invalid_encoding);
    for (auto it = r.begin(); it != r.end(); ++it)
      if (it.key() != "header" && it.key() != "encrypted_key") return fail(errc::invalid_encoding);
    auto joint = joint_header(p.protected_header, {shared, member(r, "header")}, pol.bounds);
    if (!joint) return fail(joint.error());
    auto ek = b64_member(r, "encrypted_key", false);
    if (!ek) return fail(ek.error());
    byte_vector key;
    if (*ek) {
      auto d = fast_base64url_decode(**ek);
      if (!d) return fail(d.error());
      key = std::move(*d);
    }
    p.recipients.push_back({std::move(*joint), alg::dir, std::move(key)});
    return {};
  };
  if (const json* list = member(j, "recipients")) {
    p.form = serialization::general;
    if (j.contains("header") || j.contains("encrypted_key") || !list->is_array()) return fail(errc::invalid_encoding);
    if (list->size() > pol.bounds.max_recipients) return fail(errc::message_too_long);
    for (const auto& r : *list)
      if (auto a = add(r); !a) return fail(a.error());
  } else {
    p.form = serialization::flattened;
    json r = json::object();
    if (const json* h = member(j, "header")) r["header"] = *h;
    if (const json* k = member(j, "encrypted_key")) r["encrypted_key"] = *k;
    if (auto a = add(r); !a) return fail(a.error());
  }
  auto iv = b64_member(j, "iv", true);
  auto ct = b64_member(j, "ciphertext", true);
  auto tag = b64_member(j, "tag", true);
  auto aad = b64_member(j, "aad", false);
  for (auto* m : {&iv, &ct, &tag, &aad})
    if (!*m) return fail(m->error());
  if (auto r = decode_body(p, **iv, **ct, **tag); !r) return fail(r.error());
  p.aad = *prot ? std::string(**prot) : std::string();
  if (*aad) {
    if (auto d = fast_base64url_decode(**aad); !d) return fail(d.error());
    p.aad += '.';
    p.aad += **aad;
  }
  if (auto r = check_recipients(p, pol); !r) return fail(r.error());
  return p;
}

}  // namespace detail

// Checks a JWE (compact or JSON, told apart by its first character) against
// the policy without touching a key.
[[nodiscard]] inline result<parsed_jwe> parse_jwe(std::string_view text, const policy& pol = {}) {
  if (text.size() > pol.bounds.max_object) return fail(errc::message_too_long);
  if (!text.empty() && text.front() == '{') return detail::parse_json_jwe(text, pol);
  return detail::parse_compact_jwe(text, pol);
}

// Parses JWEs under one policy, keeping the last compact protected header and
// encrypted key it read. An ESPrim session sends the same ones with every
// request; when the next object starts with the same bytes, their parse (a
// function of those bytes and the policy alone) is reused and only the IV,
// ciphertext and tag are decoded.
class compact_jwe_reader {
 public:
  explicit compact_jwe_reader(policy pol) : pol_(std::move(pol)) {}

  [[nodiscard]] result<parsed_jwe> parse(std::string_view text) {
    if (text.empty() || text.front() == '{' || text.size() > pol_.bounds.max_object) return parse_jwe(text, pol_);
    auto parts = split<5>(text);
    if (!parts) return fail(parts.error());
    const std::string_view head = text.substr(0, (*parts)[0].size() + 1 + (*parts)[1].size());
    if (!last_ || head != last_head_) {
      auto p = detail::parse_compact_jwe(text, pol_);
      if (!p) return p;
      last_.emplace(parsed_jwe{p->form, p->protected_header, p->encryption, p->recipients, {}, {}, p->aad});
      last_head_ = head;
      return p;
    }
    parsed_jwe p = *last_;
    if (auto r = detail::decode_body(p, (*parts)[2], (*parts)[3], (*parts)[4]); !r) return fail(r.error());
    return p;
  }

 private:
  policy pol_;
  std::string last_head_;            // "header.encrypted_key" as last read
  std::optional<parsed_jwe> last_;   // its parse, without IV and body
};

// ---- decryption -------------------------------------------------------------------------

// Opens the JWE with the first recipient that one of `keys` can serve: a key is
// a candidate for a recipient when its kid matches the header's (if the header
// names one), it holds a private part, and it allows the recipient's alg.
// errc::not_found: no key with the kid named; errc::alg_not_allowed: keys
// with a matching kid (or any, when none is named) exist but none is for that
// alg; errc::auth_failed: every candidate failed.
[[nodiscard]] inline result<decrypted> decrypt(parsed_jwe&& p, std::span<const jwk* const> keys) {
  bool wrong_alg = false, wrong_curve = false;
  bool tried = false;
  for (std::size_t i = 0; i < p.recipients.size(); ++i) {
    jwe_recipient& r = p.recipients[i];
    auto kid = r.header.string("kid");
    for (std::size_t k = 0; k < keys.size(); ++k) {
      const jwk& key = *keys[k];
      if (kid && *kid && key.kid() != **kid) continue;
      if (!key.allows(r.algorithm) || (key.type() != kty::oct && !key.has_private())) {
        wrong_alg = true;
        continue;
      }
      // An ECDH key on another curve than "epk" cannot be the recipient's.
      if (is_ecdh(r.algorithm)) {
        const json epk = r.header.value("epk");
        const json* crv = member(epk, "crv");
        if (crv == nullptr || !crv->is_string() || crv->get_ref<const std::string&>() != to_string(key.crv())) {
          wrong_curve = true;
          continue;
        }
      }
      tried = true;
      detail::wiped<32> cek;
      if (auto c = detail::cek_for_recipient(key, r, p.encryption, cek); !c) continue;
      // A direct key proves nothing until the tag checks; open a copy while
      // other candidates remain. A wrapped CEK that unwrapped is the one.
      const bool last = !detail::is_direct(r.algorithm) || k + 1 == keys.size();
      byte_vector copy;
      mutable_bytes target = p.sealed;
      if (!last) {
        copy = p.sealed;
        target = copy;
      }
      auto n = gcm_open(p.encryption, cek.view(), p.iv, as_bytes(p.aad), target);
      if (!n) {
        if (last) return fail(errc::auth_failed);
        continue;
      }
      decrypted out;
      out.plaintext = last ? std::move(p.sealed) : std::move(copy);
      out.plaintext.resize(*n);
      out.header = std::move(r.header);
      out.recipient = i;
      out.key = k;
      return out;
    }
  }
  if (tried) return fail(errc::auth_failed);
  if (wrong_curve) return fail(errc::invalid_key);
  return fail(wrong_alg ? errc::alg_not_allowed : errc::not_found);
}

[[nodiscard]] inline result<decrypted> decrypt(parsed_jwe&& p, std::span<const jwk> keys) {
  std::vector<const jwk*> ptrs;
  for (const jwk& k : keys) ptrs.push_back(&k);
  return decrypt(std::move(p), ptrs);
}
[[nodiscard]] inline result<decrypted> decrypt(std::string_view text, std::span<const jwk> keys,
                                               const policy& pol = {}) {
  auto p = parse_jwe(text, pol);
  if (!p) return fail(p.error());
  return decrypt(std::move(*p), keys);
}
[[nodiscard]] inline result<decrypted> decrypt(std::string_view text, const jwk& key, const policy& pol = {}) {
  return decrypt(text, std::span<const jwk>(&key, 1), pol);
}

// ---- direct mode with a raw key (ESPrim's sessionESPrimKey) --------------------------

namespace detail {
// The encoded protected header of a compact "dir" JWE: {"alg":"dir","enc":...}
// and then `members`, JSON object members already written (without alg and enc).
[[nodiscard]] inline std::string direct_header(enc e, std::string_view members) {
  std::string prot = "{\"alg\":\"dir\",\"enc\":\"";
  prot += to_string(e);
  prot += '"';
  if (!members.empty()) {
    prot += ',';
    prot += members;
  }
  prot += '}';
  return fast_base64url_encode(as_bytes(prot));
}

// Compact, alg "dir", under an encoded protected header from direct_header.
[[nodiscard]] inline result<std::string> seal_compact(bytes_view plaintext, bytes_view key, enc e,
                                                      std::string_view header_b64) {
  if (key.size() != key_size(e)) return fail(errc::invalid_key_size);
  std::string out;
  out.reserve(header_b64.size() + base64url_encoded_size(plaintext.size()) + 48);
  out += header_b64;
  std::array<byte, iv_size> iv{};
  if (auto r = crypto::public_random::fill(iv); !r) return fail(r.error());
  const std::size_t sealed_size = plaintext.size() + tag_size;
  const std::unique_ptr<byte[]> sealed_bytes(new byte[sealed_size]);
  const mutable_bytes sealed(sealed_bytes.get(), sealed_size);
  if (auto r = gcm_seal(e, key, iv, as_bytes(header_b64), plaintext, sealed); !r) return fail(r.error());
  out += "..";
  base64url_append(out, iv);
  out += '.';
  base64url_append(out, bytes_view(sealed).first(plaintext.size()));
  out += '.';
  base64url_append(out, bytes_view(sealed).subspan(plaintext.size()));
  return out;
}

[[nodiscard]] inline result<std::string> seal_direct(bytes_view plaintext, bytes_view key, enc e,
                                                     std::string_view members) {
  if (key.size() != key_size(e)) return fail(errc::invalid_key_size);
  return seal_compact(plaintext, key, e, direct_header(e, members));
}
}  // namespace detail

// Compact, alg "dir": the CEK is `key`, the protected header is `header` plus alg and enc.
[[nodiscard]] inline result<std::string> encrypt_direct(bytes_view plaintext, bytes_view key, enc e,
                                                        json header = json::object()) {
  if (!header.is_object()) return fail(errc::invalid_argument);
  header.erase("alg");
  header.erase("enc");
  std::string members = header.dump();
  return detail::seal_direct(plaintext, key, e, std::string_view(members).substr(1, members.size() - 2));
}

// Opens a parsed compact "dir" JWE with `key`.
[[nodiscard]] inline result<byte_vector> decrypt_direct(parsed_jwe&& p, bytes_view key) {
  if (p.recipients.size() != 1 || p.recipients[0].algorithm != alg::dir) return fail(errc::alg_not_allowed);
  auto n = gcm_open(p.encryption, key, p.iv, as_bytes(p.aad), p.sealed);
  if (!n) return fail(n.error());
  byte_vector out = std::move(p.sealed);
  out.resize(*n);
  return out;
}

}  // namespace m2msec::jose
