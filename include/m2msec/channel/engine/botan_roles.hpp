// m2msec: the parts of a channel on Botan's engine that depend on its role: a PSK
// or certificate client, a PSK or certificate server. Each role holds what only it
// needs, so no member of the channel is there for some roles and null for others.
#pragma once

#include <botan/data_src.h>
#include <botan/pkcs8.h>
#include <botan/symkey.h>
#include <botan/tls_alert.h>
#include <botan/x509cert.h>
#include <botan/x509self.h>

#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "m2msec/backend/botan/common.hpp"
#include "m2msec/channel/psk.hpp"
#include "m2msec/core/ct.hpp"
#include "m2msec/credential/certificate.hpp"
#include "m2msec/sa/bound.hpp"

namespace m2msec::tls::tls_detail {

// TLS alerts to errc, for alerts we raise and alerts we receive.
inline errc from_alert(Botan::TLS::Alert::Type t) noexcept {
  using A = Botan::TLS::Alert;
  switch (t) {
    case A::BAD_RECORD_MAC: return errc::auth_failed;
    case A::UNKNOWN_PSK_IDENTITY: return errc::not_found;
    case A::HANDSHAKE_FAILURE:
    case A::INSUFFICIENT_SECURITY:
    case A::PROTOCOL_VERSION:
    case A::ILLEGAL_PARAMETER: return errc::unsupported;
    case A::BAD_CERTIFICATE:
    case A::UNSUPPORTED_CERTIFICATE:
    case A::CERTIFICATE_UNKNOWN:
    case A::UNKNOWN_CA: return errc::untrusted;
    case A::CERTIFICATE_EXPIRED: return errc::expired;
    case A::UNRECOGNIZED_NAME: return errc::name_mismatch;
    case A::DECRYPT_ERROR: return errc::auth_failed;
    case A::ACCESS_DENIED: return errc::not_authorized;
    case A::INTERNAL_ERROR: return errc::backend_failure;
    default: return errc::invalid_encoding;
  }
}

// An alert's name as RFC 5246 §7.2 writes it (fixed texts, for failure details).
inline std::string_view alert_name(Botan::TLS::Alert::Type t) noexcept {
  using A = Botan::TLS::Alert;
  switch (t) {
    case A::CLOSE_NOTIFY: return "close_notify";
    case A::UNEXPECTED_MESSAGE: return "unexpected_message";
    case A::BAD_RECORD_MAC: return "bad_record_mac";
    case A::RECORD_OVERFLOW: return "record_overflow";
    case A::DECOMPRESSION_FAILURE: return "decompression_failure";
    case A::HANDSHAKE_FAILURE: return "handshake_failure";
    case A::BAD_CERTIFICATE: return "bad_certificate";
    case A::UNSUPPORTED_CERTIFICATE: return "unsupported_certificate";
    case A::CERTIFICATE_REVOKED: return "certificate_revoked";
    case A::CERTIFICATE_EXPIRED: return "certificate_expired";
    case A::CERTIFICATE_UNKNOWN: return "certificate_unknown";
    case A::ILLEGAL_PARAMETER: return "illegal_parameter";
    case A::UNKNOWN_CA: return "unknown_ca";
    case A::ACCESS_DENIED: return "access_denied";
    case A::DECODE_ERROR: return "decode_error";
    case A::DECRYPT_ERROR: return "decrypt_error";
    case A::PROTOCOL_VERSION: return "protocol_version";
    case A::INSUFFICIENT_SECURITY: return "insufficient_security";
    case A::INTERNAL_ERROR: return "internal_error";
    case A::INAPPROPRIATE_FALLBACK: return "inappropriate_fallback";
    case A::USER_CANCELED: return "user_canceled";
    case A::NO_RENEGOTIATION: return "no_renegotiation";
    case A::UNSUPPORTED_EXTENSION: return "unsupported_extension";
    case A::UNRECOGNIZED_NAME: return "unrecognized_name";
    case A::UNKNOWN_PSK_IDENTITY: return "unknown_psk_identity";
    default: return "another alert";
  }
}

// The alert a server sends when the credential it verified gives no association:
// an expired one says so; any other refusal (another usage) is access_denied.
inline Botan::TLS::Alert::Type to_alert(errc e) noexcept {
  using A = Botan::TLS::Alert;
  if (e == errc::expired || e == errc::not_yet_valid) return A::CERTIFICATE_EXPIRED;
  return A::ACCESS_DENIED;
}

// What a server is told when it is made: who it is, and the lifetime and limits of
// the associations it makes.
struct server_setup {
  entity_id local;
  requested_lifetime lifetime;
  usage_limits limits;
};

// TS-0003 §8.2.1: what a verified certificate binds the association to: an AE-ID
// certificate its absolute AE-ID; a CSE-ID certificate the CSE-ID its public
// domain name begins with (TS-0003 §6.1: <CSE-ID>.<domain>); a Node-ID, Device or
// FQDN certificate its Credential-ID, for the Registrar to map later.
[[nodiscard]] inline bound_identity binding_of(const certificate_credential& cred) {
  using F = expected_name::flavour;
  const auto& name = cred.name();
  if (name.type() == F::ae_id) {
    if (auto id = ae_id::parse(name.value())) return *id;
  }
  if (name.type() == F::cse_id) {
    std::string text = "/";
    text += name.value().substr(0, name.value().find('.'));
    if (auto id = cse_id::parse(text)) return *id;
  }
  return cred.id();
}

// A peer a server verified, by its certificate or by a raw public key it was
// configured with, and the identity the association will be bound to.
struct verified_peer {
  std::variant<certificate_credential, raw_public_key> credential;
  bound_identity binding;
  [[nodiscard]] const validity& lifetime() const noexcept {
    return std::visit([](const auto& c) -> const validity& { return c.lifetime(); }, credential);
  }
};

// Our certificate chain and key, and what the peer's certificate must be: both
// certificate roles have them.
struct certificates {
  std::vector<Botan::X509_Certificate> chain;
  std::unique_ptr<Botan::Private_Key> key;
  const trust_anchors* anchors = nullptr;
  peer_names expected;

  [[nodiscard]] static result<certificates> load(const own_certificate& own, const trust_anchors& anchors,
                                                 peer_names expected) {
    return backend::guard([&]() -> result<certificates> {
      certificates c{{}, nullptr, &anchors, std::move(expected)};
      Botan::DataSource_Memory chain(own.chain_pem);
      while (!chain.end_of_data()) {
        try {
          c.chain.emplace_back(chain);
        } catch (const Botan::Decoding_Error&) {
          break;  // trailing whitespace after the last certificate
        }
      }
      if (c.chain.empty()) return fail(errc::invalid_encoding);
      Botan::DataSource_Memory key(own.key_pem);
      c.key = Botan::PKCS8::load_key(key);
      if (!c.key || c.key->algo_name() != "ECDSA") return fail(errc::profile_violation);
      return c;
    });
  }

  // TS-0003 §8.1.2.2: the peer's chain, leaf first, names the expected peer exactly
  // and validates to our anchors at `now`; it is trusted for the channel's usage (SUID 4x).
  // Or, where raw keys are registered, its one certificate carries a known raw key.
  [[nodiscard]] result<verified_peer> verify_peer(const std::vector<Botan::X509_Certificate>& chain,
                                                  usage_scope usage, time_point now) const {
    if (chain.empty()) return fail(errc::untrusted);
    const auto trusted_for =
        suid_from_int(static_cast<int>(credential_type::certificate) * 10 + static_cast<int>(usage));
    if (!trusted_for) return fail(errc::wrong_usage);
    if (const auto* r = std::get_if<registered_peers>(&expected); r != nullptr && r->raw_keys) {
      auto raw = raw_key_of(chain, r->raw_keys, *trusted_for, now);
      if (raw || raw.error() != errc::not_found) return raw;
    }
    std::vector<certificate> parsed;
    for (const auto& c : chain) {
      const auto der = c.BER_encode();
      auto p = certificate::parse(bytes_view(der.data(), der.size()));
      if (!p) return fail(p.error());
      parsed.push_back(std::move(*p));
    }
    auto name = expected_name_of(parsed.front());
    if (!name) return fail(name.error());
    const std::span<const certificate> rest(parsed.data() + 1, parsed.size() - 1);
    auto cred = certificate_credential::verify(std::move(parsed.front()), *name, *anchors, now, rest, *trusted_for);
    if (!cred) return fail(cred.error());
    auto binding = binding_of(*cred);
    return verified_peer{std::move(*cred), std::move(binding)};
  }

 private:
  // TS-0003 §10.1.2: a raw public key, carried as the one certificate of the chain
  // (decisions: "Raw public keys"): only its SubjectPublicKeyInfo is read; the
  // handshake's CertificateVerify proves the private key. not_found: no such key.
  [[nodiscard]] static result<verified_peer> raw_key_of(const std::vector<Botan::X509_Certificate>& chain,
                                                        const raw_key_resolver& resolve, suid trusted_for,
                                                        time_point now) {
    if (chain.size() != 1) return fail(errc::not_found);
    const auto& spki = chain.front().subject_public_key_info();
    const bytes_view key(spki.data(), spki.size());
    auto e = resolve(raw_public_key::id_of(key));
    if (!e) return fail(e.error());
    if (e->key == nullptr || !ct::equal(e->key->spki(), key)) return fail(errc::untrusted);
    if (e->key->usage() != trusted_for) return fail(errc::wrong_usage);
    if (auto v = e->key->lifetime().check(now); !v) return fail(v.error());
    return verified_peer{*e->key, std::move(e->peer)};
  }

  // The name the leaf must carry: the configured one, or the one absolute AE-ID it
  // names when that AE is registered.
  [[nodiscard]] result<expected_name> expected_name_of(const certificate& leaf) const {
    if (const auto* e = std::get_if<expected_name>(&expected)) return *e;
    const auto& registered = std::holds_alternative<registered_ae>(expected)
                                 ? std::get<registered_ae>(expected)
                                 : std::get<registered_peers>(expected).certificates;
    if (leaf.uris().size() != 1) return fail(errc::name_mismatch);
    auto id = ae_id::parse(leaf.uris().front());
    if (!id || !id->is_absolute() || !registered || !registered(*id)) return fail(errc::name_mismatch);
    return expected_name::ae(*id);
  }
};

// TS-0003 §10.1.2 with Botan 2, which has no RFC 7250 (decisions: "Raw public
// keys"): a raw key travels as the one certificate of a chain, self-signed over
// its own key and valid for `lifetime`; a server that knows the key reads only its
// SubjectPublicKeyInfo.
[[nodiscard]] inline result<own_certificate> raw_key_carrier(std::string_view key_pem, const validity& lifetime,
                                                             Botan::RandomNumberGenerator& rng) {
  return backend::guard([&]() -> result<own_certificate> {
    Botan::DataSource_Memory in(std::string{key_pem});
    auto key = Botan::PKCS8::load_key(in);
    if (!key || key->algo_name() != "ECDSA") return fail(errc::profile_violation);
    Botan::X509_Cert_Options opts("m2msec raw public key");
    opts.start = Botan::X509_Time(lifetime.not_before());
    opts.end = Botan::X509_Time(lifetime.not_after());
    opts.constraints = Botan::Key_Constraints::DIGITAL_SIGNATURE;
    const auto cert = Botan::X509::create_self_signed_cert(opts, *key, "SHA-256", rng);
    return own_certificate{cert.PEM_encode(), std::string{key_pem}};
  });
}

// A PSK client: its key, bound to the association it runs under (the caller's).
struct psk_client_role {
  sa::bound<secret>* key;
};
// A certificate client: the association made from its own certificate (the caller's).
struct certificate_client_role {
  security_association* sa;
  certificates certs;
};
// A PSK server: the association is made when the client's identity resolves, and
// kept once the client's Finished verifies.
struct psk_server_role {
  server_setup setup;
  psk_resolver resolve;
  std::optional<sa::bound<secret>> pending, established;

  // TS-0003 §8.2.2: the key for the identity a client sent, for the channel's usage.
  // The association is made now and kept as `pending` until the client's Finished
  // verifies; the key reaches the engine through it. An unknown identity, an
  // expired credential or another usage gives no key.
  template <clock Clock>
  [[nodiscard]] result<Botan::SymmetricKey> key_for(std::string_view identity, std::string_view sni, usage_scope usage,
                                                    const Clock& clk) {
    if (!acceptable_psk_identity(identity)) return fail(errc::invalid_encoding);
    if (!resolve) return fail(errc::not_found);
    auto entry = resolve(identity, sni);
    if (!entry) return fail(entry.error());
    if (entry->credential == nullptr) return fail(errc::not_found);
    // TS-0003 §8.2.1: bound only to an identity the credential vouches for.
    if (!vouches_for(entry->credential->holder(), entry->credential->id(), entry->peer))
      return fail(errc::name_mismatch);
    auto key = entry->credential->key().clone();
    if (!key) return fail(key.error());
    auto bound = sa::bound<secret>::create(std::move(*key), {setup.local, std::move(entry->peer)}, *entry->credential,
                                           setup.lifetime, setup.limits, clk);
    if (!bound) return fail(bound.error());
    auto g = bound->use(usage, clk, 0, 0);
    if (!g) return fail(g.error());
    const auto k = g->key().expose();
    Botan::SymmetricKey out(k.data(), k.size());
    pending.emplace(std::move(*bound));
    return out;
  }
};
// A certificate server: the client's verified certificate, then the association,
// bound to the identity that certificate vouches for.
struct certificate_server_role {
  server_setup setup;
  certificates certs;
  std::optional<verified_peer> verified;
  std::optional<security_association> sa;
};
using role = std::variant<psk_client_role, certificate_client_role, psk_server_role, certificate_server_role>;

}  // namespace m2msec::tls::tls_detail
