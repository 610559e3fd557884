// m2msec: X.509 on Botan 2: read a certificate's fields, validate a path.
#pragma once

#include <botan/ber_dec.h>
#include <botan/data_src.h>
#include <botan/hash.h>
#include <botan/x509_key.h>
#include <botan/x509cert.h>
#include <botan/x509path.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "m2msec/backend/botan/common.hpp"
#include "m2msec/core/bytes.hpp"
#include "m2msec/core/validity.hpp"

namespace m2msec::backend::x509 {

// What m2msec needs from a certificate, read once.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct certificate_fields {
  byte_vector der;
  byte_vector spki;                  // SubjectPublicKeyInfo, DER
  std::string signature_oid;         // dotted
  bool digital_signature = false;    // keyUsage includes digitalSignature
  bool has_key_usage = false;
  bool is_ca = false;
  time_point not_before, not_after;
  std::vector<std::string> dns, uris;
  std::vector<std::pair<std::string, std::string>> other_names;  // (type-id dotted, string value)
};

// Botan 2.19 drops otherName entries of subjectAltName, so m2msec reads them from
// the extension's bytes: otherName ::= [0] { type-id OID, [0] EXPLICIT value },
// kept when the value is a UTF8String, IA5String or PrintableString.
// RFC 5280 §4.1.2.5: a certificate time as a time_point, read from its
// calendar fields rather than through time_t (which Botan refuses before 1970).
// A time past what a nanosecond time_point holds (about 2262) saturates to
// time_point::max(): 99991231235959Z, "no well-defined expiration", is the
// common case. Before the earliest (about 1677), time_point::min().
[[nodiscard]] inline time_point to_time_point(const Botan::X509_Time& t) {
  const std::string s = t.readable_string();  // "YYYY/MM/DD HH:MM:SS UTC"
  auto field = [&](std::size_t at, std::size_t n) { return std::stoi(s.substr(at, n)); };
  const std::chrono::year_month_day day{std::chrono::year{field(0, 4)},
                                        std::chrono::month{static_cast<unsigned>(field(5, 2))},
                                        std::chrono::day{static_cast<unsigned>(field(8, 2))}};
  const std::int64_t secs = std::int64_t{std::chrono::sys_days(day).time_since_epoch().count()} * 86400 +
                               field(11, 2) * 3600 + field(14, 2) * 60 + field(17, 2);
  using std::chrono::seconds;
  constexpr std::int64_t hi = std::chrono::duration_cast<seconds>(time_point::max().time_since_epoch()).count();
  constexpr std::int64_t lo = std::chrono::duration_cast<seconds>(time_point::min().time_since_epoch()).count();
  if (secs >= hi) return time_point::max();
  if (secs <= lo) return time_point::min();
  return time_point(std::chrono::duration_cast<duration>(seconds(secs)));
}

inline void read_other_names(const Botan::X509_Certificate& cert,
                             std::vector<std::pair<std::string, std::string>>& out) {
  const auto raw = cert.v3_extensions().extensions_raw();
  const auto it = raw.find(Botan::OID("2.5.29.17"));
  if (it == raw.end()) return;
  const auto constructed = Botan::ASN1_Tag(Botan::CONTEXT_SPECIFIC | Botan::CONSTRUCTED);
  Botan::BER_Decoder ext(it->second.first);
  Botan::BER_Decoder names = ext.start_cons(Botan::SEQUENCE);
  while (names.more_items()) {
    const Botan::BER_Object name = names.get_next_object();
    if (!name.is_a(0, constructed)) continue;
    Botan::BER_Decoder other(name.bits(), name.length());
    Botan::OID type_id;
    other.decode(type_id);
    const Botan::BER_Object outer = other.get_next_object();
    other.verify_end();
    if (!outer.is_a(0, constructed)) throw Botan::Decoding_Error("otherName value");
    Botan::BER_Decoder inner(outer.bits(), outer.length());
    const Botan::BER_Object value = inner.get_next_object();
    inner.verify_end();
    if (value.get_class() == Botan::UNIVERSAL &&
        (value.type() == Botan::UTF8_STRING || value.type() == Botan::IA5_STRING ||
         value.type() == Botan::PRINTABLE_STRING))
      out.emplace_back(type_id.to_string(), std::string(reinterpret_cast<const char*>(value.bits()), value.length()));
  }
}

[[nodiscard]] inline result<certificate_fields> read_certificate(bytes_view der_or_pem) noexcept {
  return guard([&]() -> result<certificate_fields> {
    Botan::DataSource_Memory src(der_or_pem.data(), der_or_pem.size());
    Botan::X509_Certificate cert(src);
    certificate_fields f;
    const auto der = cert.BER_encode();
    // DER input must be exactly one certificate in its one encoding, nothing after it.
    if (!der_or_pem.empty() && der_or_pem[0] == 0x30 &&
        !std::equal(der.begin(), der.end(), der_or_pem.begin(), der_or_pem.end()))
      return fail(errc::invalid_encoding);
    f.der.assign(der.begin(), der.end());
    const auto& spki = cert.subject_public_key_info();
    f.spki.assign(spki.begin(), spki.end());
    f.signature_oid = cert.signature_algorithm().get_oid().to_string();
    const auto ku = cert.constraints();
    f.has_key_usage = ku != Botan::NO_CONSTRAINTS;
    f.digital_signature = (ku & Botan::DIGITAL_SIGNATURE) != 0;
    f.is_ca = cert.is_CA_cert();
    f.not_before = to_time_point(cert.not_before());
    f.not_after = to_time_point(cert.not_after());
    const auto& san = cert.subject_alt_name();
    f.dns = san.get_attribute("DNS");
    f.uris = san.get_attribute("URI");
    read_other_names(cert, f.other_names);
    return f;
  });
}

// A SubjectPublicKeyInfo (DER) from DER or a PEM "PUBLIC KEY" block.
[[nodiscard]] inline result<byte_vector> public_key_info(bytes_view der_or_pem) noexcept {
  return guard([&]() -> result<byte_vector> {
    Botan::DataSource_Memory src(der_or_pem.data(), der_or_pem.size());
    const std::unique_ptr<Botan::Public_Key> key(Botan::X509::load_key(src));
    if (!key) return fail(errc::invalid_encoding);
    const auto der = key->subject_public_key();
    return byte_vector(der.begin(), der.end());
  });
}

[[nodiscard]] inline std::array<byte, 32> sha256(bytes_view in) {
  std::array<byte, 32> out{};
  auto h = Botan::HashFunction::create_or_throw("SHA-256");
  h->update(in.data(), in.size());
  h->final(out.data());
  return out;
}

// RFC 5280 path validation to the trust anchors at time `at`, SHA-256 only
// (TS-0003 §10.1.1). Returns the intersection of the validity of every
// certificate on the path.
// Thread safety: one thread at a time per object; distinct objects are independent.
class trust_store {
 public:
  [[nodiscard]] result<void> add(bytes_view der_or_pem) noexcept {
    return guard([&]() -> result<void> {
      Botan::DataSource_Memory src(der_or_pem.data(), der_or_pem.size());
      Botan::X509_Certificate cert(src);
      if (!cert.is_CA_cert()) return fail(errc::invalid_argument);
      store_->add_certificate(cert);
      return {};
    });
  }
  [[nodiscard]] result<validity> validate(bytes_view leaf_der, const std::vector<byte_vector>& intermediates,
                                          time_point at) const noexcept {
    return guard([&]() -> result<validity> {
      std::vector<Botan::X509_Certificate> chain;
      chain.emplace_back(std::vector<uint8_t>(leaf_der.begin(), leaf_der.end()));
      for (const auto& i : intermediates) chain.emplace_back(std::vector<uint8_t>(i.begin(), i.end()));
      const Botan::Path_Validation_Restrictions restrictions(false, 128, false, {"SHA-256"});
      const auto r = Botan::x509_path_validate(chain, restrictions, {store_.get()}, "", Botan::Usage_Type::UNSPECIFIED, at);
      if (!r.successful_validation()) {
        // Botan's own words for the first problem found (a static text).
        const std::string_view why = Botan::to_string(r.result());
        switch (r.result()) {
          case Botan::Certificate_Status_Code::CERT_HAS_EXPIRED: return fail(errc::expired, "certificate path", why);
          case Botan::Certificate_Status_Code::CERT_NOT_YET_VALID: return fail(errc::not_yet_valid, "certificate path", why);
          case Botan::Certificate_Status_Code::NAME_CONSTRAINT_ERROR: return fail(errc::name_mismatch, "certificate path", why);
          case Botan::Certificate_Status_Code::CERT_IS_REVOKED: return fail(errc::revoked, "certificate path", why);
          default: return fail(errc::untrusted, "certificate path", why);
        }
      }
      time_point nb = time_point::min(), na = time_point::max();
      for (const auto& c : r.cert_path()) {
        nb = std::max(nb, to_time_point(c->not_before()));
        na = std::min(na, to_time_point(c->not_after()));
      }
      return validity::make(nb, na);
    });
  }
  [[nodiscard]] bool empty() const { return store_->all_subjects().empty(); }
  // For Botan's TLS server: the names it lists in a CertificateRequest.
  [[nodiscard]] Botan::Certificate_Store* botan_store() const noexcept { return store_.get(); }

 private:
  std::shared_ptr<Botan::Certificate_Store_In_Memory> store_ = std::make_shared<Botan::Certificate_Store_In_Memory>();
};

}  // namespace m2msec::backend::x509
