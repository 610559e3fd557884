// m2msec: why the last JOSE object or JWK a thread read was refused, beside the
// errc its parse returned (issue 13 item 12).
#pragma once

#include <string_view>

#include "m2msec/core/errc.hpp"
#include "m2msec/core/result.hpp"

namespace m2msec::jose {

// Why the last JOSE object or JWK this thread read was refused: the member and
// the check, as short fixed texts (both empty when nothing was refused), beside
// the errc: unsupported (m2msec does not implement it), invalid_encoding
// (malformed), alg_not_allowed or policy_refused (well-formed, refused by the
// caller's or m2msec's rules). Set where a refusal is decided, cleared when a
// parse starts; for logs and tools.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct refusal {
  std::string_view member;  // "alg", "enc", "iv", "protected", "crit", "json", ...
  std::string_view check;   // "not implemented", "not in the policy", "length", ...
};
[[nodiscard]] inline refusal& last_refusal() noexcept {
  thread_local refusal r;
  return r;
}

namespace detail {

// Records why, and gives the errc back: `return fail(refuse(e, "alg", "..."))`.
inline errc refuse(errc e, std::string_view member, std::string_view check) noexcept {
  last_refusal() = {member, check};
  return note(e, member, check);
}
inline void start_refusals() noexcept { last_refusal() = {}; }

}  // namespace detail

}  // namespace m2msec::jose
