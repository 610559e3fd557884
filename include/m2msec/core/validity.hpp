// m2msec: a closed validity interval [not_before, not_after], as in X.509.
#pragma once

#include <algorithm>

#include "m2msec/core/clock.hpp"
#include "m2msec/core/result.hpp"

namespace m2msec {

// Thread safety: immutable once made; any number of threads may use one object.
class validity {
 public:
  // A non-empty interval (not_before <= not_after), or errc::invalid_validity.
  [[nodiscard]] static result<validity> make(time_point not_before, time_point not_after) noexcept {
    if (not_after < not_before) return fail(errc::invalid_validity);
    return validity(not_before, not_after);
  }

  [[nodiscard]] time_point not_before() const noexcept { return not_before_; }
  [[nodiscard]] time_point not_after() const noexcept { return not_after_; }

  [[nodiscard]] bool contains(time_point t) const noexcept { return not_before_ <= t && t <= not_after_; }

  // errc::not_yet_valid, errc::expired, or success: the check every use makes.
  [[nodiscard]] result<void> check(time_point t) const noexcept {
    if (t < not_before_) return fail(errc::not_yet_valid);
    if (t > not_after_) return fail(errc::expired);
    return {};
  }
  template <clock C>
  [[nodiscard]] result<void> check(const C& c) const noexcept {
    return check(c.now());
  }

  // The common part of two intervals, or errc::invalid_validity when they do not meet.
  [[nodiscard]] result<validity> intersect(const validity& o) const noexcept {
    return make(std::max(not_before_, o.not_before_), std::min(not_after_, o.not_after_));
  }

  // This interval cut to fit inside `outer` and to end strictly before outer ends
  // (TS-0001 §11.3.2: an SA's lifetime is strictly shorter than its credential's).
  // Never extends; errc::invalid_validity when nothing is left.
  [[nodiscard]] result<validity> cap_strictly_below(const validity& outer) const noexcept {
    if (outer.not_after_ == time_point::min()) return fail(errc::invalid_validity);
    const time_point end = std::min(not_after_, outer.not_after_ - duration{1});
    return make(std::max(not_before_, outer.not_before_), end);
  }

  friend bool operator==(const validity&, const validity&) = default;

 private:
  validity(time_point nb, time_point na) noexcept : not_before_(nb), not_after_(na) {}
  time_point not_before_;
  time_point not_after_;
};

}  // namespace m2msec
