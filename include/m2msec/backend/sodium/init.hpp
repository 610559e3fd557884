// m2msec: libsodium start-up. The only place (with its siblings) that includes <sodium.h>.
#pragma once

#include <sodium.h>

namespace m2msec::backend::sodium_detail {

// sodium_init() once per process; true when libsodium is usable.
[[nodiscard]] inline bool ready() noexcept {
  static const bool ok = ::sodium_init() >= 0;
  return ok;
}

}  // namespace m2msec::backend::sodium_detail
