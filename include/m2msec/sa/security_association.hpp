// m2msec: the security association. It binds two identities, the credential they
// authenticated with, the keys derived from it and a lifetime that the credential
// caps (TS-0001 §11.3.2).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "m2msec/core/clock.hpp"
#include "m2msec/core/validity.hpp"
#include "m2msec/crypto/algorithms.hpp"
#include "m2msec/identity/entity.hpp"
#include "m2msec/sa/usage.hpp"

namespace m2msec {

// The lifetime asked for an association. TS-0001 §11.3.2: one communication
// session, the validity period of the protected data, or (between two AEs) a
// period agreed by contract. Whatever is asked, the credential caps it.
// Thread safety: immutable once made; any number of threads may use one object.
class requested_lifetime {
 public:
  enum class kind { session, data_validity, contract };
  // A session of at most `length`, starting when the association is made.
  [[nodiscard]] static requested_lifetime session(duration length) noexcept { return {kind::session, length, {}}; }
  // The validity period of the data the association's keys protect.
  [[nodiscard]] static requested_lifetime data(validity period) noexcept { return {kind::data_validity, {}, period}; }
  // A period agreed between the subscribers of two AEs.
  [[nodiscard]] static requested_lifetime contract(validity period) noexcept { return {kind::contract, {}, period}; }

  [[nodiscard]] kind type() const noexcept { return kind_; }
  // The interval asked for, when the association is made at `now`. A session
  // longer than a time_point can reach ends at time_point::max() (the credential
  // caps it anyway): saturated, never wrapped.
  [[nodiscard]] result<validity> at(time_point now) const noexcept {
    if (kind_ == kind::session) {
      if (length_ <= duration::zero()) return fail(errc::invalid_validity);
      return validity::make(now, saturating_add(now, length_));
    }
    return *period_;
  }

 private:
  requested_lifetime(kind k, duration d, std::optional<validity> p) noexcept : kind_(k), length_(d), period_(p) {}
  kind kind_;
  duration length_{};
  std::optional<validity> period_;
};

// Soft and hard limits on an association's use. The soft limit asks for a new
// handshake or key; the hard limit refuses every operation. A zero means "none".
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct usage_limits {
  static constexpr std::uint64_t none = 0;
  std::uint64_t soft_bytes = none, hard_bytes = none;
  std::uint64_t soft_messages = none, hard_messages = none;
  duration soft_before_end = duration::zero();  // rekey this long before not_after
};

// The number of messages one key may protect with an AEAD and random 96-bit
// nonces: 2^32 (NIST SP 800-38D §8.3) for AES-GCM, AES-CCM and ChaCha20-Poly1305;
// XChaCha20-Poly1305's 192-bit nonces put the bound at 2^64 (none here).
// Thread safety: immutable once made; any number of threads may use one object.
template <class Alg> struct aead_usage_limit {
  static constexpr std::uint64_t messages = std::uint64_t{1} << 32;
};
template <> struct aead_usage_limit<crypto::xchacha20_poly1305> {
  static constexpr std::uint64_t messages = usage_limits::none;
};
template <class Alg>
[[nodiscard]] constexpr usage_limits with_aead_limit(usage_limits l) noexcept {
  constexpr std::uint64_t cap = aead_usage_limit<Alg>::messages;
  if (cap == usage_limits::none) return l;
  if (l.hard_messages == usage_limits::none || l.hard_messages > cap) l.hard_messages = cap;
  // Ask for a rekey at 7/8 of the bound, or at the caller's own hard limit if lower.
  const std::uint64_t soft = std::min(cap - cap / 8, l.hard_messages);
  if (l.soft_messages == usage_limits::none || l.soft_messages > soft) l.soft_messages = soft;
  return l;
}

// What a use of the association says besides "go on".
enum class sa_status { ok, rekey_due };

// What an association is made from: the credential's identifier, lifetime and
// usage (SUID). Any credential type gives these (symmetric, certificate, raw public key).
template <class C>
concept credential = requires(const C& c) {
  { c.id() } -> std::convertible_to<const credential_id&>;
  { c.lifetime() } -> std::convertible_to<const validity&>;
  { c.usage() } -> std::convertible_to<suid>;
};

class sa_registry;

// Thread safety: one thread at a time per object; distinct objects are independent.
class security_association {
 public:
  struct parties {
    entity_id local;       // this side (the Registrar CSE, or the Registree)
    bound_identity peer;   // TS-0003 §8.2.1: who the other side was authenticated as
  };

  // TS-0001 §11.3.2: an association is made only from a credential valid at `now`;
  // its lifetime is the requested one, cut to start no earlier than the
  // credential and to end strictly before it. It is never extended. It holds no
  // key: keys live in sa::bound, reached through a checked use of the association.
  template <credential C, clock Clock>
  [[nodiscard]] static result<security_association> create(parties who, const C& cred, requested_lifetime asked,
                                                           usage_limits limits, const Clock& clk) {
    const time_point now = clk.now();
    if (auto r = cred.lifetime().check(now); !r) return fail(r.error());
    auto want = asked.at(now);
    if (!want) return fail(want.error());
    auto life = want->cap_strictly_below(cred.lifetime());
    // A session asked at the credential's last instant, or data whose validity is over.
    if (!life) return fail(asked.type() == requested_lifetime::kind::session ? errc::expired : life.error());
    if (life->not_after() < now) return fail(errc::expired);
    if (limits.hard_bytes != usage_limits::none && limits.soft_bytes > limits.hard_bytes)
      return fail(errc::invalid_argument);
    if (limits.hard_messages != usage_limits::none && limits.soft_messages > limits.hard_messages)
      return fail(errc::invalid_argument);
    return security_association(std::move(who), cred.id(), cred.usage(), cred.lifetime(), *life, limits);
  }

  // The check every protect/unprotect makes first: not before the lifetime, not
  // after it, within the hard limits, counting `count` messages and their bytes.
  // Once a hard limit is crossed the association stays dead, whatever the clock
  // says later. No allocation, no exception.
  template <clock Clock>
  [[nodiscard]] result<sa_status> use(const Clock& clk, std::uint64_t bytes, std::uint64_t count = 1) noexcept {
    return use_at(clk.now(), bytes, count);
  }
  [[nodiscard]] result<sa_status> use_at(time_point now, std::uint64_t bytes, std::uint64_t count = 1) noexcept {
    if (dead_) return fail(*dead_);
    if (now < lifetime_.not_before()) return fail(errc::not_yet_valid);
    if (now > lifetime_.not_after()) return kill(errc::sa_expired);
    const std::uint64_t messages = messages_ + count;
    const std::uint64_t total = bytes_ + bytes;
    if (over_hard_limit(messages, total, count)) return kill(errc::limit_reached);
    messages_ = messages;
    bytes_ = total;
    // Rekey from `soft_before_end` before the end (at most the whole lifetime),
    // saturated: no span or difference of time_points may wrap.
    const bool soon =
        limits_.soft_before_end > duration::zero() &&
        now >= std::max(saturating_sub(lifetime_.not_after(), limits_.soft_before_end), lifetime_.not_before());
    if (soon || (limits_.soft_messages != usage_limits::none && messages >= limits_.soft_messages) ||
        (limits_.soft_bytes != usage_limits::none && total >= limits_.soft_bytes))
      return sa_status::rekey_due;
    return sa_status::ok;
  }
  // Whether the association could still be used at `now` (no counting).
  [[nodiscard]] bool usable_at(time_point now) const noexcept { return !dead_ && lifetime_.contains(now); }
  // The same, with the reason when it could not: what use_at() would refuse with.
  [[nodiscard]] result<void> check_at(time_point now) const noexcept {
    if (dead_) return fail(*dead_);
    if (now < lifetime_.not_before()) return fail(errc::not_yet_valid);
    if (now > lifetime_.not_after()) return fail(errc::sa_expired);
    return {};
  }

  // What use_at() would refuse with, counting nothing and ending nothing: for
  // a caller that needs several associations at once and uses none unless all agree.
  [[nodiscard]] result<void> check_use_at(time_point now, std::uint64_t bytes, std::uint64_t count = 1) const noexcept {
    if (auto c = check_at(now); !c) return c;
    if (over_hard_limit(messages_ + count, bytes_ + bytes, count)) return fail(errc::limit_reached);
    return {};
  }

  // Ends the association now (closed channel, revoked credential): every later use fails.
  void close() noexcept { end(errc::sa_expired); }
  // Ends it for `why` (sa_expired, limit_reached, ...): every later use fails with
  // the first reason it ended for.
  void end(errc why) noexcept {
    if (!dead_) dead_ = why;
  }
  // TS-0001 §11.3.2: a peer's credential that ends first ends the association
  // strictly before it too (the server certificate a client verified). Never
  // lengthens it; when no instant is left, the association is over (expired).
  void cap_strictly_below(const validity& peer) noexcept {
    auto life = lifetime_.cap_strictly_below(peer);
    if (life) lifetime_ = *life;
    else if (!dead_) dead_ = errc::expired;
  }

  [[nodiscard]] const parties& who() const noexcept { return who_; }
  [[nodiscard]] const credential_id& credential() const noexcept { return credential_; }
  // The usage (SUID) of the credential: what every key of the association may be used for.
  [[nodiscard]] suid usage() const noexcept { return usage_; }
  [[nodiscard]] const validity& credential_lifetime() const noexcept { return credential_lifetime_; }
  [[nodiscard]] const validity& lifetime() const noexcept { return lifetime_; }
  [[nodiscard]] const usage_limits& limits() const noexcept { return limits_; }
  [[nodiscard]] std::uint64_t messages() const noexcept { return messages_; }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }
 private:
  friend class sa_registry;
  // TS-0003 §8.2.1: the Registrar maps a Credential-ID binding to an identity
  // (through sa_registry::rebind, which keeps its index right).
  void rebind(bound_identity peer) { who_.peer = std::move(peer); }

  // Whether the counts after `count` more messages (`messages`, `total` bytes)
  // cross a hard limit or wrapped.
  [[nodiscard]] bool over_hard_limit(std::uint64_t messages, std::uint64_t total, std::uint64_t count) const noexcept {
    return total < bytes_ || (count > 1 && messages < messages_) ||
           (limits_.hard_messages != usage_limits::none && messages > limits_.hard_messages) ||
           (limits_.hard_bytes != usage_limits::none && total > limits_.hard_bytes);
  }
  security_association(parties who, credential_id cred, suid usage, validity cred_life, validity life,
                       usage_limits limits)
      : who_(std::move(who)), credential_(std::move(cred)), usage_(usage), credential_lifetime_(cred_life),
        lifetime_(life), limits_(limits) {}
  result<sa_status> kill(errc e) noexcept {
    dead_ = e;
    return fail(e);
  }

  parties who_;
  credential_id credential_;
  suid usage_;
  validity credential_lifetime_;
  validity lifetime_;
  usage_limits limits_;
  std::uint64_t messages_ = 0, bytes_ = 0;
  std::optional<errc> dead_;
};

}  // namespace m2msec
