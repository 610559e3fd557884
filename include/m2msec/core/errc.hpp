// m2msec: one error type for the whole library.
#pragma once

#include "m2msec/core/cxx.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace m2msec {

// Every failure in m2msec is one of these values. Values are unique and stable;
// `auth_failed` never says which check failed.
enum class errc : std::uint16_t {
  invalid_argument = 1,   // a parameter outside what the call accepts
  invalid_key_size = 2,   // key length does not fit the algorithm
  invalid_nonce_size = 3, // nonce length does not fit the algorithm
  buffer_too_small = 4,   // caller's output span is too short
  auth_failed = 5,        // tag, MAC or signature check failed
  invalid_encoding = 6,   // hex, base64url, DER or point encoding rejected
  invalid_key = 7,        // key material rejected (off-curve point, weak key, ...)
  message_too_long = 8,   // input larger than the algorithm or a limit allows
  unsupported = 9,        // algorithm or parameter not provided by this backend
  backend_failure = 10,   // the backend reported an internal error
  weak_shared_secret = 11,// key agreement produced an all-zero/low-order result
  invalid_validity = 12,  // empty or reversed time interval
  not_yet_valid = 13,     // used before its not_before
  expired = 14,           // used after its not_after
  out_of_memory = 15,     // secure allocation failed
  sa_expired = 16,        // the security association's hard limit (time) is reached
  limit_reached = 17,     // the security association's hard limit (bytes, messages, AEAD use) is reached
  originator_not_authenticated = 18,  // request `From` differs from the identity bound to the SA
  security_association_required = 19, // a CSE originator outside any security association
  not_found = 20,         // no such identifier, credential or association
  profile_violation = 21, // certificate or key outside the oneM2M profile
  name_mismatch = 22,     // certificate names do not match the expected identity exactly
  untrusted = 23,         // no valid path to a configured trust anchor
  io_error = 24,          // the operating system refused a file operation
  corrupted = 25,         // stored data failed its integrity check or does not parse
  revoked = 26,           // the credential or App-ID has been revoked
  not_authorized = 27,    // authenticated, but the service or App-ID is not allowed
  alg_not_allowed = 28,   // the algorithm is not allowed for this key or by the caller's policy
  replayed = 29,          // an object already accepted once within its validity
  wrong_usage = 30,       // the key was provisioned (SUID) for another usage than this one
  truncated = 31,         // the transport ended before the peer's close_notify
  policy_refused = 32,    // well-formed and supported, but a rule refuses it here (an unprotected JWS "alg")
};

[[nodiscard]] constexpr std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::invalid_argument: return "invalid argument";
    case errc::invalid_key_size: return "invalid key size";
    case errc::invalid_nonce_size: return "invalid nonce size";
    case errc::buffer_too_small: return "buffer too small";
    case errc::auth_failed: return "authentication failed";
    case errc::invalid_encoding: return "invalid encoding";
    case errc::invalid_key: return "invalid key";
    case errc::message_too_long: return "message too long";
    case errc::unsupported: return "unsupported";
    case errc::backend_failure: return "backend failure";
    case errc::weak_shared_secret: return "weak shared secret";
    case errc::invalid_validity: return "invalid validity interval";
    case errc::not_yet_valid: return "not yet valid";
    case errc::expired: return "expired";
    case errc::out_of_memory: return "out of memory";
    case errc::sa_expired: return "security association expired";
    case errc::limit_reached: return "security association limit reached";
    case errc::originator_not_authenticated: return "originator not authenticated";
    case errc::security_association_required: return "security association required";
    case errc::not_found: return "not found";
    case errc::profile_violation: return "outside the oneM2M profile";
    case errc::name_mismatch: return "name mismatch";
    case errc::untrusted: return "untrusted";
    case errc::io_error: return "I/O error";
    case errc::corrupted: return "corrupted";
    case errc::revoked: return "revoked";
    case errc::not_authorized: return "not authorized";
    case errc::alg_not_allowed: return "algorithm not allowed";
    case errc::replayed: return "replayed";
    case errc::wrong_usage: return "key provisioned for another usage";
    case errc::truncated: return "transport ended before close_notify";
    case errc::policy_refused: return "refused by policy";
  }
  return "unknown error";
}

// All values, for tests and tables: 1 to the last, without gaps.
inline constexpr errc last_errc = errc::policy_refused;
inline constexpr auto all_errc = [] {
  std::array<errc, static_cast<std::size_t>(last_errc)> all{};
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<errc>(i + 1);
  return all;
}();

// errc as a std::error_code: category "m2msec", message to_string(e), so that
// code that reports std::error_code (Asio, std::filesystem) carries m2msec's too.
// Thread safety: immutable once made; any number of threads may use one object.
class error_category_impl final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "m2msec"; }
  [[nodiscard]] std::string message(int v) const override {
    return std::string(to_string(static_cast<errc>(v)));
  }
};
[[nodiscard]] inline const std::error_category& error_category() noexcept {
  static const error_category_impl category;
  return category;
}
[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace m2msec

namespace std {
template <>
struct is_error_code_enum<m2msec::errc> : true_type {};
}  // namespace std
