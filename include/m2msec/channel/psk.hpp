// m2msec: what a channel is given, whatever its engine: a server's lookup of PSK
// identities, and our own certificate.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "m2msec/credential/symmetric.hpp"
#include "m2msec/identity/entity.hpp"

namespace m2msec::tls {

// What a server knows of a PSK identity: the credential, and the identity the
// association will be bound to (TS-0003 §8.2.1).
struct psk_entry {
  const symmetric_credential* credential = nullptr;
  bound_identity peer;
};
// The key-lookup seam: an identity (KpsaID, KmID, HEX(KcID)@MAF-FQDN, KpmID) and the
// SNI the client sent; errc::not_found when unknown. A Target whose identity names
// a MEF or MAF routes the lookup there (TS-0003 §8.3.4.3, §8.2.2.3).
using psk_resolver = std::function<result<psk_entry>(std::string_view identity, std::string_view sni)>;

// Our own certificate chain (PEM, leaf first) and its PKCS#8 private key (PEM).
struct own_certificate {
  std::string chain_pem;
  std::string key_pem;
};

}  // namespace m2msec::tls
