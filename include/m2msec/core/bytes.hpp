// m2msec: byte spans used by every primitive.
#pragma once

#include "m2msec/core/cxx.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace m2msec {

using byte = std::uint8_t;
using bytes_view = std::span<const byte>;   // input bytes, never owned
using mutable_bytes = std::span<byte>;      // caller-owned output
using byte_vector = std::vector<byte>;      // owned public bytes (never secrets)

// The bytes of a string, without a copy.
[[nodiscard]] inline bytes_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const byte*>(s.data()), s.size()};
}

}  // namespace m2msec
