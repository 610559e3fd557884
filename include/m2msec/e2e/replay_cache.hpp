// m2msec: a bounded cache of objects already accepted, each kept until it
// expires. Beyond TS-0003, which bounds ESPrim freshness by expiry only (§8.4):
// an object is accepted once within its validity. When the cache is full of
// unexpired entries it refuses new ones rather than forget old ones, so
// nothing can be replayed by flooding it.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "m2msec/core/bytes.hpp"
#include "m2msec/core/clock.hpp"
#include "m2msec/core/result.hpp"
#include "m2msec/backend/random.hpp"

namespace m2msec {

// Thread safety: one thread at a time per object; distinct objects are independent.
class replay_cache {
 public:
  // What names one accepted object: for a JWE, its IV and tag (12 + 16 bytes),
  // which no other object under any key shares (docs/decisions.md).
  using object_id = std::array<byte, 28>;

  explicit replay_cache(std::size_t capacity = 65536) : capacity_(capacity), seed_(seeded()) {}

  // Records `id` until `expires`, on behalf of `owner` (a small index the
  // caller gives, e.g. one per key). errc::replayed if it is already there and
  // unexpired; errc::limit_reached if the cache is full of unexpired entries,
  // or if `owner` already holds `quota` of them: one owner cannot fill the
  // cache for the others.
  [[nodiscard]] result<void> insert(const object_id& id, time_point expires, time_point now, std::uint32_t owner = 0,
                                    std::size_t quota = static_cast<std::size_t>(-1)) {
    if (slots_.empty()) rebuild(16, now);
    if (owner >= held_.size()) held_.resize(owner + 1, 0);
    slot* s = &slots_[find(id)];
    if (s->expires != empty) {
      if (s->expires >= now) return fail(errc::replayed);
      if (expires < now) return {};
      if (s->owner != owner && held_[owner] >= quota) return fail(errc::limit_reached);
      --held_[s->owner];
      ++held_[owner];
      s->owner = owner;
      s->expires = expires;  // expired: accepted again, with its new expiry
      min_expiry_ = std::min(min_expiry_, expires);
      return {};
    }
    if (expires < now) return {};  // expired already: nothing to remember
    if (size_ >= capacity_ || held_[owner] >= quota) {
      purge(now);
      if (size_ >= capacity_ || held_[owner] >= quota) return fail(errc::limit_reached);
      s = &slots_[find(id)];
    }
    // Linear probing stays short at most half full.
    if (2 * (size_ + 1) > slots_.size()) {
      rebuild(2 * slots_.size(), now);
      s = &slots_[find(id)];
    }
    s->id = id;
    s->expires = expires;
    s->owner = owner;
    min_expiry_ = std::min(min_expiry_, expires);
    ++size_;
    ++held_[owner];
    return {};
  }
  // Starts loading the slot where `id` would be: a caller that will insert
  // after other work (decryption) hides the cache miss of a large table.
  void prefetch(const object_id& id) const noexcept {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash(id) & (slots_.size() - 1)]);
  }
  [[nodiscard]] bool contains(const object_id& id, time_point now) const {
    if (slots_.empty()) return false;
    const slot& s = slots_[find(id)];
    return s.expires != empty && s.expires >= now;
  }
  // Drops every entry that expired before `now`.
  void purge(time_point now) {
    if (size_ > 0 && min_expiry_ < now) rebuild(slots_.size(), now);
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // One entry, as it is saved or shared: what was accepted, for whom, until when.
  struct entry {
    object_id id;
    std::uint32_t owner;
    time_point expires;
  };
  // The unexpired entries at `now`, for a restart or another node.
  [[nodiscard]] std::vector<entry> entries(time_point now) const {
    std::vector<entry> out;
    for (const slot& s : slots_)
      if (s.expires != empty && s.expires >= now) out.push_back({s.id, s.owner, s.expires});
    return out;
  }
  // The entries `owner` holds (expired ones included until a purge).
  [[nodiscard]] std::size_t held_by(std::uint32_t owner) const noexcept {
    return owner < held_.size() ? held_[owner] : 0;
  }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

 private:
  // Open addressing over one array: a lookup touches one or two cache lines
  // however large the cache grows.
  struct slot {
    object_id id;
    std::uint32_t owner = 0;  // in the padding after the 28-byte id
    time_point expires;
  };
  static constexpr time_point empty = time_point::min();

  // IVs are random, but a peer holding the key chooses them: slots are found
  // through a secret seed so that it cannot aim many at one.
  static std::array<std::uint64_t, 2> seeded() {
    std::array<std::uint64_t, 2> s{};
    (void)crypto::rng<>::fill(mutable_bytes(reinterpret_cast<byte*>(s.data()), sizeof s));
    return s;
  }
  [[nodiscard]] std::size_t hash(const object_id& id) const noexcept {
    std::uint64_t a, b;
    std::memcpy(&a, id.data(), 8);
    std::memcpy(&b, id.data() + 12, 8);
    std::uint64_t h = (a ^ seed_[0]) * 0x9E3779B97F4A7C15ull ^ (b ^ seed_[1]);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return static_cast<std::size_t>(h ^ (h >> 32));
  }
  // The slot holding `id`, or the empty one where it would go.
  [[nodiscard]] std::size_t find(const object_id& id) const noexcept {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash(id) & mask;; i = (i + 1) & mask)
      if (slots_[i].expires == empty || same(slots_[i].id, id)) return i;
  }
  // Public values (IVs and tags of objects already accepted): a plain
  // comparison, in words rather than through memcmp.
  static bool same(const object_id& a, const object_id& b) noexcept {
    std::uint64_t x[4] = {}, y[4] = {};
    std::memcpy(x, a.data(), a.size());
    std::memcpy(y, b.data(), b.size());
    return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
  }
  // Moves the unexpired entries into `at_least` slots (a power of two, more
  // if they need it), leaving the expired ones behind.
  void rebuild(std::size_t at_least, time_point now) {
    std::vector<slot> old(std::bit_ceil(at_least), slot{{}, 0, empty});
    old.swap(slots_);
    size_ = 0;
    min_expiry_ = time_point::max();
    std::fill(held_.begin(), held_.end(), 0);
    for (const slot& s : old) {
      if (s.expires == empty || s.expires < now) continue;
      slots_[find(s.id)] = s;
      min_expiry_ = std::min(min_expiry_, s.expires);
      ++size_;
      ++held_[s.owner];
    }
  }

  std::size_t capacity_;
  std::array<std::uint64_t, 2> seed_;
  std::vector<slot> slots_;
  std::size_t size_ = 0;
  std::vector<std::size_t> held_;  // entries per owner
  time_point min_expiry_ = time_point::max();
};

}  // namespace m2msec
