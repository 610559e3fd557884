// m2msec: ChaCha20-Poly1305 (RFC 8439) and XChaCha20-Poly1305 on Botan 2's
// ChaCha20 and Poly1305. Botan's own ChaCha20Poly1305 mode copies the AD and
// allocates per message; this composition feeds everything straight through,
// and checks the tag before it decrypts. One allocation remains for XChaCha:
// Botan's ChaCha::set_iv() takes a 32-byte secure buffer (from Botan's locked
// pool when it has one) to derive the HChaCha20 subkey (docs/decisions.md).
#pragma once

#include <botan/mac.h>
#include <botan/stream_cipher.h>

#include <memory>

#include "m2msec/backend/botan/aead_mode.hpp"

namespace m2msec::crypto {

template <class Alg>
  requires std::same_as<Alg, chacha20_poly1305> || std::same_as<Alg, xchacha20_poly1305>
// RFC 8439 §2.8: the 32-bit block counter bounds a message to 2^32 - 1 blocks after block 0.
class aead<Alg, backend::botan>
    : public botan_aead_mode<aead<Alg, backend::botan>, Alg, ((std::uint64_t{1} << 32) - 1) * 64> {
  using base = botan_aead_mode<aead, Alg, ((std::uint64_t{1} << 32) - 1) * 64>;
  friend base;

 public:
  using base::key_size, base::nonce_size, base::tag_size;

  [[nodiscard]] static result<aead> create(bytes_view key) {
    return base::keyed(key, [&] {
      aead a(Botan::StreamCipher::create_or_throw("ChaCha(20)"),
             Botan::MessageAuthenticationCode::create_or_throw("Poly1305"));
      a.chacha_->set_key(key.data(), key.size());
      return a;
    });
  }

 private:
  void seal_body(byte* out, bytes_view nonce, bytes_view ad, bytes_view plaintext) {
    start(nonce);
    chacha_->cipher(plaintext.data(), out, plaintext.size());
    tag(out + plaintext.size(), ad, {out, plaintext.size()});
  }
  bool open_body(byte* out, bytes_view nonce, bytes_view ad, bytes_view ciphertext, bytes_view received) {
    start(nonce);
    return base::check_then_decrypt(
        received, [&](byte* expected) { tag(expected, ad, ciphertext); },
        [&] { chacha_->cipher(ciphertext.data(), out, ciphertext.size()); });
  }

  aead(std::unique_ptr<Botan::StreamCipher> chacha, std::unique_ptr<Botan::MessageAuthenticationCode> poly) noexcept
      : chacha_(std::move(chacha)), poly_(std::move(poly)) {}

  // RFC 8439 §2.6: the Poly1305 key is the first 32 bytes of block 0; data starts at block 1.
  // A 24-byte nonce makes Botan's ChaCha run XChaCha20 (HChaCha20 subkey, then ChaCha20).
  void start(bytes_view nonce) {
    chacha_->set_iv(nonce.data(), nonce.size());
    byte block0[64];
    chacha_->write_keystream(block0, sizeof block0);
    poly_->set_key(block0, 32);
    ct::wipe(block0, sizeof block0);
  }

  // RFC 8439 §2.8: Poly1305 over AD || pad16 || C || pad16 || le64(|AD|) || le64(|C|)
  void tag(byte* out, bytes_view ad, bytes_view ciphertext) {
    static constexpr byte zeros[16] = {};
    poly_->update(ad.data(), ad.size());
    poly_->update(zeros, (16 - ad.size() % 16) % 16);
    poly_->update(ciphertext.data(), ciphertext.size());
    poly_->update(zeros, (16 - ciphertext.size() % 16) % 16);
    byte lengths[16];
    for (int i = 0; i < 8; ++i) {
      lengths[i] = static_cast<byte>(std::uint64_t{ad.size()} >> (8 * i));
      lengths[8 + i] = static_cast<byte>(std::uint64_t{ciphertext.size()} >> (8 * i));
    }
    poly_->update(lengths, sizeof lengths);
    poly_->final(out);
  }

  std::unique_ptr<Botan::StreamCipher> chacha_;
  std::unique_ptr<Botan::MessageAuthenticationCode> poly_;
};

static_assert(aead_policy<aead<chacha20_poly1305, backend::botan>>);
static_assert(aead_policy<aead<xchacha20_poly1305, backend::botan>>);

}  // namespace m2msec::crypto
