// m2msec: JWE content encryption, AES-GCM by "enc" (RFC 7518 §5.3): a 96-bit IV
// and a 128-bit tag, on the fastest backend that has the key size.
#pragma once

#include "m2msec/backend/botan/gcm.hpp"
#include "m2msec/backend/sodium/aead.hpp"
#include "m2msec/core/ct.hpp"
#include "m2msec/jose/algorithms.hpp"

namespace m2msec::jose {

// The IV and tag sizes of A128GCM, A192GCM and A256GCM.
inline constexpr std::size_t iv_size = 12, tag_size = 16;

template <class F>
[[nodiscard]] decltype(auto) with_gcm(enc e, F&& f) {
  switch (e) {
    case enc::a128gcm: return f.template operator()<crypto::aead<crypto::aes128_gcm>>();
    case enc::a192gcm: return f.template operator()<crypto::aead<crypto::aes192_gcm>>();
    default:
      // libsodium's AES-256-GCM is the fastest measured where the CPU has AES-NI.
      if (crypto::aead<crypto::aes256_gcm, backend::sodium>::available())
        return f.template operator()<crypto::aead<crypto::aes256_gcm, backend::sodium>>();
      return f.template operator()<crypto::aead<crypto::aes256_gcm, backend::botan>>();
  }
}

// Writes ciphertext || tag (in.size() + tag_size bytes) into sealed. Each CEK
// serves one message, so a backend that can key per call does so.
[[nodiscard]] inline result<void> gcm_seal(enc e, bytes_view key, bytes_view iv, bytes_view aad, bytes_view in,
                                           mutable_bytes sealed) {
  if (key.size() != key_size(e)) return fail(errc::invalid_key_size);
  return with_gcm(e, [&]<class A>() -> result<void> {
    if constexpr (requires { A::seal_once(key, sealed, iv, aad, in); }) {
      if (auto n = A::seal_once(key, sealed, iv, aad, in); !n) return fail(n.error());
      return {};
    }
    auto a = A::create(key);
    if (!a) return fail(a.error());
    auto n = a->seal(sealed, iv, aad, in);
    if (!n) return fail(n.error());
    return {};
  });
}

// Opens ciphertext || tag held in `sealed`, in place; returns the plaintext length.
// On failure the buffer is zeroed.
[[nodiscard]] inline result<std::size_t> gcm_open(enc e, bytes_view key, bytes_view iv, bytes_view aad,
                                                  mutable_bytes sealed) {
  if (key.size() != key_size(e)) return fail(errc::auth_failed);
  return with_gcm(e, [&]<class A>() -> result<std::size_t> {
    if constexpr (requires { A::open_once(key, sealed, iv, aad, sealed); }) {
      auto n = A::open_once(key, sealed, iv, aad, sealed);
      if (!n) {
        ct::wipe(sealed);
        return fail(errc::auth_failed);
      }
      return *n;
    }
    auto a = A::create(key);
    if (!a) return fail(a.error());
    auto n = a->open(sealed, iv, aad, sealed);
    if (!n) {
      ct::wipe(sealed);
      return fail(errc::auth_failed);
    }
    return *n;
  });
}

}  // namespace m2msec::jose
