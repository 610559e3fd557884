// m2msec: ECDSA (P-256/384/521; P1363 and DER), Ed25519, RSA PKCS#1 v1.5 and
// PSS signatures, and RSA-OAEP key encryption on Botan 2.
#pragma once

#include <botan/data_src.h>
#include <botan/ecdsa.h>
#include <botan/ed25519.h>
#include <botan/pkcs8.h>
#include <botan/pubkey.h>
#include <botan/rsa.h>
#include <botan/x509_key.h>

#include <memory>

#include "m2msec/backend/botan/key_agreement.hpp"

namespace m2msec::backend::botan_detail {

[[nodiscard]] inline std::unique_ptr<Botan::Private_Key> load_pkcs8(bytes_view der) {
  Botan::DataSource_Memory src(der.data(), der.size());
  return Botan::PKCS8::load_key(src);
}
[[nodiscard]] inline std::unique_ptr<Botan::Public_Key> load_spki(bytes_view der) {
  return std::unique_ptr<Botan::Public_Key>(Botan::X509::load_key(std::vector<byte>(der.begin(), der.end())));
}

template <class Out>
[[nodiscard]] inline result<std::size_t> copy_out(const Out& sig, mutable_bytes out) {
  if (out.size() < sig.size()) return fail(errc::buffer_too_small);
  std::memcpy(out.data(), sig.data(), sig.size());
  return sig.size();
}

// Wycheproof and RFC 8032 §5.1.7: S must be below the group order L. Botan 2's
// verifier does not check it, so signatures would be malleable without this.
[[nodiscard]] inline bool ed25519_s_is_canonical(const byte s[32]) noexcept {
  static constexpr byte L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                 0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
  unsigned c = 0, n = 1;
  for (std::size_t i = 32; i-- > 0;) {  // s < L, compared from the top byte, branch-free
    c |= ((unsigned{s[i]} - L[i]) >> 8) & n;
    n &= ((unsigned{s[i]} ^ L[i]) - 1) >> 8;
  }
  return c != 0;
}

}  // namespace m2msec::backend::botan_detail

namespace m2msec::crypto {

template <class Curve, class Hash, ecdsa_format Format>
struct signature<ecdsa<Curve, Hash, Format>, backend::botan> {
  using alg = ecdsa<Curve, Hash, Format>;
  static constexpr std::size_t private_key_size = alg::private_key_size, public_key_size = alg::public_key_size,
                               max_signature_size = alg::max_signature_size;

  [[nodiscard]] static result<keypair> generate() { return key_agreement<Curve, backend::botan>::generate(); }
  [[nodiscard]] static result<void> public_key(bytes_view private_key, mutable_bytes out) noexcept {
    return key_agreement<Curve, backend::botan>::public_key(private_key, out);
  }

  [[nodiscard]] static result<std::size_t> sign(bytes_view private_key, bytes_view msg, mutable_bytes sig) noexcept {
    return backend::botan_detail::guard([&]() -> result<std::size_t> {
      auto x = backend::botan_detail::scalar<Curve>(private_key);
      if (!x) return fail(x.error());
      Botan::ECDSA_PrivateKey key(backend::botan_detail::rng(), backend::botan_detail::group<Curve>(), *x);
      Botan::PK_Signer signer(key, backend::botan_detail::rng(), emsa(), format());
      return backend::botan_detail::copy_out(signer.sign_message(msg.data(), msg.size(), backend::botan_detail::rng()),
                                             sig);
    });
  }

  // DER signatures must be the canonical encoding; P1363 ones exactly 2 * field bytes.
  [[nodiscard]] static result<void> verify(bytes_view public_key, bytes_view msg, bytes_view sig) noexcept {
    return backend::botan_detail::guard(
        [&]() -> result<void> {
          auto q = backend::botan_detail::point<Curve>(public_key);
          if (!q) return fail(q.error());
          Botan::ECDSA_PublicKey key(backend::botan_detail::group<Curve>(), *q);
          Botan::PK_Verifier verifier(key, emsa(), format());
          if (!verifier.verify_message(msg.data(), msg.size(), sig.data(), sig.size())) return fail(errc::auth_failed);
          return {};
        },
        errc::auth_failed);
  }

 private:
  static std::string emsa() { return "EMSA1(" + std::string(Hash::name) + ")"; }
  static Botan::Signature_Format format() noexcept {
    return Format == ecdsa_format::der ? Botan::DER_SEQUENCE : Botan::IEEE_1363;
  }
};

template <>
struct signature<ed25519, backend::botan> {
  static constexpr std::size_t private_key_size = 32, public_key_size = 32, max_signature_size = 64;

  [[nodiscard]] static result<keypair> generate() {
    return backend::botan_detail::guard([&]() -> result<keypair> {
      auto seed = secret::allocate(private_key_size);
      if (!seed) return fail(seed.error());
      backend::botan_detail::rng().randomize(seed->expose().data(), private_key_size);
      byte_vector pk(public_key_size);
      if (auto r = public_key(seed->expose(), pk); !r) return fail(r.error());
      return keypair{std::move(*seed), std::move(pk)};
    });
  }

  [[nodiscard]] static result<void> public_key(bytes_view seed, mutable_bytes out) noexcept {
    if (seed.size() != private_key_size) return fail(errc::invalid_key_size);
    if (out.size() < public_key_size) return fail(errc::buffer_too_small);
    return backend::botan_detail::guard([&]() -> result<void> {
      const Botan::Ed25519_PrivateKey key(Botan::secure_vector<byte>(seed.begin(), seed.end()));
      const auto pk = key.get_public_key();
      std::memcpy(out.data(), pk.data(), public_key_size);
      return {};
    });
  }

  [[nodiscard]] static result<std::size_t> sign(bytes_view seed, bytes_view msg, mutable_bytes sig) noexcept {
    if (seed.size() != private_key_size) return fail(errc::invalid_key_size);
    return backend::botan_detail::guard([&]() -> result<std::size_t> {
      const Botan::Ed25519_PrivateKey key(Botan::secure_vector<byte>(seed.begin(), seed.end()));
      Botan::PK_Signer signer(key, backend::botan_detail::rng(), "Pure");
      return backend::botan_detail::copy_out(signer.sign_message(msg.data(), msg.size(), backend::botan_detail::rng()),
                                             sig);
    });
  }

  [[nodiscard]] static result<void> verify(bytes_view public_key, bytes_view msg, bytes_view sig) noexcept {
    if (public_key.size() != public_key_size) return fail(errc::invalid_key);
    if (sig.size() != max_signature_size) return fail(errc::auth_failed);
    if (!backend::botan_detail::ed25519_s_is_canonical(sig.data() + 32)) return fail(errc::auth_failed);
    return backend::botan_detail::guard(
        [&]() -> result<void> {
          const Botan::Ed25519_PublicKey key(std::vector<byte>(public_key.begin(), public_key.end()));
          Botan::PK_Verifier verifier(key, "Pure");
          if (!verifier.verify_message(msg.data(), msg.size(), sig.data(), sig.size())) return fail(errc::auth_failed);
          return {};
        },
        errc::auth_failed);
  }
};

// RSA keys: public as DER SubjectPublicKeyInfo, private as DER PKCS#8.
namespace rsa_detail {
inline constexpr std::size_t default_modulus_bits = 2048;

[[nodiscard]] inline result<keypair> generate(std::size_t bits) {
  return backend::botan_detail::guard([&]() -> result<keypair> {
    const Botan::RSA_PrivateKey key(backend::botan_detail::rng(), bits);
    const auto der = Botan::PKCS8::BER_encode(key);
    auto sk = secret::copy_of(der);
    if (!sk) return fail(sk.error());
    return keypair{std::move(*sk), Botan::X509::BER_encode(key)};
  });
}
[[nodiscard]] inline std::unique_ptr<Botan::Public_Key> rsa_public(bytes_view spki) {
  auto key = backend::botan_detail::load_spki(spki);
  if (key == nullptr || key->algo_name() != "RSA") throw Botan::Decoding_Error("not an RSA public key");
  return key;
}
[[nodiscard]] inline std::unique_ptr<Botan::Private_Key> rsa_private(bytes_view pkcs8) {
  auto key = backend::botan_detail::load_pkcs8(pkcs8);
  if (key == nullptr || key->algo_name() != "RSA") throw Botan::Decoding_Error("not an RSA private key");
  return key;
}
// k, the modulus length in bytes. RFC 8017 §8.2.2 step 1 and §7.1.2 step 1:
// a signature or ciphertext of any other length is invalid. Botan 2 accepts
// leading zero bytes, which Wycheproof flags.
[[nodiscard]] inline std::size_t modulus_bytes(const Botan::Public_Key& key) { return (key.key_length() + 7) / 8; }
}  // namespace rsa_detail

template <class Hash, rsa_padding Padding>
struct signature<rsa_signature<Hash, Padding>, backend::botan> {
  static constexpr std::size_t max_signature_size = rsa_max_modulus_bytes;

  [[nodiscard]] static result<keypair> generate(std::size_t bits = rsa_detail::default_modulus_bits) {
    return rsa_detail::generate(bits);
  }

  [[nodiscard]] static result<std::size_t> sign(bytes_view private_key, bytes_view msg, mutable_bytes sig) noexcept {
    return backend::botan_detail::guard(
        [&]() -> result<std::size_t> {
          const auto key = rsa_detail::rsa_private(private_key);
          Botan::PK_Signer signer(*key, backend::botan_detail::rng(), emsa());
          return backend::botan_detail::copy_out(
              signer.sign_message(msg.data(), msg.size(), backend::botan_detail::rng()), sig);
        },
        errc::invalid_key);
  }

  [[nodiscard]] static result<void> verify(bytes_view public_key, bytes_view msg, bytes_view sig) noexcept {
    std::unique_ptr<Botan::Public_Key> key;
    if (auto r = backend::botan_detail::guard(
            [&]() -> result<void> {
              key = rsa_detail::rsa_public(public_key);
              return {};
            },
            errc::invalid_key);
        !r)
      return r;
    return backend::botan_detail::guard(
        [&]() -> result<void> {
          if (sig.size() != rsa_detail::modulus_bytes(*key)) return fail(errc::auth_failed);
          Botan::PK_Verifier verifier(*key, emsa());
          if (!verifier.verify_message(msg.data(), msg.size(), sig.data(), sig.size())) return fail(errc::auth_failed);
          return {};
        },
        errc::auth_failed);
  }

 private:
  // PSS: MGF1 with the same hash, salt as long as the hash (RFC 7518 §3.5).
  static std::string emsa() {
    const std::string h(Hash::name);
    return Padding == rsa_padding::pss ? "PSSR(" + h + ",MGF1," + std::to_string(Hash::size) + ")"
                                       : "EMSA3(" + h + ")";
  }
};

template <class Hash>
struct key_encryption<rsa_oaep<Hash>, backend::botan> {
  static constexpr std::size_t max_ciphertext_size = rsa_max_modulus_bytes;

  [[nodiscard]] static result<keypair> generate(std::size_t bits = rsa_detail::default_modulus_bits) {
    return rsa_detail::generate(bits);
  }

  [[nodiscard]] static result<std::size_t> encrypt(bytes_view public_key, bytes_view label, bytes_view plaintext,
                                                   mutable_bytes out) noexcept {
    auto spec = eme(label);
    if (!spec) return fail(spec.error());
    return backend::botan_detail::guard(
        [&]() -> result<std::size_t> {
          const auto key = rsa_detail::rsa_public(public_key);
          Botan::PK_Encryptor_EME enc(*key, backend::botan_detail::rng(), *spec);
          if (plaintext.size() > enc.maximum_input_size()) return fail(errc::message_too_long);
          return backend::botan_detail::copy_out(
              enc.encrypt(plaintext.data(), plaintext.size(), backend::botan_detail::rng()), out);
        },
        errc::invalid_key);
  }

  // Every decryption failure is errc::auth_failed, whatever the cause (no padding oracle).
  [[nodiscard]] static result<std::size_t> decrypt(bytes_view private_key, bytes_view label, bytes_view ciphertext,
                                                   mutable_bytes out) noexcept {
    auto spec = eme(label);
    if (!spec) return fail(spec.error());
    std::unique_ptr<Botan::Private_Key> key;
    if (auto r = backend::botan_detail::guard(
            [&]() -> result<void> {
              key = rsa_detail::rsa_private(private_key);
              return {};
            },
            errc::invalid_key);
        !r)
      return fail(r.error());
    return backend::botan_detail::guard(
        [&]() -> result<std::size_t> {
          if (ciphertext.size() != rsa_detail::modulus_bytes(*key)) return fail(errc::auth_failed);
          Botan::PK_Decryptor_EME dec(*key, backend::botan_detail::rng(), *spec);
          const auto pt = dec.decrypt(ciphertext.data(), ciphertext.size());
          return backend::botan_detail::copy_out(pt, out);
        },
        errc::auth_failed);
  }

 private:
  // Botan 2 takes the OAEP label inside its algorithm string, so a label with
  // '(', ')' or ',' cannot be expressed; such labels are errc::unsupported.
  // JOSE's RSA-OAEP-256 uses the empty label.
  static result<std::string> eme(bytes_view label) {
    const std::string h(Hash::name);
    if (label.empty()) return "OAEP(" + h + ",MGF1(" + h + "))";
    std::string l(label.begin(), label.end());
    if (l.find_first_of("(),") != std::string::npos) return fail(errc::unsupported);
    return "OAEP(" + h + ",MGF1(" + h + ")," + l + ")";
  }
};

static_assert(signature_policy<signature<ecdsa_p256_sha256, backend::botan>>);
static_assert(signature_policy<signature<ecdsa_p384_sha384, backend::botan>>);
static_assert(signature_policy<signature<ecdsa_p521_sha512, backend::botan>>);
static_assert(signature_policy<signature<ecdsa_p256_sha256_der, backend::botan>>);
static_assert(signature_policy<signature<ecdsa_p384_sha384_der, backend::botan>>);
static_assert(signature_policy<signature<ecdsa_p521_sha512_der, backend::botan>>);
static_assert(signature_policy<signature<ed25519, backend::botan>>);
static_assert(signature_policy<signature<rsa_pkcs1_sha256, backend::botan>>);
static_assert(signature_policy<signature<rsa_pkcs1_sha384, backend::botan>>);
static_assert(signature_policy<signature<rsa_pkcs1_sha512, backend::botan>>);
static_assert(signature_policy<signature<rsa_pss_sha256, backend::botan>>);
static_assert(signature_policy<signature<rsa_pss_sha384, backend::botan>>);
static_assert(signature_policy<signature<rsa_pss_sha512, backend::botan>>);
static_assert(key_encryption_policy<key_encryption<rsa_oaep_sha256, backend::botan>>);

}  // namespace m2msec::crypto
