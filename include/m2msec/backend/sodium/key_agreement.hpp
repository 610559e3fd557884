// m2msec: X25519 on libsodium.
#pragma once

#include "m2msec/backend/sodium/init.hpp"
#include "m2msec/backend/sodium/random.hpp"
#include "m2msec/crypto/concepts.hpp"

namespace m2msec::crypto {

template <> struct key_agreement<x25519, backend::sodium> {
  static constexpr std::size_t private_key_size = 32, public_key_size = 32, shared_size = 32;

  [[nodiscard]] static result<keypair> generate() {
    return random_keypair<key_agreement, rng<backend::sodium>>();
  }

  [[nodiscard]] static result<void> public_key(bytes_view private_key, mutable_bytes out) noexcept {
    if (private_key.size() != private_key_size) return fail(errc::invalid_key_size);
    if (out.size() < public_key_size) return fail(errc::buffer_too_small);
    if (!backend::sodium_detail::ready()) return fail(errc::backend_failure);
    if (::crypto_scalarmult_base(out.data(), private_key.data()) != 0) return fail(errc::invalid_key);
    return {};
  }

  // RFC 7748 §6.1: an all-zero shared secret (a low-order peer key) is refused.
  [[nodiscard]] static result<void> agree(bytes_view private_key, bytes_view peer_public,
                                          mutable_bytes shared) noexcept {
    if (private_key.size() != private_key_size) return fail(errc::invalid_key_size);
    if (peer_public.size() != public_key_size) return fail(errc::invalid_key);
    if (shared.size() < shared_size) return fail(errc::buffer_too_small);
    if (!backend::sodium_detail::ready()) return fail(errc::backend_failure);
    if (::crypto_scalarmult(shared.data(), private_key.data(), peer_public.data()) != 0) {
      ct::wipe(shared.first(shared_size));
      return fail(errc::weak_shared_secret);
    }
    return {};
  }
};
static_assert(key_agreement_policy<key_agreement<x25519, backend::sodium>>);

}  // namespace m2msec::crypto
