// m2msec: constant-time helpers for tags, MACs and secrets.
#pragma once

#include <cstring>

#include "m2msec/core/bytes.hpp"

namespace m2msec::ct {

// True when a and b have the same length and the same bytes. The time taken
// depends on the lengths only, never on where the contents differ.
[[nodiscard]] inline bool equal(bytes_view a, bytes_view b) noexcept {
  if (a.size() != b.size()) return false;
  volatile byte acc = 0;
  for (std::size_t i = 0; i < a.size(); ++i) acc = static_cast<byte>(acc | (a[i] ^ b[i]));
  return acc == 0;
}

// True when every byte is zero, in time that depends on the length only.
[[nodiscard]] inline bool is_zero(bytes_view a) noexcept {
  volatile byte acc = 0;
  for (byte b : a) acc = static_cast<byte>(acc | b);
  return acc == 0;
}

// Overwrite memory with zeros in a way the compiler cannot remove.
inline void wipe(void* p, std::size_t n) noexcept {
  if (n == 0) return;
  std::memset(p, 0, n);
  __asm__ __volatile__("" : : "r"(p) : "memory");
}
inline void wipe(mutable_bytes b) noexcept { wipe(b.data(), b.size()); }

}  // namespace m2msec::ct
