// m2msec: HMAC-SHA-256/384/512 on Botan 2.
#pragma once

#include <botan/hash.h>
#include <botan/mac.h>

#include <algorithm>

#include <memory>
#include <mutex>

#include "m2msec/backend/botan/common.hpp"
#include "m2msec/core/ct.hpp"
#include "m2msec/crypto/concepts.hpp"

namespace m2msec::backend::botan_detail {
// Computes the expected tag with `compute` and compares it with `tag` in constant time.
template <std::size_t TagSize, class Compute>
[[nodiscard]] result<void> check_tag(Compute&& compute, bytes_view tag) noexcept {
  std::uint8_t expected[TagSize];
  if (auto r = compute(mutable_bytes(expected, TagSize)); !r) return r;
  const bool ok = ct::equal(expected, tag);
  ct::wipe(expected, sizeof expected);
  if (!ok) return fail(errc::auth_failed);
  return {};
}
}  // namespace m2msec::backend::botan_detail

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
    return backend::botan_detail::check_tag<tag_size>([&](mutable_bytes out) { return compute(msg, out); }, tag);
  }

 private:
  explicit mac(std::unique_ptr<Botan::MessageAuthenticationCode> m) noexcept : mac_(std::move(m)) {}
  std::unique_ptr<Botan::MessageAuthenticationCode> mac_;
};

// An HMAC key made ready once (RFC 2104): a keyed Botan HMAC, which returns
// to its keyed state after each tag, for the caller that finds it free, and
// the hash states after the inner and the outer padded key, which a caller
// that finds it busy copies. So one prepared key serves any number of threads
// and messages without keying again, and one thread allocates nothing. Botan
// keeps keys and states in its wiped (secure_vector) buffers.
// Thread safety: one thread at a time per object; distinct objects are independent.
template <class Hash>
class prepared_hmac {
 public:
  static constexpr std::size_t tag_size = Hash::size;

  [[nodiscard]] static result<prepared_hmac> create(bytes_view key) {
    return backend::botan_detail::guard([&]() -> result<prepared_hmac> {
      auto inner = Botan::HashFunction::create_or_throw(std::string(Hash::name));
      std::unique_ptr<Botan::HashFunction> outer(inner->clone());
      Botan::secure_vector<std::uint8_t> k(Hash::block_size, 0);
      if (key.size() > Hash::block_size) {
        inner->update(key.data(), key.size());
        inner->final(k.data());
      } else {
        std::copy(key.begin(), key.end(), k.begin());
      }
      for (auto& b : k) b ^= 0x36;
      inner->update(k.data(), k.size());
      for (auto& b : k) b ^= 0x36 ^ 0x5C;
      outer->update(k.data(), k.size());
      auto keyed = std::make_unique<free_mac>();
      keyed->mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(" + std::string(Hash::name) + ")");
      keyed->mac->set_key(key.data(), key.size());
      return prepared_hmac(std::move(inner), std::move(outer), std::move(keyed));
    });
  }

  [[nodiscard]] result<void> compute(bytes_view msg, mutable_bytes tag) const noexcept {
    if (tag.size() < tag_size) return fail(errc::buffer_too_small);
    if (std::unique_lock lock(keyed_->busy, std::try_to_lock); lock.owns_lock() && keyed_->mac) {
      auto r = backend::botan_detail::guard([&]() -> result<void> {
        keyed_->mac->update(msg.data(), msg.size());
        keyed_->mac->final(tag.data());
        return {};
      });
      if (!r) keyed_->mac.reset();  // its state is unknown: copy the states from now on
      return r;
    }
    return backend::botan_detail::guard([&]() -> result<void> {
      auto in = inner_->copy_state();
      in->update(msg.data(), msg.size());
      std::uint8_t h[Hash::size];
      in->final(h);
      auto out = outer_->copy_state();
      out->update(h, sizeof h);
      out->final(tag.data());
      ct::wipe(h, sizeof h);
      return {};
    });
  }
  [[nodiscard]] result<void> verify(bytes_view msg, bytes_view tag) const noexcept {
    return backend::botan_detail::check_tag<tag_size>([&](mutable_bytes out) { return compute(msg, out); }, tag);
  }

 private:
  struct free_mac {
    std::mutex busy;
    std::unique_ptr<Botan::MessageAuthenticationCode> mac;
  };
  prepared_hmac(std::unique_ptr<Botan::HashFunction> in, std::unique_ptr<Botan::HashFunction> out,
                std::unique_ptr<free_mac> keyed) noexcept
      : inner_(std::move(in)), outer_(std::move(out)), keyed_(std::move(keyed)) {}
  std::unique_ptr<Botan::HashFunction> inner_, outer_;
  std::unique_ptr<free_mac> keyed_;
};

static_assert(mac_policy<mac<hmac_sha256, backend::botan>>);
static_assert(mac_policy<mac<hmac_sha384, backend::botan>>);
static_assert(mac_policy<mac<hmac_sha512, backend::botan>>);

}  // namespace m2msec::crypto
