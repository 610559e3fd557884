// m2msec: X25519 on libsodium.
#pragma once

#include "m2msec/backend/key_agreement_adapter.hpp"
#include "m2msec/backend/sodium/init.hpp"
#include "m2msec/backend/sodium/random.hpp"
#include "m2msec/crypto/concepts.hpp"

namespace m2msec::crypto {

template <> struct key_agreement<x25519, backend::sodium> {
  static constexpr std::size_t private_key_size = x25519::private_key_size, public_key_size = x25519::public_key_size,
                               shared_size = x25519::shared_size;
  using checks = key_agreement_adapter<private_key_size, public_key_size, shared_size>;

  [[nodiscard]] static result<keypair> generate() {
    return random_keypair<key_agreement, rng<backend::sodium>>();
  }

  [[nodiscard]] static result<void> public_key(bytes_view private_key, mutable_bytes out) noexcept {
    if (auto r = checks::check_public_key(private_key, out); !r) return r;
    if (!backend::sodium_detail::ready()) return fail(errc::backend_failure);
    if (::crypto_scalarmult_base(out.data(), private_key.data()) != 0) return fail(errc::invalid_key);
    return {};
  }

  // RFC 7748 §6.1: an all-zero shared secret (a low-order peer key) is refused.
  [[nodiscard]] static result<void> agree(bytes_view private_key, bytes_view peer_public,
                                          mutable_bytes shared) noexcept {
    if (auto r = checks::check_agree(private_key, peer_public, shared); !r) return r;
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
