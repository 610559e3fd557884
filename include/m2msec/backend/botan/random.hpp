// m2msec: random bytes from Botan 2's System_RNG (getrandom).
#pragma once

#include "m2msec/backend/botan/common.hpp"
#include "m2msec/crypto/concepts.hpp"

namespace m2msec::crypto {

template <> struct rng<backend::botan> {
  [[nodiscard]] static result<void> fill(mutable_bytes out) noexcept {
    return backend::botan_detail::guard([&]() -> result<void> {
      backend::botan_detail::rng().randomize(out.data(), out.size());
      return {};
    });
  }
};
static_assert(random_policy<rng<backend::botan>>);

}  // namespace m2msec::crypto
