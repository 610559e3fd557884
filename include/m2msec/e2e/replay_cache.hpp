// m2msec: a bounded cache of objects already accepted, each kept until it
// expires. Beyond TS-0003, which bounds ESPrim freshness by expiry only (§8.4):
// an object is accepted once within its validity. When the cache is full of
// unexpired entries it refuses new ones rather than forget old ones, so
// nothing can be replayed by flooding it.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "m2msec/core/clock.hpp"
#include "m2msec/core/result.hpp"

namespace m2msec {

class replay_cache {
 public:
  explicit replay_cache(std::size_t capacity = 65536) : capacity_(capacity) {}

  // Records `key` until `expires`. errc::replayed if it is already there and
  // unexpired; errc::limit_reached if the cache is full of unexpired entries.
  [[nodiscard]] result<void> insert(std::string key, time_point expires, time_point now) {
    if (auto it = entries_.find(key); it != entries_.end()) {
      if (it->second >= now) return fail(errc::replayed);
      by_expiry_.erase({it->second, it->first});
      entries_.erase(it);
    }
    if (entries_.size() >= capacity_) purge(now);
    if (entries_.size() >= capacity_) return fail(errc::limit_reached);
    auto [it, ok] = entries_.emplace(std::move(key), expires);
    by_expiry_.emplace(expires, it->first);
    return {};
  }
  [[nodiscard]] bool contains(const std::string& key, time_point now) const {
    auto it = entries_.find(key);
    return it != entries_.end() && it->second >= now;
  }
  // Drops every entry that expired before `now`.
  void purge(time_point now) {
    while (!by_expiry_.empty() && by_expiry_.begin()->first < now) {
      entries_.erase(by_expiry_.begin()->second);
      by_expiry_.erase(by_expiry_.begin());
    }
  }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

 private:
  std::size_t capacity_;
  std::map<std::string, time_point, std::less<>> entries_;
  std::set<std::pair<time_point, std::string>> by_expiry_;
};

}  // namespace m2msec
