// m2msec: certificate and raw-public-key credentials, checked against the oneM2M
// certificate profile (TS-0003 §8.1.2, §10.1).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "m2msec/backend/botan/key_agreement.hpp"
#include "m2msec/backend/botan/x509.hpp"
#include "m2msec/core/ct.hpp"
#include "m2msec/core/encoding.hpp"
#include "m2msec/identity/credential_id.hpp"
#include "m2msec/identity/identifiers.hpp"

namespace m2msec {

// TS-0003 §10.1.1: ecdsa-with-SHA256.
inline constexpr std::string_view ecdsa_with_sha256_oid = "1.2.840.10045.4.3.2";
// TS-0003 §8.1.2.1: Device certificates name the device by an otherName whose
// type-id is the M2M device arc; m2msec's default is the arc of the Node-ID
// example of TS-0001 Annex H (0.2.481.1) and the value a string (docs/decisions.md).
inline constexpr std::string_view default_device_arc = "0.2.481.1";

// RFC 6920 digests of a SubjectPublicKeyInfo (TS-0003 §10.1.2), longer preferred.
enum class ni_algorithm { sha256, sha256_128, sha256_120 };

[[nodiscard]] constexpr std::size_t ni_size(ni_algorithm a) noexcept {
  return a == ni_algorithm::sha256 ? 32 : a == ni_algorithm::sha256_128 ? 16 : 15;
}
[[nodiscard]] constexpr std::string_view ni_name(ni_algorithm a) noexcept {
  return a == ni_algorithm::sha256 ? "sha-256" : a == ni_algorithm::sha256_128 ? "sha-256-128" : "sha-256-120";
}
// RFC 6920 §3: ni:///<alg>;<base64url digest>, the digest truncated for -128 and -120.
[[nodiscard]] inline std::string ni_uri(bytes_view data, ni_algorithm a) {
  const auto d = backend::x509::sha256(data);
  return "ni:///" + std::string(ni_name(a)) + ";" + base64url_encode(bytes_view(d).first(ni_size(a)));
}
// Matched by recomputation (TS-0003 §10.1.2), in constant time over the digest.
[[nodiscard]] inline bool ni_matches(bytes_view data, std::string_view uri) {
  for (ni_algorithm a : {ni_algorithm::sha256, ni_algorithm::sha256_128, ni_algorithm::sha256_120}) {
    const std::string prefix = "ni:///" + std::string(ni_name(a)) + ";";
    if (!uri.starts_with(prefix)) continue;
    auto given = base64url_decode(uri.substr(prefix.size()));
    if (!given || given->size() != ni_size(a)) return false;
    const auto d = backend::x509::sha256(data);
    return ct::equal(bytes_view(d).first(ni_size(a)), *given);
  }
  return false;
}

namespace cert_detail {
// Decision: a certificate's Credential-ID value is the base64url SHA-256 of its
// SubjectPublicKeyInfo: unique, and in the Credential-ID alphabet.
inline credential_id key_credential_id(credential_id_type t, bytes_view spki) {
  const auto d = backend::x509::sha256(spki);
  return *credential_id::make(t, base64url_encode(d));
}
}  // namespace cert_detail

// TS-0003 §10.1.2, RFC 7250: a raw P-256 public key, named by its RFC 6920 digest.
// It has no lifetime nor usage of its own; configuration gives them (SAEF by default).
// Thread safety: immutable once made; any number of threads may use one object.
class raw_public_key {
 public:
  // A SubjectPublicKeyInfo in DER, or in a PEM "PUBLIC KEY" block.
  [[nodiscard]] static result<raw_public_key> parse(bytes_view der_or_pem, validity lifetime,
                                                    suid usage = suid::certificate_saef) {
    if (is_symmetric(usage)) return fail(errc::invalid_argument);
    byte_vector spki(der_or_pem.begin(), der_or_pem.end());
    if (!der_or_pem.empty() && der_or_pem[0] != 0x30) {
      auto der = backend::x509::public_key_info(der_or_pem);
      if (!der) return fail(errc::invalid_encoding);
      spki = std::move(*der);
    }
    auto point = crypto::ec_public_key_from_spki<crypto::ecdh_p256>(spki);
    if (!point) return fail(point.error() == errc::invalid_encoding ? errc::invalid_encoding : errc::profile_violation);
    return raw_public_key(std::move(spki), std::move(*point), lifetime, usage);
  }
  [[nodiscard]] bytes_view spki() const noexcept { return spki_; }
  [[nodiscard]] bytes_view public_point() const noexcept { return point_; }  // uncompressed, 65 bytes
  [[nodiscard]] std::string ni(ni_algorithm a = ni_algorithm::sha256) const { return ni_uri(spki_, a); }
  [[nodiscard]] bool matches(std::string_view ni_uri) const { return ni_matches(spki_, ni_uri); }
  [[nodiscard]] const credential_id& id() const noexcept { return id_; }
  [[nodiscard]] const validity& lifetime() const noexcept { return lifetime_; }
  [[nodiscard]] suid usage() const noexcept { return usage_; }
  // The Credential-ID (type 30) of a SubjectPublicKeyInfo, as id() gives it.
  [[nodiscard]] static credential_id id_of(bytes_view spki_der) {
    return cert_detail::key_credential_id(credential_id_type::tls_raw_key, spki_der);
  }

 private:
  raw_public_key(byte_vector spki, byte_vector point, validity v, suid usage)
      : spki_(std::move(spki)), point_(std::move(point)), lifetime_(v),
        id_(cert_detail::key_credential_id(credential_id_type::tls_raw_key, spki_)), usage_(usage) {}
  byte_vector spki_, point_;
  validity lifetime_;
  credential_id id_;
  suid usage_;
};

// The identity a peer's certificate must name, one per certificate flavour of
// TS-0003 §8.1.2.1. Matching is exact: the expected text equals one
// subjectAltName entry of the right type, byte for byte (DNS names in lower case).
// Thread safety: immutable once made; any number of threads may use one object.
class expected_name {
 public:
  enum class flavour { device, cse_id, ae_id, node_id, fqdn };
  // CSE-ID certificate: the CSE's public domain name as a dNSName.
  [[nodiscard]] static expected_name cse(const fqdn& public_domain_name) {
    return {flavour::cse_id, public_domain_name.str(), {}};
  }
  // AE-ID certificate: the absolute AE-ID as a uniformResourceIdentifier.
  [[nodiscard]] static result<expected_name> ae(const ae_id& id) {
    if (!id.is_absolute()) return fail(errc::invalid_argument);
    return expected_name{flavour::ae_id, id.str(), {}};
  }
  // Node-ID certificate: the Node-ID as a uniformResourceIdentifier.
  [[nodiscard]] static expected_name node(const node_id& id) { return {flavour::node_id, id.str(), {}}; }
  // Device certificate: a hardware ID as an otherName of type `arc`.
  [[nodiscard]] static expected_name device(std::string_view hardware_id, std::string_view arc = default_device_arc) {
    return {flavour::device, std::string(hardware_id), std::string(arc)};
  }
  // FQDN certificate (MEF, MAF): the FQDN as a dNSName.
  [[nodiscard]] static expected_name host(const fqdn& name) { return {flavour::fqdn, name.str(), {}}; }

  [[nodiscard]] flavour type() const noexcept { return flavour_; }
  [[nodiscard]] const std::string& value() const noexcept { return value_; }
  [[nodiscard]] const std::string& arc() const noexcept { return arc_; }

 private:
  expected_name(flavour f, std::string v, std::string arc) : flavour_(f), value_(std::move(v)), arc_(std::move(arc)) {}
  flavour flavour_;
  std::string value_, arc_;
};

// A certificate that passed the oneM2M profile: P-256 key in uncompressed form,
// signed with ECDSA-SHA-256, keyUsage with digitalSignature, no wildcard names.
// Not yet trusted: certificate_credential::verify() does that.
// Thread safety: immutable once made; any number of threads may use one object.
class certificate {
 public:
  [[nodiscard]] static result<certificate> parse(bytes_view der_or_pem) {
    auto f = backend::x509::read_certificate(der_or_pem);
    if (!f) return fail(f.error());
    // TS-0003 §10.1.1: the common profile.
    if (f->signature_oid != ecdsa_with_sha256_oid) return fail(errc::profile_violation, "certificate", "not signed with ECDSA-SHA-256");
    if (!f->has_key_usage || !f->digital_signature) return fail(errc::profile_violation, "certificate", "no keyUsage digitalSignature");
    auto point = crypto::ec_public_key_from_spki<crypto::ecdh_p256>(f->spki);
    if (!point) return fail(errc::profile_violation, "certificate", "its key is not on P-256");
    // TS-0003 §8.1.2.1: no wildcards in CSE-ID, AE-ID, Node-ID and FQDN certificates.
    for (const auto* list : {&f->dns, &f->uris})
      for (const auto& n : *list)
        if (n.find('*') != std::string::npos) return fail(errc::profile_violation, "certificate", "a wildcard name");
    return certificate(std::move(*f), std::move(*point));
  }

  // TS-0003 §8.1.2.2: exact match of the configured identifier against the subjectAltName.
  [[nodiscard]] result<void> match(const expected_name& e) const {
    using F = expected_name::flavour;
    auto in = [&](const std::vector<std::string>& names, bool dns) {
      for (const auto& n : names)
        if (dns ? iequal_ascii(n, e.value()) : n == e.value()) return true;
      return false;
    };
    bool ok = false;
    switch (e.type()) {
      case F::cse_id:
      case F::fqdn: ok = in(f_.dns, true); break;
      case F::ae_id:
      case F::node_id: ok = in(f_.uris, false); break;
      case F::device:
        for (const auto& [arc, v] : f_.other_names) ok = ok || (arc == e.arc() && v == e.value());
        break;
    }
    if (!ok) return fail(errc::name_mismatch, "certificate", "no subjectAltName is the identifier expected");
    return {};
  }

  [[nodiscard]] bytes_view der() const noexcept { return f_.der; }
  [[nodiscard]] bytes_view spki() const noexcept { return f_.spki; }
  [[nodiscard]] bytes_view public_point() const noexcept { return point_; }
  [[nodiscard]] bool is_ca() const noexcept { return f_.is_ca; }
  [[nodiscard]] const std::vector<std::string>& dns_names() const noexcept { return f_.dns; }
  [[nodiscard]] const std::vector<std::string>& uris() const noexcept { return f_.uris; }
  [[nodiscard]] result<validity> own_validity() const noexcept { return validity::make(f_.not_before, f_.not_after); }

 private:
  certificate(backend::x509::certificate_fields f, byte_vector point)
      : f_(std::move(f)), point_(std::move(point)) {}
  backend::x509::certificate_fields f_;
  byte_vector point_;
};

// The trust anchors a node is configured with (TS-0003 §8.1.2.5).
// Thread safety: one thread at a time per object; distinct objects are independent.
class trust_anchors {
 public:
  [[nodiscard]] result<void> add(bytes_view der_or_pem) noexcept { return store_.add(der_or_pem); }
  [[nodiscard]] const backend::x509::trust_store& store() const noexcept { return store_; }

 private:
  backend::x509::trust_store store_;
};

// A certificate a peer presented, trusted: its name matched exactly and its path
// validated to a trust anchor at a given time. Its lifetime is the part of the
// path's validity common to every certificate on it.
// Thread safety: immutable once made; any number of threads may use one object.
class certificate_credential {
 public:
  // TS-0003 §8.1.2.2, §8.1.2.5: exact name match, then RFC 5280 path validation.
  // `usage` is what the certificate is trusted for here (SUID 40-45; SAEF by default).
  [[nodiscard]] static result<certificate_credential> verify(certificate leaf, const expected_name& name,
                                                             const trust_anchors& anchors, time_point at,
                                                             std::span<const certificate> intermediates = {},
                                                             suid usage = suid::certificate_saef) {
    if (is_symmetric(usage)) return fail(errc::invalid_argument);
    if (leaf.is_ca()) return fail(errc::profile_violation, "certificate", "a CA certificate presented as an end entity");
    if (auto r = leaf.match(name); !r) return fail(r.error());
    std::vector<byte_vector> chain;
    for (const auto& c : intermediates) chain.emplace_back(c.der().begin(), c.der().end());
    auto life = anchors.store().validate(leaf.der(), chain, at);
    if (!life) return fail(life.error());
    const auto t = type_of(name.type());
    auto id = cert_detail::key_credential_id(t, leaf.spki());
    return certificate_credential(std::move(leaf), name, *life, std::move(id), usage);
  }

  [[nodiscard]] const certificate& cert() const noexcept { return leaf_; }
  [[nodiscard]] const expected_name& name() const noexcept { return name_; }
  [[nodiscard]] const validity& lifetime() const noexcept { return lifetime_; }
  [[nodiscard]] const credential_id& id() const noexcept { return id_; }
  [[nodiscard]] suid usage() const noexcept { return usage_; }

 private:
  // TS-0003 §12.2: 31 Device, 32 CSE-ID, 33 AE-ID, 34 Node-ID. MEF and MAF FQDN
  // certificates have no code of their own; m2msec uses 30 (public key identifier).
  static credential_id_type type_of(expected_name::flavour f) noexcept {
    using F = expected_name::flavour;
    switch (f) {
      case F::device: return credential_id_type::tls_device;
      case F::cse_id: return credential_id_type::tls_cse_id;
      case F::ae_id: return credential_id_type::tls_ae_id;
      case F::node_id: return credential_id_type::tls_node_id;
      case F::fqdn: break;
    }
    return credential_id_type::tls_raw_key;
  }
  certificate_credential(certificate leaf, expected_name name, validity life, credential_id id, suid usage)
      : leaf_(std::move(leaf)), name_(std::move(name)), lifetime_(life), id_(std::move(id)), usage_(usage) {}
  certificate leaf_;
  expected_name name_;
  validity lifetime_;
  credential_id id_;
  suid usage_;
};

}  // namespace m2msec
