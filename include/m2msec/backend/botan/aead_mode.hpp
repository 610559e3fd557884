// m2msec: the shape every Botan 2 AEAD adapter shares: the checks of
// aead_adapter, the body run under guard() (no exception leaves), and no
// plaintext when the tag fails. Each mode gives seal_body and open_body.
#pragma once

#include <cstdint>

#include "m2msec/backend/aead_adapter.hpp"
#include "m2msec/backend/botan/common.hpp"

namespace m2msec::crypto {

// Thread safety: one thread at a time per object; distinct objects are independent.
template <class Mode, class Alg, std::uint64_t MaxMessage>
class botan_aead_mode : public aead_adapter<Alg, MaxMessage> {
  using base = aead_adapter<Alg, MaxMessage>;

 public:
  [[nodiscard]] static bool available() noexcept { return true; }

  [[nodiscard]] result<std::size_t> seal(mutable_bytes out, bytes_view nonce, bytes_view ad,
                                         bytes_view plaintext) noexcept {
    if (auto r = base::check_seal(out, nonce, plaintext); !r) return fail(r.error());
    return backend::botan_detail::guard([&]() -> result<std::size_t> {
      mode().seal_body(out.data(), nonce, ad, plaintext);
      return plaintext.size() + base::tag_size;
    });
  }

  [[nodiscard]] result<std::size_t> open(mutable_bytes out, bytes_view nonce, bytes_view ad,
                                         bytes_view sealed) noexcept {
    const auto n = base::check_open(out, nonce, sealed);
    if (!n) return n;
    return backend::botan_detail::guard([&]() -> result<std::size_t> {
      if (!mode().open_body(out.data(), nonce, ad, sealed.first(*n), sealed.subspan(*n))) return base::refuse(out, *n);
      return *n;
    });
  }

 protected:
  // A keyed mode: the key's size checked, then `make()` (which keys it) under
  // guard(), then one empty seal that sizes Botan's internal buffers once.
  template <class Make>
  [[nodiscard]] static result<Mode> keyed(bytes_view key, Make&& make) {
    if (key.size() != base::key_size) return fail(errc::invalid_key_size);
    return backend::botan_detail::guard([&]() -> result<Mode> {
      Mode m = make();
      byte nonce[base::nonce_size] = {}, scratch[base::tag_size];
      (void)m.seal(scratch, nonce, {}, {});
      return m;
    });
  }

  // Encrypt-then-MAC (GCM, ChaCha20-Poly1305): the tag over the ciphertext is
  // checked before anything is decrypted.
  template <class Tag, class Decrypt>
  [[nodiscard]] static bool check_then_decrypt(bytes_view received, Tag&& tag, Decrypt&& decrypt) {
    byte expected[base::tag_size];
    tag(expected);
    const bool ok = ct::equal(bytes_view(expected), received);
    ct::wipe(expected, sizeof expected);
    if (ok) decrypt();
    return ok;
  }

 private:
  Mode& mode() noexcept { return static_cast<Mode&>(*this); }
};

}  // namespace m2msec::crypto
