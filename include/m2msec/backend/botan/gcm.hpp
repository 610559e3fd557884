// m2msec: AES-GCM (NIST SP 800-38D) on Botan 2's AES and our GHASH (Botan's
// is future-internal). Botan's own GCM_Mode allocates per message; this
// adapter does not, and it checks the tag before it decrypts anything.
#pragma once

#include "m2msec/backend/botan/aead_mode.hpp"
#include "m2msec/backend/botan/block_cipher.hpp"
#include "m2msec/backend/ghash.hpp"

namespace m2msec::crypto {

// SP 800-38D §5.2.1.1: at most 2^39 - 256 bits of plaintext.
template <std::size_t KeyBytes>
class aead<aes_gcm<KeyBytes>, backend::botan>
    : public botan_aead_mode<aead<aes_gcm<KeyBytes>, backend::botan>, aes_gcm<KeyBytes>, (std::uint64_t{1} << 36) - 32> {
  using base = botan_aead_mode<aead, aes_gcm<KeyBytes>, (std::uint64_t{1} << 36) - 32>;
  friend base;

 public:
  using base::key_size, base::nonce_size, base::tag_size;

  [[nodiscard]] static result<aead> create(bytes_view key) {
    return base::keyed(key, [&] {
      auto aes = backend::botan_detail::make_aes(key);
      byte h[16] = {};
      aes->encrypt(h);  // H = E(K, 0^128)
      aead a(std::move(aes), ghash(h));
      ct::wipe(h, sizeof h);
      return a;
    });
  }

 private:
  void seal_body(byte* out, bytes_view nonce, bytes_view ad, bytes_view plaintext) {
    crypt(out, plaintext.data(), plaintext.size(), nonce);
    tag(out + plaintext.size(), nonce, ad, {out, plaintext.size()});
  }
  bool open_body(byte* out, bytes_view nonce, bytes_view ad, bytes_view ciphertext, bytes_view received) {
    return base::check_then_decrypt(
        received, [&](byte* expected) { tag(expected, nonce, ad, ciphertext); },
        [&] { crypt(out, ciphertext.data(), ciphertext.size(), nonce); });
  }

  aead(std::unique_ptr<Botan::BlockCipher> aes, const ghash& hash) noexcept : aes_(std::move(aes)), ghash_(hash) {}

  // J0 = nonce || 0^31 || 1 for a 96-bit nonce; data uses counters from 2.
  static void counter_block(byte* b, bytes_view nonce, std::uint64_t i) noexcept {
    std::memcpy(b, nonce.data(), nonce_size);
    store_be(b + nonce_size, i, 4);
  }
  void crypt(byte* out, const byte* in, std::size_t n, bytes_view nonce) const noexcept {
    backend::botan_detail::ctr_xor(*aes_, out, in, n, 2,
                                   [&](byte* b, std::uint64_t i) { counter_block(b, nonce, i); });
  }
  // T = GHASH_H(A, C) XOR E(K, J0)
  void tag(byte* out, bytes_view nonce, bytes_view ad, bytes_view ciphertext) {
    byte ekj0[16];
    counter_block(ekj0, nonce, 1);
    aes_->encrypt(ekj0);
    ghash_.tag(out, ad, ciphertext, ekj0);
    ct::wipe(ekj0, sizeof ekj0);
  }

  std::unique_ptr<Botan::BlockCipher> aes_;
  ghash ghash_;
};

static_assert(aead_policy<aead<aes128_gcm, backend::botan>>);
static_assert(aead_policy<aead<aes192_gcm, backend::botan>>);
static_assert(aead_policy<aead<aes256_gcm, backend::botan>>);

}  // namespace m2msec::crypto
