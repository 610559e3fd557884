// m2msec: AES key wrap (RFC 3394) on Botan 2's AES, into caller spans.
#pragma once

#include "m2msec/backend/botan/block_cipher.hpp"
#include "m2msec/crypto/concepts.hpp"

namespace m2msec::crypto {

template <std::size_t KeyBytes>
class keywrap<aes_kw<KeyBytes>, backend::botan> {
  static constexpr byte default_iv[8] = {0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6};

 public:
  static constexpr std::size_t key_size = KeyBytes, overhead = 8;
  // RFC 3394 §2: at least two 64-bit blocks of key data; m2msec wraps keys, so
  // at most 64 KiB of them (message_too_long past that).
  static constexpr std::size_t min_input = 16, max_input = std::size_t{1} << 16;

  [[nodiscard]] static result<keywrap> create(bytes_view key) {
    if (key.size() != key_size) return fail(errc::invalid_key_size);
    return backend::botan_detail::guard(
        [&]() -> result<keywrap> { return keywrap(backend::botan_detail::make_aes(key)); });
  }

  // RFC 3394 §2.2.1, in the index-based form.
  [[nodiscard]] result<std::size_t> wrap(mutable_bytes out, bytes_view key_data) noexcept {
    if (key_data.size() < min_input || key_data.size() % 8 != 0) return fail(errc::invalid_argument);
    if (key_data.size() > max_input) return fail(errc::message_too_long);
    const std::size_t total = key_data.size() + overhead;
    if (out.size() < total) return fail(errc::buffer_too_small);
    const std::size_t n = key_data.size() / 8;
    std::memmove(out.data() + 8, key_data.data(), key_data.size());
    byte b[16];
    std::memcpy(b, default_iv, 8);  // A
    for (std::size_t j = 0; j < 6; ++j) {
      for (std::size_t i = 1; i <= n; ++i) {
        std::memcpy(b + 8, out.data() + 8 * i, 8);
        aes_->encrypt(b);
        xor_counter(b, n * j + i);
        std::memcpy(out.data() + 8 * i, b + 8, 8);
      }
    }
    std::memcpy(out.data(), b, 8);
    ct::wipe(b, sizeof b);
    return total;
  }

  // RFC 3394 §2.2.2; the integrity check is constant-time, and out is zeroed on failure.
  [[nodiscard]] result<std::size_t> unwrap(mutable_bytes out, bytes_view wrapped) noexcept {
    if (wrapped.size() < min_input + overhead || wrapped.size() % 8 != 0) return fail(errc::invalid_argument);
    const std::size_t total = wrapped.size() - overhead;
    if (out.size() < total) return fail(errc::buffer_too_small);
    const std::size_t n = total / 8;
    byte b[16];
    std::memcpy(b, wrapped.data(), 8);
    std::memmove(out.data(), wrapped.data() + 8, total);
    for (std::size_t j = 6; j-- > 0;) {
      for (std::size_t i = n; i >= 1; --i) {
        xor_counter(b, n * j + i);
        std::memcpy(b + 8, out.data() + 8 * (i - 1), 8);
        aes_->decrypt(b);
        std::memcpy(out.data() + 8 * (i - 1), b + 8, 8);
      }
    }
    const bool ok = ct::equal({b, 8}, default_iv);
    ct::wipe(b, sizeof b);
    if (!ok) {
      ct::wipe(out.first(total));
      return fail(errc::auth_failed);
    }
    return total;
  }

 private:
  explicit keywrap(std::unique_ptr<Botan::BlockCipher> aes) noexcept : aes_(std::move(aes)) {}
  // A = MSB(64, B) ^ t
  static void xor_counter(byte* a, std::uint64_t t) noexcept {
    for (int k = 0; k < 8; ++k) a[7 - k] ^= static_cast<byte>(t >> (8 * k));
  }
  std::unique_ptr<Botan::BlockCipher> aes_;
};

static_assert(keywrap_policy<keywrap<aes128_kw, backend::botan>>);
static_assert(keywrap_policy<keywrap<aes192_kw, backend::botan>>);
static_assert(keywrap_policy<keywrap<aes256_kw, backend::botan>>);

}  // namespace m2msec::crypto
