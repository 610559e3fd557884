// m2msec: result<T>, a value or an errc (tl::expected; std::expected needs C++23),
// and the short detail a failure may leave beside its errc.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "m2msec/core/errc.hpp"

namespace m2msec {

template <class T>
using result = tl::expected<T, errc>;

// `return fail(errc::auth_failed);` from any function returning result<T>.
[[nodiscard]] inline tl::unexpected<errc> fail(errc e) noexcept { return tl::unexpected<errc>(e); }

// The detail of the last failure on this thread that gave one: the part that
// refused and what it found, both fixed texts (never a key, never input), and the
// errc it came with. An errc stays the contract; the detail is for logs, tools
// and people, read right after the failure (describe()).
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct failure_detail {
  errc code{};              // 0: none yet
  std::string_view where;   // "credential store", "certificate", "TLS", "MEF answer", ...
  std::string_view what;    // "tag does not verify", "alert received: bad_record_mac", ...
};
// This thread's: each thread sees only its own failures.
[[nodiscard]] inline failure_detail& last_failure() noexcept {
  thread_local failure_detail d;
  return d;
}
// Records the detail and gives the errc back: `return fail(note(e, "where", "what"));`.
inline errc note(errc e, std::string_view where, std::string_view what) noexcept {
  last_failure() = {e, where, what};
  return e;
}
// `return fail(errc::corrupted, "credential store", "tag does not verify");`
[[nodiscard]] inline tl::unexpected<errc> fail(errc e, std::string_view where, std::string_view what) noexcept {
  return fail(note(e, where, what));
}
// "corrupted (credential store: tag does not verify)": the errc, with the last
// detail when that detail came with this errc; the errc alone otherwise.
[[nodiscard]] inline std::string describe(errc e) {
  std::string s(to_string(e));
  const auto& d = last_failure();
  if (d.code == e && !d.where.empty()) s.append(" (").append(d.where).append(": ").append(d.what).append(")");
  return s;
}

}  // namespace m2msec
