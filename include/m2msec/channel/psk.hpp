// m2msec: what a channel is given, whatever its engine: a server's lookup of PSK
// identities, and our own certificate.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <variant>

#include "m2msec/credential/certificate.hpp"
#include "m2msec/credential/symmetric.hpp"
#include "m2msec/identity/entity.hpp"

namespace m2msec::tls {

// What a server knows of a PSK identity: the credential, and the identity the
// association will be bound to (TS-0003 §8.2.1).
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct psk_entry {
  const symmetric_credential* credential = nullptr;
  bound_identity peer;
};
// The key-lookup seam: an identity (KpsaID, KmID, HEX(KcID)@MAF-FQDN, KpmID) and the
// SNI the client sent; errc::not_found when unknown. A Target whose identity names
// a MEF or MAF routes the lookup there (TS-0003 §8.3.4.3, §8.2.2.3).
using psk_resolver = std::function<result<psk_entry>(std::string_view identity, std::string_view sni)>;

// TS-0003 §8.2.2.2: whom a certificate server accepts: the one peer it names, or
// any AE whose AE-ID certificate names an absolute AE-ID the Registrar has
// registered (the predicate says which), without naming it in advance.
using registered_ae = std::function<bool(const ae_id&)>;

// TS-0003 §10.1.2: what a server knows of a raw public key, found by its
// Credential-ID (type 30): the key, with the lifetime and usage configuration gave
// it, and the identity the association will be bound to.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct raw_key_entry {
  const raw_public_key* key = nullptr;
  bound_identity peer;
};
using raw_key_resolver = std::function<result<raw_key_entry>(const credential_id&)>;
// Registered peers of either kind: a raw public key the resolver knows (tried
// first; decisions: "Raw public keys"), else a registered AE's AE-ID certificate.
// Either may be empty.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct registered_peers {
  registered_ae certificates;
  raw_key_resolver raw_keys;
};
using peer_names = std::variant<expected_name, registered_ae, registered_peers>;

// A PSK identity reaches the resolver only if it is 1 to 512 bytes of printable
// ASCII (0x21-0x7E): every oneM2M key identifier is (KpsaID, KmID, KpmID, KeID,
// HEX(KcID)@MAF-FQDN). Any other is refused like an unknown one.
inline constexpr std::size_t max_psk_identity = 512;
[[nodiscard]] constexpr bool acceptable_psk_identity(std::string_view id) noexcept {
  if (id.empty() || id.size() > max_psk_identity) return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

// Our own certificate chain (PEM, leaf first) and its PKCS#8 private key (PEM).
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct own_certificate {
  std::string chain_pem;
  std::string key_pem;
};

}  // namespace m2msec::tls
