// m2msec: the JWK of an object-security key (ESData, tokens), bound to its
// security association, and the usages such keys serve.
#pragma once

#include "m2msec/jose/jwk.hpp"
#include "m2msec/sa/bound.hpp"

namespace m2msec::e2e {

// A JWK reached only through a checked use of its SA, for its credential's usage.
using bound_jwk = sa::bound<jose::jwk>;

// TS-0004 §6.3.4.2.39: ESData encryption keys (SUID x4) encrypt and decrypt,
// signature keys (x5) sign and verify. Decision A14: the signature inside a nested
// sign-then-encrypt object may use either ("ESData encryption (incl. nested)").
// Decision A15: oneM2M tokens are signed and encrypted by the same rules.
inline constexpr usage_scope encryption_usage = usage_scope::esdata_encryption;
inline constexpr usage_scope signature_usage = usage_scope::esdata_signature;
inline constexpr usages nested_signature_usage{usage_scope::esdata_encryption, usage_scope::esdata_signature};

// The keys of `keys` usable now for `wanted`, as JWK pointers for the JOSE layer,
// each reached through a use that counts nothing; `which` receives their holders,
// so that the one that opens an object can then be counted.
template <clock Clock>
std::vector<const jose::jwk*> usable(std::span<bound_jwk* const> keys, usages wanted, const Clock& clk,
                                     std::vector<bound_jwk*>& which) {
  std::vector<const jose::jwk*> out;
  for (bound_jwk* k : keys)
    if (k != nullptr) {
      if (auto g = k->use(wanted, clk, 0, 0)) {
        out.push_back(&g->key());
        which.push_back(k);
      }
    }
  return out;
}

}  // namespace m2msec::e2e
