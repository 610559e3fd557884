// m2msec: Security Usage Identifiers (TS-0004 §6.3.4.2.39) and Credential-IDs
// (TS-0003 §10.4, §12.2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "m2msec/identity/fqdn.hpp"

namespace m2msec {

// TS-0004 §6.3.4.2.39 m2m:suid: the first digit is the credential type, the second its scope.
enum class suid : std::uint8_t {
  preprovisioned_mef = 10, preprovisioned_maf = 11, preprovisioned_saef = 12,
  preprovisioned_esprim = 13, preprovisioned_esdata_encryption = 14, preprovisioned_esdata_signature = 15,
  rspf_maf = 21, rspf_saef = 22, rspf_esprim = 23, rspf_esdata_encryption = 24, rspf_esdata_signature = 25,
  maf_saef = 32, maf_esprim = 33, maf_esdata_encryption = 34, maf_esdata_signature = 35,
  certificate_mef = 40, certificate_maf = 41, certificate_saef = 42, certificate_esprim = 43,
  certificate_esdata_encryption = 44, certificate_esdata_signature = 45,
};

inline constexpr suid all_suids[] = {
    suid::preprovisioned_mef, suid::preprovisioned_maf, suid::preprovisioned_saef, suid::preprovisioned_esprim,
    suid::preprovisioned_esdata_encryption, suid::preprovisioned_esdata_signature, suid::rspf_maf, suid::rspf_saef,
    suid::rspf_esprim, suid::rspf_esdata_encryption, suid::rspf_esdata_signature, suid::maf_saef,
    suid::maf_esprim, suid::maf_esdata_encryption, suid::maf_esdata_signature, suid::certificate_mef,
    suid::certificate_maf, suid::certificate_saef, suid::certificate_esprim,
    suid::certificate_esdata_encryption, suid::certificate_esdata_signature,
};

enum class credential_type : std::uint8_t { preprovisioned_symmetric = 1, rspf_symmetric = 2, maf_symmetric = 3, certificate = 4 };
enum class usage_scope : std::uint8_t { mef = 0, maf = 1, saef = 2, esprim = 3, esdata_encryption = 4, esdata_signature = 5 };

[[nodiscard]] constexpr credential_type type_of(suid s) noexcept {
  return static_cast<credential_type>(static_cast<int>(s) / 10);
}
[[nodiscard]] constexpr usage_scope scope_of(suid s) noexcept {
  return static_cast<usage_scope>(static_cast<int>(s) % 10);
}
[[nodiscard]] constexpr bool is_symmetric(suid s) noexcept { return type_of(s) != credential_type::certificate; }

[[nodiscard]] constexpr std::optional<suid> suid_from_int(int v) noexcept {
  for (suid s : all_suids)
    if (static_cast<int>(s) == v) return s;
  return std::nullopt;
}
// The two decimal digits, as m2m:suid is written (and as the usage-constrained
// key derivation takes it, decision A4).
[[nodiscard]] inline std::string to_string(suid s) { return std::to_string(static_cast<int>(s)); }
[[nodiscard]] inline result<suid> parse_suid(std::string_view s) {
  if (s.size() != 2 || !id_detail::is_digit(s[0]) || !id_detail::is_digit(s[1])) return fail(errc::invalid_encoding);
  if (auto v = suid_from_int((s[0] - '0') * 10 + (s[1] - '0'))) return *v;
  return fail(errc::invalid_encoding);
}

// TS-0003 §12.2 credIDTypeID.
enum class credential_id_type : std::uint8_t {
  kpm_id = 10, km_id = 11, kpsa_or_kc_id = 12, pairwise_esprim_key_id = 13,
  esdata_direct_key = 14, esdata_keywrap_key = 15, esdata_hmac_key = 16,
  tls_raw_key = 30, tls_device = 31, tls_cse_id = 32, tls_ae_id = 33, tls_node_id = 34,
  esdata_kem_raw_key = 41, esdata_kem_device = 42, esdata_kem_cse_id = 43, esdata_kem_ae_id = 44, esdata_kem_node_id = 45,
  esdata_sig_raw_key = 51, esdata_sig_device = 52, esdata_sig_cse_id = 53, esdata_sig_ae_id = 54, esdata_sig_node_id = 55,
};

// TS-0003 §10.4: Credential-ID = <credIDTypeID> "-" <value>, the value made of
// letters, digits, '.', '_', '-' and '@' (e.g. 10-thiskey@mymef.com).
// Thread safety: immutable once made; any number of threads may use one object.
class credential_id {
 public:
  [[nodiscard]] static result<credential_id> make(credential_id_type t, std::string_view value) {
    if (!valid_type(static_cast<int>(t)) || !valid_value(value)) return fail(errc::invalid_encoding);
    return credential_id(t, std::string(value));
  }
  [[nodiscard]] static result<credential_id> parse(std::string_view s) {
    if (s.size() < 4 || s.size() > id_detail::max_text_size || s[2] != '-') return fail(errc::invalid_encoding);
    if (!id_detail::is_digit(s[0]) || !id_detail::is_digit(s[1])) return fail(errc::invalid_encoding);
    const int t = (s[0] - '0') * 10 + (s[1] - '0');
    if (!valid_type(t)) return fail(errc::invalid_encoding);
    return make(static_cast<credential_id_type>(t), s.substr(3));
  }
  [[nodiscard]] credential_id_type type() const noexcept { return type_; }
  [[nodiscard]] const std::string& value() const noexcept { return value_; }
  [[nodiscard]] std::string str() const { return std::to_string(static_cast<int>(type_)) + "-" + value_; }
  friend bool operator==(const credential_id&, const credential_id&) = default;
  friend auto operator<=>(const credential_id&, const credential_id&) = default;

 private:
  credential_id(credential_id_type t, std::string v) : type_(t), value_(std::move(v)) {}
  static constexpr bool valid_type(int t) noexcept {
    return (t >= 10 && t <= 16) || (t >= 30 && t <= 34) || (t >= 41 && t <= 45) || (t >= 51 && t <= 55);
  }
  static constexpr bool valid_value(std::string_view v) noexcept {
    return !v.empty() && v.size() <= id_detail::max_text_size - 3 &&
           id_detail::all_of(v, [](char c) { return id_detail::is_key_char(c) || c == '@'; });
  }
  credential_id_type type_;
  std::string value_;
};

}  // namespace m2msec
