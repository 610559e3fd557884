// m2msec: the argument checks every key-agreement adapter makes, whatever its backend.
#pragma once

#include "m2msec/crypto/concepts.hpp"

namespace m2msec::crypto {

// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
template <std::size_t PrivateKeySize, std::size_t PublicKeySize, std::size_t SharedSize>
struct key_agreement_adapter {
  // public_key: a private key of the curve's size, room for the public key.
  [[nodiscard]] static result<void> check_public_key(bytes_view private_key, mutable_bytes out) noexcept {
    if (private_key.size() != PrivateKeySize) return fail(errc::invalid_key_size);
    if (out.size() < PublicKeySize) return fail(errc::buffer_too_small);
    return {};
  }
  // agree: our private key, a peer key of the curve's size, room for the secret.
  [[nodiscard]] static result<void> check_agree(bytes_view private_key, bytes_view peer_public,
                                                mutable_bytes shared) noexcept {
    if (private_key.size() != PrivateKeySize) return fail(errc::invalid_key_size);
    if (peer_public.size() != PublicKeySize) return fail(errc::invalid_key);
    if (shared.size() < SharedSize) return fail(errc::buffer_too_small);
    return {};
  }
};

}  // namespace m2msec::crypto
