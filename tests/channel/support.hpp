// In-memory transport for channel tests: moves each side's outgoing bytes to the
// other until nothing moves; false when either side failed.
#pragma once

#include "m2msec/channel/channel.hpp"

namespace test_channel {

template <class A, class B>
inline bool pump(A& a, B& b, int rounds = 50) {
  bool ok = true;
  for (int i = 0; i < rounds; ++i) {
    bool moved = false;
    for (auto& d : a.take_outgoing()) {
      moved = true;
      ok = b.feed(d).has_value() && ok;
    }
    for (auto& d : b.take_outgoing()) {
      moved = true;
      ok = a.feed(d).has_value() && ok;
    }
    if (!moved) break;
  }
  return ok;
}

}  // namespace test_channel
