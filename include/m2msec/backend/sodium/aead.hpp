// m2msec: AEADs on libsodium: ChaCha20-Poly1305 (IETF), XChaCha20-Poly1305,
// and AES-256-GCM where the CPU has AES-NI and PCLMUL.
#pragma once

#include "m2msec/backend/aead_adapter.hpp"
#include "m2msec/backend/sodium/init.hpp"

namespace m2msec::backend::sodium_detail {

// One row per algorithm: libsodium's detached-tag-free calls, keyed by `key`
// (a secret holding the raw key, or the precomputed AES-GCM state).
template <class Alg> struct aead_calls {
  static constexpr bool defined = false;
};

// libsodium's combined-mode calls over a state: the raw key (ChaCha20-Poly1305
// in both variants, and AES-256-GCM keyed per call) or AES-GCM's expanded one.
// `once` is the row that takes the raw key itself.
template <std::size_t StateBytes, unsigned long long MaxMessage, auto Seal, auto Open, class State = byte>
struct calls_over {
  static constexpr bool defined = true;
  static constexpr std::size_t state_size = StateBytes;
  static constexpr unsigned long long max_message = MaxMessage;
  using once = calls_over;
  static bool available() noexcept { return ready(); }
  static int init(byte* state, const byte* key) noexcept {
    std::memcpy(state, key, state_size);
    return 0;
  }
  static int seal(byte* c, unsigned long long* clen, const byte* m, unsigned long long mlen, const byte* ad,
                  unsigned long long adlen, const byte* n, const byte* state) noexcept {
    return Seal(c, clen, m, mlen, ad, adlen, nullptr, n, reinterpret_cast<const State*>(state));
  }
  static int open(byte* m, unsigned long long* mlen, const byte* c, unsigned long long clen, const byte* ad,
                  unsigned long long adlen, const byte* n, const byte* state) noexcept {
    return Open(m, mlen, nullptr, c, clen, ad, adlen, n, reinterpret_cast<const State*>(state));
  }
};
template <>
struct aead_calls<crypto::chacha20_poly1305>
    : calls_over<crypto_aead_chacha20poly1305_ietf_KEYBYTES, crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX,
                 &crypto_aead_chacha20poly1305_ietf_encrypt, &crypto_aead_chacha20poly1305_ietf_decrypt> {};
template <>
struct aead_calls<crypto::xchacha20_poly1305>
    : calls_over<crypto_aead_xchacha20poly1305_ietf_KEYBYTES, crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX,
                 &crypto_aead_xchacha20poly1305_ietf_encrypt, &crypto_aead_xchacha20poly1305_ietf_decrypt> {};

// AES-256-GCM: the expanded key schedule and GHASH key, computed once per key;
// keyed per call, libsodium expands the key on its stack and wipes it.
template <>
struct aead_calls<crypto::aes256_gcm>
    : calls_over<sizeof(crypto_aead_aes256gcm_state), crypto_aead_aes256gcm_MESSAGEBYTES_MAX,
                 &crypto_aead_aes256gcm_encrypt_afternm, &crypto_aead_aes256gcm_decrypt_afternm,
                 crypto_aead_aes256gcm_state> {
  using once = calls_over<crypto_aead_aes256gcm_KEYBYTES, crypto_aead_aes256gcm_MESSAGEBYTES_MAX,
                          &crypto_aead_aes256gcm_encrypt, &crypto_aead_aes256gcm_decrypt>;
  static bool available() noexcept { return ready() && crypto_aead_aes256gcm_is_available() == 1; }
  static int init(byte* state, const byte* key) noexcept {
    return crypto_aead_aes256gcm_beforenm(reinterpret_cast<crypto_aead_aes256gcm_state*>(state), key);
  }
};

}  // namespace m2msec::backend::sodium_detail

namespace m2msec::crypto {

template <class Alg>
  requires backend::sodium_detail::aead_calls<Alg>::defined
class aead<Alg, backend::sodium>
    : public aead_adapter<Alg, backend::sodium_detail::aead_calls<Alg>::max_message> {
  using calls = backend::sodium_detail::aead_calls<Alg>;
 public:
  using base = aead_adapter<Alg, calls::max_message>;
  using base::key_size, base::nonce_size, base::tag_size;
  [[nodiscard]] static bool available() noexcept { return calls::available(); }

  [[nodiscard]] static result<aead> create(bytes_view key) {
    if (!available()) return fail(errc::unsupported);
    if (key.size() != key_size) return fail(errc::invalid_key_size);
    auto state = secret::allocate(calls::state_size);  // page-aligned, as the AES-GCM state needs
    if (!state) return fail(state.error());
    if (calls::init(state->expose().data(), key.data()) != 0) return fail(errc::backend_failure);
    return aead(std::move(*state));
  }

  // One message under a key used once, with no keyed object (and for
  // AES-256-GCM no locked page for its state): the path for per-message keys.
  [[nodiscard]] static result<std::size_t> seal_once(bytes_view key, mutable_bytes out, bytes_view nonce,
                                                     bytes_view ad, bytes_view plaintext) noexcept {
    if (!available()) return fail(errc::unsupported);
    if (key.size() != key_size) return fail(errc::invalid_key_size);
    if (auto r = base::check_seal(out, nonce, plaintext); !r) return fail(r.error());
    unsigned long long n = 0;
    if (calls::once::seal(out.data(), &n, plaintext.data(), plaintext.size(), ad.data(), ad.size(), nonce.data(), key.data()) != 0)
      return fail(errc::backend_failure);
    return static_cast<std::size_t>(n);
  }
  [[nodiscard]] static result<std::size_t> open_once(bytes_view key, mutable_bytes out, bytes_view nonce,
                                                     bytes_view ad, bytes_view sealed) noexcept {
    if (!available()) return fail(errc::unsupported);
    if (key.size() != key_size) return fail(errc::invalid_key_size);
    const auto checked = base::check_open(out, nonce, sealed);
    if (!checked) return checked;
    unsigned long long m = 0;
    if (calls::once::open(out.data(), &m, sealed.data(), sealed.size(), ad.data(), ad.size(), nonce.data(), key.data()) != 0)
      return base::refuse(out, *checked);
    return static_cast<std::size_t>(m);
  }

  [[nodiscard]] result<std::size_t> seal(mutable_bytes out, bytes_view nonce, bytes_view ad,
                                         bytes_view plaintext) noexcept {
    if (auto r = base::check_seal(out, nonce, plaintext); !r) return fail(r.error());
    unsigned long long n = 0;
    if (calls::seal(out.data(), &n, plaintext.data(), plaintext.size(), ad.data(), ad.size(), nonce.data(),
                    state_.expose().data()) != 0)
      return fail(errc::backend_failure);
    return static_cast<std::size_t>(n);
  }

  [[nodiscard]] result<std::size_t> open(mutable_bytes out, bytes_view nonce, bytes_view ad,
                                         bytes_view sealed) noexcept {
    const auto checked = base::check_open(out, nonce, sealed);
    if (!checked) return checked;
    unsigned long long m = 0;
    // On a bad tag no plaintext is handed out: out is zeroed.
    if (calls::open(out.data(), &m, sealed.data(), sealed.size(), ad.data(), ad.size(), nonce.data(),
                    state_.expose().data()) != 0)
      return base::refuse(out, *checked);
    return static_cast<std::size_t>(m);
  }

 private:
  explicit aead(secret state) noexcept : state_(std::move(state)) {}
  secret state_;
};

static_assert(aead_policy<aead<chacha20_poly1305, backend::sodium>>);
static_assert(aead_policy<aead<xchacha20_poly1305, backend::sodium>>);
static_assert(aead_policy<aead<aes256_gcm, backend::sodium>>);

}  // namespace m2msec::crypto
