// m2msec: one MAC over a message given in parts, on any mac<Alg, Backend> policy.
// It names no backend, so a header that needs one backend includes only that one.
#pragma once

#include <initializer_list>
#include <span>

#include "m2msec/crypto/concepts.hpp"

namespace m2msec::crypto {

// A MAC over one message given in parts, with a key used once. Backends that can
// do it without allocating (libsodium) provide compute_once; the others build a
// keyed object for the call.
template <class Alg, class Backend = default_backend_t<Alg>>
  requires mac_policy<mac<Alg, Backend>>
[[nodiscard]] result<void> mac_once(bytes_view key, std::initializer_list<bytes_view> parts, mutable_bytes tag) {
  using M = mac<Alg, Backend>;
  const std::span<const bytes_view> list(parts.begin(), parts.size());
  if constexpr (requires { M::compute_once(key, list, tag); }) {
    return M::compute_once(key, list, tag);
  } else {
    if (tag.size() < M::tag_size) return fail(errc::buffer_too_small);
    auto m = M::create(key);
    if (!m) return fail(m.error());
    for (bytes_view p : list)
      if (auto r = m->update(p); !r) return r;
    return m->finish(tag);
  }
}

}  // namespace m2msec::crypto
