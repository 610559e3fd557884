// m2msec: AES-CCM (RFC 3610, NIST SP 800-38C) on Botan 2's AES. Botan's CCM_Mode
// buffers the whole message in a growing vector; this adapter writes straight
// into the caller's span.
#pragma once

#include "m2msec/backend/botan/aead_mode.hpp"
#include "m2msec/backend/botan/block_cipher.hpp"

namespace m2msec::crypto {

// The length field has L bytes: a message of at most 2^(8L) - 1 bytes.
template <std::size_t L>
inline constexpr std::uint64_t ccm_max_message = L >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * L)) - 1;

template <std::size_t KeyBytes, std::size_t TagBytes, std::size_t NonceBytes>
class aead<aes_ccm<KeyBytes, TagBytes, NonceBytes>, backend::botan>
    : public botan_aead_mode<aead<aes_ccm<KeyBytes, TagBytes, NonceBytes>, backend::botan>,
                             aes_ccm<KeyBytes, TagBytes, NonceBytes>,
                             ccm_max_message<aes_ccm<KeyBytes, TagBytes, NonceBytes>::length_bytes>> {
  using alg = aes_ccm<KeyBytes, TagBytes, NonceBytes>;
  static constexpr std::size_t L = alg::length_bytes;
  using base = botan_aead_mode<aead, alg, ccm_max_message<L>>;
  friend base;

 public:
  using base::key_size, base::nonce_size, base::tag_size;

  [[nodiscard]] static result<aead> create(bytes_view key) {
    return base::keyed(key, [&] { return aead(backend::botan_detail::make_aes(key)); });
  }

 private:
  void seal_body(byte* out, bytes_view nonce, bytes_view ad, bytes_view plaintext) {
    byte t[16];
    cbc_mac(t, nonce, ad, plaintext);  // over the plaintext, before out (which may alias it) changes
    crypt(out, plaintext.data(), plaintext.size(), nonce);
    mask_tag(out + plaintext.size(), t, nonce);
    ct::wipe(t, sizeof t);
  }
  // CCM authenticates the plaintext, so it must be decrypted first; the caller
  // wipes it again if the tag does not match, before anyone can see it.
  bool open_body(byte* out, bytes_view nonce, bytes_view ad, bytes_view ciphertext, bytes_view tag) {
    const std::size_t n = ciphertext.size();
    byte received[tag_size], t[16], expected[tag_size];
    std::memcpy(received, tag.data(), tag_size);  // out may alias the sealed input
    crypt(out, ciphertext.data(), n, nonce);
    cbc_mac(t, nonce, ad, {out, n});
    mask_tag(expected, t, nonce);
    const bool ok = ct::equal(expected, received);
    ct::wipe(t, sizeof t);
    ct::wipe(expected, sizeof expected);
    return ok;
  }

  explicit aead(std::unique_ptr<Botan::BlockCipher> aes) noexcept : aes_(std::move(aes)) {}

  // CBC-MAC absorbing bytes into x, one AES call per full block.
  struct cbc {
    const Botan::BlockCipher& aes;
    byte x[16] = {};
    std::size_t pos = 0;
    void feed(const byte* p, std::size_t n) noexcept {
      for (std::size_t i = 0; i < n; ++i) {
        x[pos++] ^= p[i];
        if (pos == 16) {
          aes.encrypt(x);
          pos = 0;
        }
      }
    }
    void pad() noexcept {  // zero padding to the block boundary
      if (pos != 0) {
        aes.encrypt(x);
        pos = 0;
      }
    }
  };

  // RFC 3610 §2.2: B0 = flags || nonce || l(m), then l(a) || a padded, then m padded.
  void cbc_mac(byte* t, bytes_view nonce, bytes_view ad, bytes_view m) const noexcept {
    cbc c{*aes_};
    byte b0[16];
    b0[0] = static_cast<byte>((ad.empty() ? 0 : 0x40) | ((tag_size - 2) / 2) << 3 | (L - 1));
    std::memcpy(b0 + 1, nonce.data(), nonce_size);
    store_be(b0 + 1 + nonce_size, m.size(), L);
    c.feed(b0, 16);
    if (!ad.empty()) {
      byte prefix[10];
      std::size_t k = 0;
      const std::uint64_t a = ad.size();
      if (a < 0xFF00) {
        store_be(prefix, a, 2);
        k = 2;
      } else if (a <= 0xFFFFFFFFu) {
        prefix[0] = 0xFF;
        prefix[1] = 0xFE;
        store_be(prefix + 2, a, 4);
        k = 6;
      } else {
        prefix[0] = 0xFF;
        prefix[1] = 0xFF;
        store_be(prefix + 2, a, 8);
        k = 10;
      }
      c.feed(prefix, k);
      c.feed(ad.data(), ad.size());
      c.pad();
    }
    c.feed(m.data(), m.size());
    c.pad();
    std::memcpy(t, c.x, 16);
    ct::wipe(c.x, sizeof c.x);
  }

  // A_i = (L - 1) || nonce || i
  static void counter_block(byte* b, bytes_view nonce, std::uint64_t i) noexcept {
    b[0] = static_cast<byte>(L - 1);
    std::memcpy(b + 1, nonce.data(), nonce_size);
    store_be(b + 1 + nonce_size, i, L);
  }
  void crypt(byte* out, const byte* in, std::size_t n, bytes_view nonce) const noexcept {
    backend::botan_detail::ctr_xor(*aes_, out, in, n, 1,
                                   [&](byte* b, std::uint64_t i) { counter_block(b, nonce, i); });
  }
  // U = T XOR first-M-bytes(S_0)
  void mask_tag(byte* out, const byte* t, bytes_view nonce) const noexcept {
    byte s0[16];
    counter_block(s0, nonce, 0);
    aes_->encrypt(s0);
    for (std::size_t i = 0; i < tag_size; ++i) out[i] = static_cast<byte>(t[i] ^ s0[i]);
    ct::wipe(s0, sizeof s0);
  }

  std::unique_ptr<Botan::BlockCipher> aes_;
};

static_assert(aead_policy<aead<aes128_ccm8, backend::botan>>);
static_assert(aead_policy<aead<aes_ccm<32, 16, 13>, backend::botan>>);

}  // namespace m2msec::crypto
