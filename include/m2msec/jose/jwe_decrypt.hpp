// m2msec: JWE decryption (RFC 7516 §5.2 steps 9-16) of a parsed JWE: the CEK from
// the first recipient a key serves, then the content; no plaintext on failure.
#pragma once

#include <span>
#include <vector>

#include "m2msec/jose/gcm.hpp"
#include "m2msec/jose/jwe_keys.hpp"
#include "m2msec/jose/jwe_parse.hpp"

namespace m2msec::jose {

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
        const json epk = value(r.header, "epk");
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
      const bool last = !is_direct(r.algorithm) || k + 1 == keys.size();
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

}  // namespace m2msec::jose
