// m2msec: key usage. TS-0004 §6.3.4.2.39: a key's SUID says what it was
// provisioned for (its second digit, the scope); a key is refused for any other
// use. Every key path asks check_usage(), and nothing else decides it.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "m2msec/core/result.hpp"
#include "m2msec/identity/credential_id.hpp"

namespace m2msec {

// The scopes a use accepts: usually one; a nested ESData signature accepts two
// (decision A14).
// Thread safety: immutable once made; any number of threads may use one object.
class usages {
 public:
  constexpr usages(usage_scope s) noexcept : mask_(bit(s)) {}  // NOLINT: one scope reads as a set of one
  constexpr usages(std::initializer_list<usage_scope> l) noexcept {
    for (auto s : l) mask_ |= bit(s);
  }
  [[nodiscard]] constexpr bool allows(suid s) const noexcept { return (mask_ & bit(scope_of(s))) != 0; }

 private:
  static constexpr std::uint8_t bit(usage_scope s) noexcept {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(s));
  }
  std::uint8_t mask_ = 0;
};

// The one usage check: errc::wrong_usage when a key provisioned as `provisioned`
// is asked for a use outside `wanted`.
[[nodiscard]] constexpr result<void> check_usage(suid provisioned, usages wanted) noexcept {
  if (!wanted.allows(provisioned)) return fail(errc::wrong_usage);
  return {};
}

}  // namespace m2msec
