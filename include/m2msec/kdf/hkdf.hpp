// m2msec: HKDF (RFC 5869) on the HMAC of any backend that has it.
// libsodium 1.0.18 has no HKDF, so one implementation serves both backends.
#pragma once

#include <algorithm>

#include "m2msec/backend/mac.hpp"
#include "m2msec/core/ct.hpp"

namespace m2msec::crypto {

template <class Hash, class Backend>
  requires mac_policy<mac<hmac<Hash>, Backend>>
struct kdf<hkdf<Hash>, Backend> {
  using hash = Hash;
  using hmac_type = mac<hmac<Hash>, Backend>;
  static constexpr std::size_t prk_size = Hash::size, max_output = 255 * Hash::size;

  // RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM); an empty salt is HashLen zeros.
  [[nodiscard]] static result<void> extract(bytes_view salt, bytes_view ikm, mutable_bytes prk) noexcept {
    if (prk.size() != prk_size) return fail(errc::invalid_argument);
    static constexpr byte zeros[Hash::size] = {};
    auto m = hmac_type::create(salt.empty() ? bytes_view(zeros) : salt);
    if (!m) return fail(m.error());
    return m->compute(ikm, prk);
  }

  // RFC 5869 §2.3: T(i) = HMAC-Hash(PRK, T(i-1) || info || i), OKM = first L bytes.
  [[nodiscard]] static result<void> expand(bytes_view prk, bytes_view info, mutable_bytes okm) noexcept {
    if (okm.size() > max_output) return fail(errc::invalid_argument);
    if (prk.size() < Hash::size) return fail(errc::invalid_key_size);
    auto m = hmac_type::create(prk);
    if (!m) return fail(m.error());
    byte t[Hash::size];
    std::size_t t_len = 0;
    byte counter = 1;
    for (std::size_t done = 0; done < okm.size(); ++counter) {
      if (auto r = m->update({t, t_len}).and_then([&] { return m->update(info); }).and_then([&] {
            return m->update({&counter, 1});
          }).and_then([&] { return m->finish(t); });
          !r) {
        ct::wipe(t, sizeof t);
        ct::wipe(okm);
        return r;
      }
      t_len = Hash::size;
      const std::size_t take = std::min(t_len, okm.size() - done);
      std::memcpy(okm.data() + done, t, take);
      done += take;
    }
    ct::wipe(t, sizeof t);
    return {};
  }

  [[nodiscard]] static result<void> derive(bytes_view salt, bytes_view ikm, bytes_view info,
                                           mutable_bytes okm) noexcept {
    byte prk[prk_size];
    auto r = extract(salt, ikm, prk).and_then([&] { return expand(prk, info, okm); });
    ct::wipe(prk, sizeof prk);
    return r;
  }
};

static_assert(kdf_policy<kdf<hkdf_sha256, backend::sodium>>);
static_assert(kdf_policy<kdf<hkdf_sha512, backend::sodium>>);
static_assert(kdf_policy<kdf<hkdf_sha256, backend::botan>>);
static_assert(kdf_policy<kdf<hkdf_sha384, backend::botan>>);
static_assert(kdf_policy<kdf<hkdf_sha512, backend::botan>>);

}  // namespace m2msec::crypto
