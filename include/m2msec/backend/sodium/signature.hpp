// m2msec: Ed25519 on libsodium. The private key is the 32-byte seed.
#pragma once

#include <array>

#include "m2msec/backend/sodium/init.hpp"
#include "m2msec/backend/sodium/random.hpp"
#include "m2msec/core/ct.hpp"
#include "m2msec/crypto/concepts.hpp"

namespace m2msec::crypto {

template <>
struct signature<ed25519, backend::sodium> : one_shot_signature<signature<ed25519, backend::sodium>> {
  static constexpr std::size_t private_key_size = 32, public_key_size = 32, max_signature_size = 64;

  // Holds libsodium's 64-byte secret key (seed || public key), expanded once.
  class signer {
   public:
    [[nodiscard]] static result<signer> create(bytes_view seed) noexcept {
      if (seed.size() != private_key_size) return fail(errc::invalid_key_size);
      if (!backend::sodium_detail::ready()) return fail(errc::backend_failure);
      auto sk = secret::allocate(crypto_sign_SECRETKEYBYTES);
      if (!sk) return fail(sk.error());
      byte pk[crypto_sign_PUBLICKEYBYTES];
      if (::crypto_sign_seed_keypair(pk, sk->expose().data(), seed.data()) != 0) return fail(errc::backend_failure);
      return signer(std::move(*sk));
    }
    [[nodiscard]] result<std::size_t> sign(bytes_view msg, mutable_bytes sig) noexcept {
      if (sig.size() < max_signature_size) return fail(errc::buffer_too_small);
      if (::crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), sk_.expose().data()) != 0)
        return fail(errc::backend_failure);
      return max_signature_size;
    }

   private:
    explicit signer(secret sk) noexcept : sk_(std::move(sk)) {}
    secret sk_;
  };

  class verifier {
   public:
    [[nodiscard]] static result<verifier> create(bytes_view public_key) noexcept {
      if (public_key.size() != public_key_size) return fail(errc::invalid_key);
      if (!backend::sodium_detail::ready()) return fail(errc::backend_failure);
      verifier v;
      std::memcpy(v.pk_.data(), public_key.data(), public_key_size);
      return v;
    }
    // libsodium rejects S >= L, small-order and non-canonical R and A.
    [[nodiscard]] result<void> verify(bytes_view msg, bytes_view sig) const noexcept {
      if (sig.size() != max_signature_size) return fail(errc::auth_failed);
      if (::crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), pk_.data()) != 0)
        return fail(errc::auth_failed);
      return {};
    }

   private:
    std::array<byte, public_key_size> pk_{};
  };

  [[nodiscard]] static result<keypair> generate() { return random_keypair<signature, rng<backend::sodium>>(); }

  [[nodiscard]] static result<void> public_key(bytes_view seed, mutable_bytes out) noexcept {
    if (seed.size() != private_key_size) return fail(errc::invalid_key_size);
    if (out.size() < public_key_size) return fail(errc::buffer_too_small);
    if (!backend::sodium_detail::ready()) return fail(errc::backend_failure);
    byte sk[crypto_sign_SECRETKEYBYTES];
    const int rc = ::crypto_sign_seed_keypair(out.data(), sk, seed.data());
    ct::wipe(sk, sizeof sk);
    if (rc != 0) return fail(errc::backend_failure);
    return {};
  }
};
static_assert(signature_policy<signature<ed25519, backend::sodium>>);

}  // namespace m2msec::crypto
