// m2msec: time as a policy. Every validity check takes a clock.
#pragma once

#include "m2msec/core/cxx.hpp"

#include <chrono>
#include <concepts>

namespace m2msec {

using time_point = std::chrono::system_clock::time_point;
using duration = std::chrono::system_clock::duration;

// t + d, saturated at the ends of time_point rather than wrapped: a lifetime
// or leeway longer than time can hold reaches time_point::max() (or min()).
[[nodiscard]] constexpr time_point saturating_add(time_point t, duration d) noexcept {
  if (d > duration::zero() && t > time_point::max() - d) return time_point::max();
  if (d < duration::zero() && t < time_point::min() - d) return time_point::min();
  return t + d;
}
// t - d, saturated the same way.
[[nodiscard]] constexpr time_point saturating_sub(time_point t, duration d) noexcept {
  if (d > duration::zero() && t < time_point::min() + d) return time_point::min();
  if (d < duration::zero() && t > time_point::max() + d) return time_point::max();
  return t - d;
}

// A clock tells the current time as a time_point.
template <class C>
concept clock = requires(const C& c) {
  { c.now() } -> std::same_as<time_point>;
};

// The wall clock.
// Thread safety: no state; use it from any thread.
struct system_clock {
  [[nodiscard]] time_point now() const noexcept { return std::chrono::system_clock::now(); }
};
static_assert(clock<system_clock>);

// A clock that moves only when told to; for tests.
// Thread safety: one thread at a time per object; distinct objects are independent.
class manual_clock {
 public:
  explicit manual_clock(time_point start = time_point{}) noexcept : now_(start) {}
  [[nodiscard]] time_point now() const noexcept { return now_; }
  void set(time_point t) noexcept { now_ = t; }
  void advance(duration d) noexcept { now_ += d; }

 private:
  time_point now_;
};
static_assert(clock<manual_clock>);

}  // namespace m2msec
