// m2msec: JWE encryption (RFC 7516 §5.1) for one or more recipients, in the
// compact, flattened or general JSON serialization.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "m2msec/jose/json.hpp"
#include "m2msec/jose/jwe_compact.hpp"
#include "m2msec/jose/jwe_keys.hpp"

namespace m2msec::jose {

// One recipient: its key, the algorithm for it, and extra members for its
// per-recipient unprotected header (JSON serializations only).
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct recipient {
  const jwk* key = nullptr;
  alg algorithm = alg::dir;
  json header = nullptr;
};

// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct jwe_options {
  enc encryption = enc::a256gcm;
  json protected_header = json::object();  // extra members: kid, cty, typ, apu, apv, ...
  json unprotected = nullptr;              // the shared unprotected header (JSON serializations)
  std::string aad{};                       // external additional authenticated data (JSON serializations)
  serialization form = serialization::compact;
};

// Compact, alg "dir": the CEK is `key`, the protected header is `header` plus alg and enc.
[[nodiscard]] inline result<std::string> encrypt_direct(bytes_view plaintext, bytes_view key, enc e,
                                                        json header = json::object()) {
  if (!header.is_object()) return fail(errc::invalid_argument);
  header.erase("alg");
  header.erase("enc");
  std::string members = header.dump();
  return seal_direct(plaintext, key, e, std::string_view(members).substr(1, members.size() - 2));
}

// Encrypts `plaintext` for every recipient in `to` under one CEK.
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
    if (is_direct(r.algorithm) && to.size() != 1) return fail(errc::invalid_argument);
  }

  json prot = opt.protected_header;
  prot["enc"] = std::string(to_string(e));
  detail::wiped<32> cek;
  cek.size = key_size(e);
  if (!is_direct(to[0].algorithm))
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
  if (compact) return seal_compact(plaintext, cek.view(), e, prot_b64, keys[0]);
  auto sealed = seal_content(e, cek.view(), aad, plaintext);
  if (!sealed) return fail(sealed.error());
  out.reserve(base64url_encoded_size(sealed->size) + aad.size() + 256 * to.size());
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
  put_member(out, "iv", fast_base64url_encode(sealed->iv));
  out += ",\"ciphertext\":\"";
  base64url_append(out, sealed->ciphertext());
  out += '"';
  put_member(out, "tag", fast_base64url_encode(sealed->tag()));
  out += '}';
  return out;
}

// One recipient.
[[nodiscard]] inline result<std::string> encrypt(bytes_view plaintext, const jwk& key, alg a,
                                                 const jwe_options& opt = {}) {
  const recipient r{&key, a, nullptr};
  return encrypt(plaintext, std::span<const recipient>(&r, 1), opt);
}

}  // namespace m2msec::jose
