// m2msec: what every AEAD adapter shares, whatever its backend: its sizes, from the
// algorithm tag; the argument checks of seal and open; and no plaintext left in the
// output when open fails.
#pragma once

#include <cstdint>

#include "m2msec/core/ct.hpp"
#include "m2msec/crypto/concepts.hpp"

namespace m2msec::crypto {

// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
template <class Alg, std::uint64_t MaxMessage>
struct aead_adapter {
  static constexpr std::size_t key_size = Alg::key_size, nonce_size = Alg::nonce_size, tag_size = Alg::tag_size;
  static constexpr std::uint64_t max_message = MaxMessage;  // bytes of plaintext one message may hold
  [[nodiscard]] static constexpr std::size_t sealed_size(std::size_t n) noexcept { return n + tag_size; }

  // seal: the nonce's size, the message's length, room for ciphertext and tag.
  [[nodiscard]] static result<void> check_seal(mutable_bytes out, bytes_view nonce, bytes_view plaintext) noexcept {
    if (nonce.size() != nonce_size) return fail(errc::invalid_nonce_size);
    if (plaintext.size() > max_message) return fail(errc::message_too_long);
    if (out.size() < sealed_size(plaintext.size())) return fail(errc::buffer_too_small);
    return {};
  }
  // open: the plaintext's length when the arguments fit. Input shorter than a tag,
  // or longer than any message, fails authentication like any other forgery.
  [[nodiscard]] static result<std::size_t> check_open(mutable_bytes out, bytes_view nonce, bytes_view sealed) noexcept {
    if (nonce.size() != nonce_size) return fail(errc::invalid_nonce_size);
    if (sealed.size() < tag_size) return fail(errc::auth_failed);
    const std::size_t n = sealed.size() - tag_size;
    if (n > max_message) return fail(errc::auth_failed);
    if (out.size() < n) return fail(errc::buffer_too_small);
    return n;
  }
  // A failed open: the n bytes of output are zeroed before the error leaves.
  [[nodiscard]] static tl::unexpected<errc> refuse(mutable_bytes out, std::size_t n) noexcept {
    ct::wipe(out.first(n));
    return fail(errc::auth_failed);
  }
};

}  // namespace m2msec::crypto
