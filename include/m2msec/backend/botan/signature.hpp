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
  if (!sig.empty()) std::memcpy(out.data(), sig.data(), sig.size());
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

namespace m2msec::backend::botan_detail {

// A Botan key with its PK_Signer or PK_Verifier, built once. Traits say how to
// load the key, which EMSA and signature format to use, and what to check before
// Botan sees a signature.
// Botan 2's PK_Verifier keeps the message hashed so far when a DER signature
// fails to decode (it returns false before finishing the hash) and would mix it
// into the next message; a PK_Signer that throws may do the same. So after any
// failure the operation is built again from the key.
template <class Traits>
class signer {
 public:
  [[nodiscard]] static result<signer> create(bytes_view private_key) noexcept {
    return guard(
        [&]() -> result<signer> {
          auto key = Traits::load_private(private_key);
          if (!key) return fail(key.error());
          signer s(std::move(*key));
          s.rebuild();
          return s;
        },
        errc::invalid_key);
  }
  [[nodiscard]] result<std::size_t> sign(bytes_view msg, mutable_bytes sig) noexcept {
    if (!op_) return fail(errc::backend_failure);
    auto r = guard([&]() -> result<std::size_t> { return copy_out(op_->sign_message(msg.data(), msg.size(), rng()), sig); });
    if (!r) (void)guard([&]() -> result<void> { rebuild(); return {}; });
    return r;
  }

 private:
  explicit signer(std::unique_ptr<Botan::Private_Key> key) noexcept : key_(std::move(key)) {}
  void rebuild() {
    op_.reset();
    op_ = std::make_unique<Botan::PK_Signer>(*key_, rng(), Traits::emsa(), Traits::format());
  }
  std::unique_ptr<Botan::Private_Key> key_;
  std::unique_ptr<Botan::PK_Signer> op_;
};

template <class Traits>
class verifier {
 public:
  [[nodiscard]] static result<verifier> create(bytes_view public_key) noexcept {
    return guard(
        [&]() -> result<verifier> {
          auto key = Traits::load_public(public_key);
          if (!key) return fail(key.error());
          verifier v(std::move(*key));
          v.rebuild();
          return v;
        },
        errc::invalid_key);
  }
  // Any signature that fails to decode is errc::auth_failed, like a wrong one.
  [[nodiscard]] result<void> verify(bytes_view msg, bytes_view sig) const noexcept {
    if (!op_) return fail(errc::backend_failure);
    if (!Traits::precheck(*key_, sig)) return fail(errc::auth_failed);
    auto r = guard(
        [&]() -> result<void> {
          if (!op_->verify_message(msg.data(), msg.size(), sig.data(), sig.size())) return fail(errc::auth_failed);
          return {};
        },
        errc::auth_failed);
    if (!r) (void)guard([&]() -> result<void> { rebuild(); return {}; });
    return r;
  }

 private:
  explicit verifier(std::unique_ptr<Botan::Public_Key> key) noexcept : key_(std::move(key)) {}
  void rebuild() const {
    op_.reset();
    op_ = std::make_unique<Botan::PK_Verifier>(*key_, Traits::emsa(), Traits::format());
  }
  std::unique_ptr<Botan::Public_Key> key_;
  mutable std::unique_ptr<Botan::PK_Verifier> op_;  // rebuilt after a throw
};

template <class Curve, class Hash, crypto::ecdsa_format Format>
struct ecdsa_traits {
  static result<std::unique_ptr<Botan::Private_Key>> load_private(bytes_view private_key) {
    auto x = scalar<Curve>(private_key);
    if (!x) return fail(x.error());
    return std::unique_ptr<Botan::Private_Key>(std::make_unique<Botan::ECDSA_PrivateKey>(rng(), group<Curve>(), *x));
  }
  static result<std::unique_ptr<Botan::Public_Key>> load_public(bytes_view public_key) {
    auto q = point<Curve>(public_key);
    if (!q) return fail(q.error());
    return std::unique_ptr<Botan::Public_Key>(std::make_unique<Botan::ECDSA_PublicKey>(group<Curve>(), *q));
  }
  static std::string emsa() { return "EMSA1(" + std::string(Hash::name) + ")"; }
  static Botan::Signature_Format format() noexcept {
    return Format == crypto::ecdsa_format::der ? Botan::DER_SEQUENCE : Botan::IEEE_1363;
  }
  // DER must be the canonical encoding and P1363 exactly 2 * field bytes: Botan checks both.
  static bool precheck(const Botan::Public_Key&, bytes_view) noexcept { return true; }
};

struct ed25519_traits {
  static result<std::unique_ptr<Botan::Private_Key>> load_private(bytes_view seed) {
    if (seed.size() != 32) return fail(errc::invalid_key_size);
    return std::unique_ptr<Botan::Private_Key>(
        std::make_unique<Botan::Ed25519_PrivateKey>(Botan::secure_vector<byte>(seed.begin(), seed.end())));
  }
  static result<std::unique_ptr<Botan::Public_Key>> load_public(bytes_view public_key) {
    if (public_key.size() != 32) return fail(errc::invalid_key);
    return std::unique_ptr<Botan::Public_Key>(
        std::make_unique<Botan::Ed25519_PublicKey>(std::vector<byte>(public_key.begin(), public_key.end())));
  }
  static std::string emsa() { return "Pure"; }
  static Botan::Signature_Format format() noexcept { return Botan::IEEE_1363; }
  static bool precheck(const Botan::Public_Key&, bytes_view sig) noexcept {
    return sig.size() == 64 && ed25519_s_is_canonical(sig.data() + 32);
  }
};

// RSA keys: public as DER SubjectPublicKeyInfo, private as DER PKCS#8.
namespace rsa_detail {
inline constexpr std::size_t default_modulus_bits = 2048;

[[nodiscard]] inline result<crypto::keypair> generate(std::size_t bits) {
  return guard([&]() -> result<crypto::keypair> {
    const Botan::RSA_PrivateKey key(rng(), bits);
    const auto der = Botan::PKCS8::BER_encode(key);
    auto sk = secret::copy_of(der);
    if (!sk) return fail(sk.error());
    return crypto::keypair{std::move(*sk), Botan::X509::BER_encode(key)};
  });
}
[[nodiscard]] inline std::unique_ptr<Botan::Public_Key> rsa_public(bytes_view spki) {
  auto key = load_spki(spki);
  if (key == nullptr || key->algo_name() != "RSA") throw Botan::Decoding_Error("not an RSA public key");
  return key;
}
[[nodiscard]] inline std::unique_ptr<Botan::Private_Key> rsa_private(bytes_view pkcs8) {
  auto key = load_pkcs8(pkcs8);
  if (key == nullptr || key->algo_name() != "RSA") throw Botan::Decoding_Error("not an RSA private key");
  return key;
}
// k, the modulus length in bytes. RFC 8017 §8.2.2 step 1 and §7.1.2 step 1:
// a signature or ciphertext of any other length is invalid. Botan 2 accepts
// leading zero bytes, which Wycheproof flags.
[[nodiscard]] inline std::size_t modulus_bytes(const Botan::Public_Key& key) { return (key.key_length() + 7) / 8; }
}  // namespace rsa_detail

template <class Hash, crypto::rsa_padding Padding>
struct rsa_traits {
  static result<std::unique_ptr<Botan::Private_Key>> load_private(bytes_view pkcs8) {
    return rsa_detail::rsa_private(pkcs8);
  }
  static result<std::unique_ptr<Botan::Public_Key>> load_public(bytes_view spki) { return rsa_detail::rsa_public(spki); }
  // PSS: MGF1 with the same hash, salt as long as the hash (RFC 7518 §3.5).
  static std::string emsa() {
    const std::string h(Hash::name);
    return Padding == crypto::rsa_padding::pss ? "PSSR(" + h + ",MGF1," + std::to_string(Hash::size) + ")"
                                               : "EMSA3(" + h + ")";
  }
  static Botan::Signature_Format format() noexcept { return Botan::IEEE_1363; }
  static bool precheck(const Botan::Public_Key& key, bytes_view sig) noexcept {
    return sig.size() == rsa_detail::modulus_bytes(key);
  }
};

}  // namespace m2msec::backend::botan_detail

namespace m2msec::crypto {

template <class Curve, class Hash, ecdsa_format Format>
struct signature<ecdsa<Curve, Hash, Format>, backend::botan>
    : one_shot_signature<signature<ecdsa<Curve, Hash, Format>, backend::botan>> {
  using alg = ecdsa<Curve, Hash, Format>;
  using traits = backend::botan_detail::ecdsa_traits<Curve, Hash, Format>;
  using signer = backend::botan_detail::signer<traits>;
  using verifier = backend::botan_detail::verifier<traits>;
  static constexpr std::size_t private_key_size = alg::private_key_size, public_key_size = alg::public_key_size,
                               max_signature_size = alg::max_signature_size;

  [[nodiscard]] static result<keypair> generate() { return key_agreement<Curve, backend::botan>::generate(); }
  [[nodiscard]] static result<void> public_key(bytes_view private_key, mutable_bytes out) noexcept {
    return key_agreement<Curve, backend::botan>::public_key(private_key, out);
  }
};

template <>
struct signature<ed25519, backend::botan> : one_shot_signature<signature<ed25519, backend::botan>> {
  using signer = backend::botan_detail::signer<backend::botan_detail::ed25519_traits>;
  using verifier = backend::botan_detail::verifier<backend::botan_detail::ed25519_traits>;
  static constexpr std::size_t private_key_size = 32, public_key_size = 32, max_signature_size = 64;

  [[nodiscard]] static result<keypair> generate() { return random_keypair<signature, rng<backend::botan>>(); }

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
};

template <class Hash, rsa_padding Padding>
struct signature<rsa_signature<Hash, Padding>, backend::botan>
    : one_shot_signature<signature<rsa_signature<Hash, Padding>, backend::botan>> {
  using traits = backend::botan_detail::rsa_traits<Hash, Padding>;
  using signer = backend::botan_detail::signer<traits>;
  using verifier = backend::botan_detail::verifier<traits>;
  static constexpr std::size_t max_signature_size = rsa_max_modulus_bytes;

  [[nodiscard]] static result<keypair> generate(
      std::size_t bits = backend::botan_detail::rsa_detail::default_modulus_bits) {
    return backend::botan_detail::rsa_detail::generate(bits);
  }
};

template <class Hash>
struct key_encryption<rsa_oaep<Hash>, backend::botan> : one_shot_key_encryption<key_encryption<rsa_oaep<Hash>, backend::botan>> {
  static constexpr std::size_t max_ciphertext_size = rsa_max_modulus_bytes;

  [[nodiscard]] static result<keypair> generate(
      std::size_t bits = backend::botan_detail::rsa_detail::default_modulus_bits) {
    return backend::botan_detail::rsa_detail::generate(bits);
  }

  // A key and label made into Botan's EME operation `Op` once (for a
  // decryptor, the private-key checks and the blinding set-up are the expensive part).
  template <class Self, class Key, class Op, auto Load>
  class eme_operation {
   public:
    [[nodiscard]] static result<Self> create(bytes_view key, bytes_view label = {}) noexcept {
      auto spec = eme(label);
      if (!spec) return fail(spec.error());
      return backend::botan_detail::guard(
          [&]() -> result<Self> {
            Self s;
            s.key_ = Load(key);
            s.op_ = std::make_unique<Op>(*s.key_, backend::botan_detail::rng(), *spec);
            return s;
          },
          errc::invalid_key);
    }

   protected:
    std::unique_ptr<Key> key_;
    std::unique_ptr<Op> op_;
  };

  class encryptor;
  class decryptor;
  using encryptor_base = eme_operation<encryptor, Botan::Public_Key, Botan::PK_Encryptor_EME,
                                       &backend::botan_detail::rsa_detail::rsa_public>;
  using decryptor_base = eme_operation<decryptor, Botan::Private_Key, Botan::PK_Decryptor_EME,
                                       &backend::botan_detail::rsa_detail::rsa_private>;

  class encryptor : public encryptor_base {
   public:
    [[nodiscard]] result<std::size_t> encrypt(bytes_view plaintext, mutable_bytes out) const noexcept {
      if (plaintext.size() > this->op_->maximum_input_size()) return fail(errc::message_too_long);
      return backend::botan_detail::guard([&]() -> result<std::size_t> {
        return backend::botan_detail::copy_out(
            this->op_->encrypt(plaintext.data(), plaintext.size(), backend::botan_detail::rng()), out);
      });
    }

   private:
    friend encryptor_base;
    encryptor() = default;
  };

  class decryptor : public decryptor_base {
   public:
    // Every decryption failure is errc::auth_failed, whatever the cause (no padding oracle).
    [[nodiscard]] result<std::size_t> decrypt(bytes_view ciphertext, mutable_bytes out) const noexcept {
      return backend::botan_detail::guard(
          [&]() -> result<std::size_t> {
            if (ciphertext.size() != backend::botan_detail::rsa_detail::modulus_bytes(*this->key_))
              return fail(errc::auth_failed);
            Botan::secure_vector<uint8_t> pt;
            try {
              pt = this->op_->decrypt(ciphertext.data(), ciphertext.size());
            } catch (const Botan::Exception&) {
              // Botan throws Invalid_Argument, not Decoding_Error, for a ciphertext >= n.
              return fail(errc::auth_failed);
            }
            return backend::botan_detail::copy_out(pt, out);
          },
          errc::auth_failed);
    }

   private:
    friend decryptor_base;
    decryptor() = default;
  };

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
