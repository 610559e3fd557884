// m2msec: random bytes from libsodium (getrandom on Linux).
#pragma once

#include "m2msec/backend/sodium/init.hpp"
#include "m2msec/crypto/concepts.hpp"

namespace m2msec::crypto {

template <> struct rng<backend::sodium> {
  [[nodiscard]] static result<void> fill(mutable_bytes out) noexcept {
    if (!backend::sodium_detail::ready()) return fail(errc::backend_failure);
    if (!out.empty()) ::randombytes_buf(out.data(), out.size());
    return {};
  }
};
static_assert(random_policy<rng<backend::sodium>>);

}  // namespace m2msec::crypto
