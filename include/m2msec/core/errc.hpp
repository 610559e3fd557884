// m2msec: one error type for the whole library.
#pragma once

#include <cstdint>
#include <string_view>

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
  }
  return "unknown error";
}

// All values, for tests and tables.
inline constexpr errc all_errc[] = {
    errc::invalid_argument, errc::invalid_key_size, errc::invalid_nonce_size, errc::buffer_too_small,
    errc::auth_failed,      errc::invalid_encoding, errc::invalid_key,        errc::message_too_long,
    errc::unsupported,      errc::backend_failure,  errc::weak_shared_secret, errc::invalid_validity,
    errc::not_yet_valid,    errc::expired,          errc::out_of_memory,
};

}  // namespace m2msec
