// m2msec: big-endian integers in bytes. The one writer of them: counters and
// lengths in CCM and GCM blocks, the Concat KDF's fields, the credential store's
// records, the rand object encoding.
#pragma once

#include <cstddef>
#include <cstdint>

#include "m2msec/core/bytes.hpp"

namespace m2msec {

// The low `n` bytes of v (n <= 8), most significant first, at p.
inline void store_be(byte* p, std::uint64_t v, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) p[n - 1 - i] = static_cast<byte>(v >> (8 * i));
}
// The same, appended to a vector.
inline void append_be(byte_vector& out, std::uint64_t v, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + n);
  store_be(out.data() + at, v, n);
}

}  // namespace m2msec
