// Test support: every concrete policy, as type lists for TEMPLATE_LIST_TEST_CASE.
#pragma once

#include <tuple>

#include "m2msec/crypto.hpp"

namespace policies {

using namespace m2msec::crypto;
using m2msec::backend::botan;
using m2msec::backend::sodium;

using aeads = std::tuple<aead<aes128_gcm, botan>, aead<aes192_gcm, botan>, aead<aes256_gcm, botan>,
                         aead<aes256_gcm, sodium>, aead<aes128_ccm8, botan>, aead<aes128_ccm16, botan>,
                         aead<aes_ccm<16, 8, 13>, botan>, aead<aes_ccm<32, 16, 13>, botan>,
                         aead<chacha20_poly1305, botan>, aead<chacha20_poly1305, sodium>,
                         aead<xchacha20_poly1305, botan>, aead<xchacha20_poly1305, sodium>>;

using macs = std::tuple<mac<hmac_sha256, botan>, mac<hmac_sha256, sodium>, mac<hmac_sha384, botan>,
                        mac<hmac_sha512, botan>, mac<hmac_sha512, sodium>>;

using kdfs = std::tuple<kdf<hkdf_sha256, botan>, kdf<hkdf_sha256, sodium>, kdf<hkdf_sha384, botan>,
                        kdf<hkdf_sha512, botan>, kdf<hkdf_sha512, sodium>>;

using keywraps = std::tuple<keywrap<aes128_kw, botan>, keywrap<aes192_kw, botan>, keywrap<aes256_kw, botan>>;

using key_agreements = std::tuple<key_agreement<ecdh_p256, botan>, key_agreement<ecdh_p384, botan>,
                                  key_agreement<ecdh_p521, botan>, key_agreement<x25519, botan>,
                                  key_agreement<x25519, sodium>>;

using signatures =
    std::tuple<signature<ecdsa_p256_sha256, botan>, signature<ecdsa_p384_sha384, botan>,
               signature<ecdsa_p521_sha512, botan>, signature<ecdsa_p256_sha256_der, botan>,
               signature<ecdsa_p384_sha384_der, botan>, signature<ecdsa_p521_sha512_der, botan>,
               signature<ed25519, botan>, signature<ed25519, sodium>, signature<rsa_pkcs1_sha256, botan>,
               signature<rsa_pss_sha256, botan>, signature<rsa_pss_sha512, botan>>;

using rngs = std::tuple<rng<botan>, rng<sodium>, public_random>;

// Pairs of policies for the same algorithm on the two backends.
template <class A, class B> struct pair {
  using first = A;
  using second = B;
};
using aead_pairs = std::tuple<pair<aead<chacha20_poly1305, sodium>, aead<chacha20_poly1305, botan>>,
                              pair<aead<xchacha20_poly1305, sodium>, aead<xchacha20_poly1305, botan>>,
                              pair<aead<aes256_gcm, sodium>, aead<aes256_gcm, botan>>>;
using mac_pairs = std::tuple<pair<mac<hmac_sha256, sodium>, mac<hmac_sha256, botan>>,
                             pair<mac<hmac_sha512, sodium>, mac<hmac_sha512, botan>>>;

// Random bytes for test inputs (libsodium's generator; not under test here).
inline m2msec::byte_vector random_bytes(std::size_t n) {
  m2msec::byte_vector v(n);
  REQUIRE(rng<>::fill(v).has_value());
  return v;
}

}  // namespace policies
