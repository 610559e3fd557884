// m2msec: a key reachable only through its security association. The only way to
// the key is use(): it checks the usage the key was provisioned for (its SUID),
// then the association on the caller's clock, counts the use, and only then hands
// out the key. A closed, expired or exhausted association hands out nothing.
#pragma once

#include <utility>

#include "m2msec/sa/security_association.hpp"

namespace m2msec::sa {

// One granted use of a bound key: the key, and whether a rekey is due. It lives
// no longer than the statement that uses it; keep the bound, not the grant.
// Thread safety: one thread at a time per object; distinct objects are independent.
template <class Key>
class grant {
 public:
  [[nodiscard]] const Key& key() const noexcept { return *key_; }
  [[nodiscard]] sa_status status() const noexcept { return status_; }

 private:
  template <class>
  friend class bound;
  grant(const Key& k, sa_status s) noexcept : key_(&k), status_(s) {}
  const Key* key_;
  sa_status status_;
};

// A key and the association that owns it. Move-only when Key is (a secret, a JWK).
// Thread safety: one thread at a time per object; distinct objects are independent.
template <class Key>
class bound {
 public:
  // The association is made from the credential the key came from, with the
  // credential's usage (TS-0001 §11.3.2: its lifetime strictly inside the credential's).
  template <credential C, clock Clock>
  [[nodiscard]] static result<bound> create(Key key, security_association::parties who, const C& cred,
                                            requested_lifetime asked, usage_limits limits, const Clock& clk) {
    auto sa = security_association::create(std::move(who), cred, asked, limits, clk);
    if (!sa) return fail(sa.error());
    return bound(std::move(key), std::move(*sa));
  }

  // The one way to the key, in this order: the usage (errc::wrong_usage), then the
  // association at clk.now() (errc::not_yet_valid, sa_expired, limit_reached),
  // counting `messages` uses of `bytes` bytes in all. A handshake that keys a
  // channel counts nothing (0, 0); each record or object counts one.
  template <clock Clock>
  [[nodiscard]] result<grant<Key>> use(usages wanted, const Clock& clk, std::uint64_t bytes,
                                       std::uint64_t messages = 1) noexcept {
    if (auto u = check_usage(sa_.usage(), wanted); !u) return fail(u.error());
    auto s = sa_.use_at(clk.now(), bytes, messages);
    if (!s) return fail(s.error());
    return grant<Key>(key_, *s);
  }

  // What use() would refuse with, counting nothing: a caller that needs
  // several keys at once checks them all before it uses any.
  template <clock Clock>
  [[nodiscard]] result<void> check(usages wanted, const Clock& clk, std::uint64_t bytes,
                                   std::uint64_t messages = 1) const noexcept {
    if (auto u = check_usage(sa_.usage(), wanted); !u) return u;
    return sa_.check_use_at(clk.now(), bytes, messages);
  }

  [[nodiscard]] security_association& association() noexcept { return sa_; }
  [[nodiscard]] const security_association& association() const noexcept { return sa_; }

 private:
  bound(Key k, security_association sa) : key_(std::move(k)), sa_(std::move(sa)) {}
  Key key_;
  security_association sa_;
};

}  // namespace m2msec::sa
