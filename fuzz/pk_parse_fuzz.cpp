// Fuzz target: public-key material from a peer. Selector byte, then bytes that
// are taken as a SubjectPublicKeyInfo, a public key, a signature or a key
// agreement share. Nothing may crash; a signature over random bytes must never
// verify; X25519 must give the same answer on both backends.
#include <cstdlib>

#include "m2msec/backend/key_agreement.hpp"
#include "m2msec/backend/signature.hpp"

namespace {

using namespace m2msec;
using namespace m2msec::crypto;
using b = backend::botan;

const auto message = as_bytes("m2msec fuzz message");

template <class S>
const typename S::verifier& fixed_verifier() {
  static const auto v = [] {
    auto k = S::generate();
    if (!k) std::abort();
    auto v = S::verifier::create(k->public_key);
    if (!v) std::abort();
    return std::move(*v);
  }();
  return v;
}

template <class S>
void never_verifies(bytes_view sig) {
  if (fixed_verifier<S>().verify(message, sig)) std::abort();
}

template <class S>
void parse_public(bytes_view key) {
  if (auto v = S::verifier::create(key)) (void)v->verify(message, key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bytes_view in(data + 1, size - 1);
  switch (data[0] % 8) {
    case 0:
      (void)ec_public_key_from_spki<ecdh_p256>(in);
      (void)ec_public_key_from_spki<ecdh_p384>(in);
      (void)ec_public_key_from_spki<ecdh_p521>(in);
      break;
    case 1:
      never_verifies<signature<ecdsa_p256_sha256_der, b>>(in);
      never_verifies<signature<ecdsa_p384_sha384_der, b>>(in);
      break;
    case 2:
      never_verifies<signature<ecdsa_p256_sha256, b>>(in);
      never_verifies<signature<ed25519, b>>(in);
      never_verifies<signature<ed25519, backend::sodium>>(in);
      break;
    case 3:
      never_verifies<signature<rsa_pkcs1_sha256, b>>(in);
      never_verifies<signature<rsa_pss_sha256, b>>(in);
      break;
    case 4:
      parse_public<signature<rsa_pkcs1_sha256, b>>(in);
      parse_public<signature<ecdsa_p256_sha256, b>>(in);
      parse_public<signature<ed25519, b>>(in);
      break;
    case 5: {  // X25519 with an attacker's share: both backends agree
      if (in.size() < 64) break;
      byte s1[32], s2[32];
      auto r1 = key_agreement<x25519, backend::sodium>::agree(in.first(32), in.subspan(32, 32), s1);
      auto r2 = key_agreement<x25519, b>::agree(in.first(32), in.subspan(32, 32), s2);
      if (r1.has_value() != r2.has_value() || (r1 && !ct::equal(s1, s2))) std::abort();
      break;
    }
    case 6: {  // ECDH with an attacker's point
      static const auto k = key_agreement<ecdh_p256, b>::generate();
      byte s[32];
      (void)key_agreement<ecdh_p256, b>::agree(k->private_key.expose(), in, s);
      break;
    }
    default: {  // RSA-OAEP with an attacker's ciphertext: never opens
      using E = key_encryption<rsa_oaep_sha256, b>;
      static const auto k = E::generate();
      byte out[E::max_ciphertext_size];
      if (in.size() > 64 && E::decrypt(k->private_key.expose(), {}, in, out)) std::abort();
      break;
    }
  }
  return 0;
}
