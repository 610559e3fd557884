// m2msec: what every part of ESPrim shares: the identifiers TS-0004 gives its
// algorithms and messages, and a refusal as the response status code it draws.
#pragma once

#include <cstdint>
#include <optional>

#include "m2msec/core/rsc.hpp"
#include "m2msec/jose/algorithms.hpp"
#include "m2msec/kdf/key_schedule.hpp"

namespace m2msec::esprim {

using rand_object = esprim_rand_object;

// TS-0004 §6.3.4.2.40: esprimKeyGenAlgID 1 = HMAC-SHA256 (TS-0003 §10.3.8).
inline constexpr std::uint8_t key_gen_hmac_sha256 = 1;
// TS-0004 §6.3.4.2.41: esprimProtocolAndAlgID, JWE compact with this "enc".
inline constexpr std::uint8_t jwe_a128gcm = 10, jwe_a192gcm = 11, jwe_a256gcm = 12;
// TS-0004 §6.3.4.2.35: securityInfoType values ESPrim uses.
inline constexpr int sit_rand_request = 3, sit_rand_response = 4, sit_esprim_object = 5;
// TS-0004 §6.3.4.2.x: the NOTIFY operation.
inline constexpr int op_notify = 5;

[[nodiscard]] constexpr std::uint8_t protocol_id(jose::enc e) noexcept {
  return static_cast<std::uint8_t>(jwe_a128gcm + static_cast<int>(e));
}
[[nodiscard]] constexpr std::optional<jose::enc> enc_of(std::uint8_t id) noexcept {
  if (id < jwe_a128gcm || id > jwe_a256gcm) return std::nullopt;
  return static_cast<jose::enc>(id - jwe_a128gcm);
}

// Why a Receiver or Originator refused: the code to send (TS-0004 Table
// 7.6.2-1) and m2msec's reason.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct error {
  rsc code;
  errc reason;
  friend bool operator==(const error&, const error&) = default;
};
template <class T>
using outcome = tl::expected<T, error>;
[[nodiscard]] inline tl::unexpected<error> refuse(rsc code, errc reason) noexcept { return tl::unexpected<error>(error{code, reason}); }

}  // namespace m2msec::esprim
