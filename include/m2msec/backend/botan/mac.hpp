// m2msec: HMAC-SHA-256/384/512 on Botan 2.
#pragma once

#include <botan/mac.h>

#include <memory>

#include "m2msec/backend/botan/common.hpp"
#include "m2msec/core/ct.hpp"
#include "m2msec/crypto/concepts.hpp"

namespace m2msec::crypto {

// Keyed once; Botan's HMAC returns to the keyed state after each final().
template <class Hash>
class mac<hmac<Hash>, backend::botan> {
 public:
  static constexpr std::size_t tag_size = hmac<Hash>::tag_size;

  [[nodiscard]] static result<mac> create(bytes_view key) {
    return backend::botan_detail::guard([&]() -> result<mac> {
      auto m = Botan::MessageAuthenticationCode::create_or_throw("HMAC(" + std::string(Hash::name) + ")");
      m->set_key(key.data(), key.size());
      return mac(std::move(m));
    });
  }

  [[nodiscard]] result<void> update(bytes_view msg) noexcept {
    return backend::botan_detail::guard([&]() -> result<void> {
      mac_->update(msg.data(), msg.size());
      return {};
    });
  }
  [[nodiscard]] result<void> finish(mutable_bytes tag) noexcept {
    if (tag.size() < tag_size) return fail(errc::buffer_too_small);
    return backend::botan_detail::guard([&]() -> result<void> {
      mac_->final(tag.data());
      return {};
    });
  }
  [[nodiscard]] result<void> compute(bytes_view msg, mutable_bytes tag) noexcept {
    if (auto r = update(msg); !r) return r;
    return finish(tag);
  }
  [[nodiscard]] result<void> verify(bytes_view msg, bytes_view tag) noexcept {
    byte expected[tag_size];
    if (auto r = compute(msg, expected); !r) return r;
    const bool ok = ct::equal(expected, tag);
    ct::wipe(expected, sizeof expected);
    if (!ok) return fail(errc::auth_failed);
    return {};
  }

 private:
  explicit mac(std::unique_ptr<Botan::MessageAuthenticationCode> m) noexcept : mac_(std::move(m)) {}
  std::unique_ptr<Botan::MessageAuthenticationCode> mac_;
};

static_assert(mac_policy<mac<hmac_sha256, backend::botan>>);
static_assert(mac_policy<mac<hmac_sha384, backend::botan>>);
static_assert(mac_policy<mac<hmac_sha512, backend::botan>>);

}  // namespace m2msec::crypto
