// m2msec: oneM2M response status codes (TS-0004 §6.6) for the errors m2msec reports.
#pragma once

#include <cstdint>
#include <string_view>

#include "m2msec/core/errc.hpp"

namespace m2msec {

// The response status codes a CSE sends for security failures.
enum class rsc : std::uint16_t {
  ok = 2000,
  created = 2001,
  deleted = 2002,
  bad_request = 4000,
  not_found = 4004,
  operation_not_allowed = 4005,
  unsupported_media_type = 4015,
  originator_has_no_privilege = 4103,
  originator_not_authenticated = 4106,
  security_association_required = 4107,
  esprim_unsupported_option = 4111,
  esprim_unknown_key_id = 4112,
  esprim_unknown_orig_rand_id = 4113,
  esprim_unknown_recv_rand_id = 4114,
  esprim_bad_mac = 4115,
  esprim_impersonation_error = 4116,
  internal_server_error = 5000,
  esprim_decryption_error = 5210,
  esprim_encryption_error = 5211,
};

// TS-0004 §6.6: the name of each code, as the specification gives it.
[[nodiscard]] constexpr std::string_view to_string(rsc code) noexcept {
  switch (code) {
    case rsc::ok: return "OK";
    case rsc::created: return "CREATED";
    case rsc::deleted: return "DELETED";
    case rsc::bad_request: return "BAD_REQUEST";
    case rsc::not_found: return "NOT_FOUND";
    case rsc::operation_not_allowed: return "OPERATION_NOT_ALLOWED";
    case rsc::unsupported_media_type: return "UNSUPPORTED_MEDIA_TYPE";
    case rsc::originator_has_no_privilege: return "ORIGINATOR_HAS_NO_PRIVILEGE";
    case rsc::originator_not_authenticated: return "ORIGINATOR_NOT_AUTHENTICATED";
    case rsc::security_association_required: return "SECURITY_ASSOCIATION_REQUIRED";
    case rsc::esprim_unsupported_option: return "ESPRIM_UNSUPPORTED_OPTION";
    case rsc::esprim_unknown_key_id: return "ESPRIM_UNKNOWN_KEY_ID";
    case rsc::esprim_unknown_orig_rand_id: return "ESPRIM_UNKNOWN_ORIG_RAND_ID";
    case rsc::esprim_unknown_recv_rand_id: return "ESPRIM_UNKNOWN_RECV_RAND_ID";
    case rsc::esprim_bad_mac: return "ESPRIM_BAD_MAC";
    case rsc::esprim_impersonation_error: return "ESPRIM_IMPERSONATION_ERROR";
    case rsc::internal_server_error: return "INTERNAL_SERVER_ERROR";
    case rsc::esprim_decryption_error: return "ESPRIM_DECRYPTION_ERROR";
    case rsc::esprim_encryption_error: return "ESPRIM_ENCRYPTION_ERROR";
  }
  return "UNKNOWN";
}

// TS-0004 §7.3.2.1: the code a Receiver sends when an m2msec check fails.
// Malformed or unusable input is a bad request; a failed authentication, an
// expired or revoked credential and a broken association all mean the
// originator is not authenticated; failures of our own making are 5000.
[[nodiscard]] constexpr rsc to_rsc(errc e) noexcept {
  switch (e) {
    case errc::originator_not_authenticated:
    case errc::auth_failed:
    case errc::not_yet_valid:
    case errc::expired:
    case errc::sa_expired:
    case errc::limit_reached:
    case errc::name_mismatch:
    case errc::untrusted:
    case errc::revoked:
    case errc::replayed:
    case errc::wrong_usage:
    case errc::profile_violation: return rsc::originator_not_authenticated;
    case errc::truncated:
    case errc::security_association_required: return rsc::security_association_required;
    case errc::not_authorized: return rsc::originator_has_no_privilege;
    case errc::invalid_argument:
    case errc::invalid_key_size:
    case errc::invalid_nonce_size:
    case errc::invalid_encoding:
    case errc::invalid_key:
    case errc::message_too_long:
    case errc::weak_shared_secret:
    case errc::invalid_validity:
    case errc::not_found:
    case errc::alg_not_allowed:
    case errc::policy_refused:
    case errc::unsupported: return rsc::bad_request;
    case errc::buffer_too_small:
    case errc::backend_failure:
    case errc::out_of_memory:
    case errc::io_error:
    case errc::corrupted: return rsc::internal_server_error;
  }
  return rsc::internal_server_error;
}

}  // namespace m2msec
