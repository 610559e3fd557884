// m2msec: time as a policy. Every validity check takes a clock.
#pragma once

#include <chrono>
#include <concepts>

namespace m2msec {

using time_point = std::chrono::system_clock::time_point;
using duration = std::chrono::system_clock::duration;

// A clock tells the current time as a time_point.
template <class C>
concept clock = requires(const C& c) {
  { c.now() } -> std::same_as<time_point>;
};

// The wall clock.
struct system_clock {
  [[nodiscard]] time_point now() const noexcept { return std::chrono::system_clock::now(); }
};
static_assert(clock<system_clock>);

// A clock that moves only when told to; for tests.
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
