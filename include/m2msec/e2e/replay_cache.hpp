// m2msec: a bounded cache of objects already accepted, each kept until it
// expires. Beyond TS-0003, which bounds ESPrim freshness by expiry only (§8.4):
// an object is accepted once within its validity. When the cache is full of
// unexpired entries it refuses new ones rather than forget old ones, so
// nothing can be replayed by flooding it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <unordered_map>
#include <vector>

#include "m2msec/core/bytes.hpp"
#include "m2msec/core/clock.hpp"
#include "m2msec/core/result.hpp"
#include "m2msec/crypto/random.hpp"

namespace m2msec {

class replay_cache {
 public:
  // What names one accepted object: for a JWE, its IV and tag (12 + 16 bytes),
  // which no other object under any key shares (docs/decisions.md).
  using object_id = std::array<byte, 28>;

  explicit replay_cache(std::size_t capacity = 65536) : capacity_(capacity), entries_(16, hasher::seeded()) {}

  // Records `id` until `expires`. errc::replayed if it is already there and
  // unexpired; errc::limit_reached if the cache is full of unexpired entries.
  [[nodiscard]] result<void> insert(const object_id& id, time_point expires, time_point now) {
    if (auto it = entries_.find(id); it != entries_.end()) {
      if (it->second >= now) return fail(errc::replayed);
      entries_.erase(it);  // its expiry bucket forgets it when purged
    }
    if (entries_.size() >= capacity_) purge(now);
    if (entries_.size() >= capacity_) return fail(errc::limit_reached);
    entries_.emplace(id, expires);
    by_expiry_[expires].push_back(id);
    return {};
  }
  [[nodiscard]] bool contains(const object_id& id, time_point now) const {
    auto it = entries_.find(id);
    return it != entries_.end() && it->second >= now;
  }
  // Drops every entry that expired before `now`.
  void purge(time_point now) {
    while (!by_expiry_.empty() && by_expiry_.begin()->first < now) {
      const auto& [when, ids] = *by_expiry_.begin();
      for (const auto& id : ids)
        if (auto it = entries_.find(id); it != entries_.end() && it->second == when) entries_.erase(it);
      by_expiry_.erase(by_expiry_.begin());
    }
  }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

 private:
  // IVs are random, but a peer holding the key chooses them: the buckets are
  // keyed with a secret seed so that it cannot aim many at one.
  struct hasher {
    std::array<std::uint64_t, 2> seed{};
    static hasher seeded() {
      hasher h;
      (void)crypto::rng<>::fill(mutable_bytes(reinterpret_cast<byte*>(h.seed.data()), sizeof h.seed));
      return h;
    }
    std::size_t operator()(const object_id& id) const noexcept {
      std::uint64_t a, b;
      std::memcpy(&a, id.data(), 8);
      std::memcpy(&b, id.data() + 12, 8);
      std::uint64_t h = (a ^ seed[0]) * 0x9E3779B97F4A7C15ull ^ (b ^ seed[1]);
      h ^= h >> 29;
      h *= 0xBF58476D1CE4E5B9ull;
      return static_cast<std::size_t>(h ^ (h >> 32));
    }
  };
  std::size_t capacity_;
  std::unordered_map<object_id, time_point, hasher> entries_;
  std::map<time_point, std::vector<object_id>> by_expiry_;
};

}  // namespace m2msec
