// m2msec: the oneM2M (D)TLS 1.2 profile (TS-0003 §10.2) as a Botan TLS policy.
#pragma once

#include <botan/tls_policy.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace m2msec::tls {

enum class transport { stream, datagram };  // TLS 1.2 over TCP, DTLS 1.2 over UDP
enum class authentication { psk, certificate };

// TS-0003 §10.2.2, §10.2.3: the four cipher suites of oneM2M.
inline constexpr std::uint16_t psk_aes128_cbc_sha256 = 0x00AE;           // TLS PSK
inline constexpr std::uint16_t psk_aes128_ccm8 = 0xC0A8;                 // DTLS PSK
inline constexpr std::uint16_t ecdhe_ecdsa_aes128_cbc_sha256 = 0xC023;   // TLS certificate
inline constexpr std::uint16_t ecdhe_ecdsa_aes128_ccm8 = 0xC0AE;         // DTLS certificate

// TS-0003 §10.2.1: TLS 1.2 or DTLS 1.2 only; for PSK the two PSK suites, for
// certificates the two ECDHE-ECDSA suites on P-256 with SHA-256, the one named for
// the transport preferred; no session tickets; client certificates required.
// Thread safety: immutable once made; any number of threads may use one object.
class onem2m_policy final : public Botan::TLS::Policy {
 public:
  // `ccm_first` puts the CCM_8 suite first (a server picks by its own order); by
  // default the suite TS-0003 names for the transport comes first.
  onem2m_policy(transport t, authentication a, std::optional<bool> ccm_first = std::nullopt) noexcept
      : transport_(t), auth_(a), ccm_first_(ccm_first.value_or(t == transport::datagram)) {}

  std::vector<std::string> allowed_ciphers() const override {
    if (ccm_first_) return {"AES-128/CCM(8)", "AES-128"};
    return {"AES-128", "AES-128/CCM(8)"};
  }
  std::vector<std::string> allowed_macs() const override {
    if (ccm_first_) return {"AEAD", "SHA-256"};
    return {"SHA-256", "AEAD"};
  }
  std::vector<std::string> allowed_key_exchange_methods() const override {
    return {auth_ == authentication::psk ? "PSK" : "ECDH"};
  }
  std::vector<std::string> allowed_signature_methods() const override {
    if (auth_ == authentication::psk) return {"IMPLICIT"};
    return {"ECDSA"};
  }
  std::vector<std::string> allowed_signature_hashes() const override { return {"SHA-256"}; }
  std::vector<Botan::TLS::Group_Params> key_exchange_groups() const override {
    return {Botan::TLS::Group_Params::SECP256R1};
  }
  bool allow_tls10() const override { return false; }
  bool allow_tls11() const override { return false; }
  bool allow_tls12() const override { return transport_ == transport::stream; }
  bool allow_dtls10() const override { return false; }
  bool allow_dtls12() const override { return transport_ == transport::datagram; }
  bool allow_server_initiated_renegotiation() const override { return false; }
  bool allow_client_initiated_renegotiation() const override { return false; }
  bool allow_insecure_renegotiation() const override { return false; }
  uint32_t session_ticket_lifetime() const override { return 0; }
  // m2msec checks the path itself (certificate_credential::verify); no CRL is configured.
  bool require_cert_revocation_info() const override { return false; }
  bool require_client_certificate_authentication() const override { return auth_ == authentication::certificate; }
  size_t minimum_ecdsa_group_size() const override { return 256; }
  // An unknown PSK identity goes on with a random key, so on the wire it looks like
  // a wrong key (bad_record_mac): no client can enumerate the provisioned identities.
  bool hide_unknown_users() const override { return true; }

  [[nodiscard]] transport kind() const noexcept { return transport_; }
  [[nodiscard]] authentication auth() const noexcept { return auth_; }

 private:
  transport transport_;
  authentication auth_;
  bool ccm_first_;
};

}  // namespace m2msec::tls
