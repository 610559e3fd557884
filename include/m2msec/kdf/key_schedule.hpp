// m2msec: the TS-0003 §10.3 key schedule, on libsodium's HMAC-SHA-256 by default.
// Each derivation writes into a caller's span (no allocation) or returns a secret.
// The end-to-end key chain, whose hash is a policy, is in kdf/ke2e.hpp.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "m2msec/backend/mac_once.hpp"
#include "m2msec/backend/sodium/mac.hpp"
#include "m2msec/core/clock.hpp"
#include "m2msec/core/endian.hpp"
#include "m2msec/core/secret.hpp"
#include "m2msec/identity/credential_id.hpp"
#include "m2msec/identity/identifiers.hpp"
#include "m2msec/identity/key_id.hpp"

namespace m2msec {

// TS-0003 §10.3.1: RFC 5705 exporter labels.
namespace exporter_label {
inline constexpr std::string_view bootstrap = "EXPORTER-oneM2M-Bootstrap";   // MEF handshake -> RelativeKeID, Ke
inline constexpr std::string_view connection = "EXPORTER-oneM2M-Connection"; // MAF handshake -> KcID, Kc
inline constexpr std::string_view escertke = "EXPORTER-oneM2M-ESCertKE";     // ESCertKE -> pairwiseE2EKeyID, key
}  // namespace exporter_label

// TS-0003 §10.3.2, §10.3.3, §10.3.7, §10.3.6, §10.3.8: the ASCII labels.
namespace kdf_label {
inline constexpr std::string_view km = "oneM2M Enrolment Key to Master Credential derivation";
inline constexpr std::string_view kpsa = "oneM2M Enrolment Key to Provisioned Secure Connection Key derivation";
inline constexpr std::string_view usage_constrained =
    "oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation";
inline constexpr std::string_view e2e_msg_auth = "E2E Message Authentication Key";
inline constexpr std::string_view e2e_msg_conf = "E2E Message Confidentiality Key";
inline constexpr std::string_view e2e_att_auth = "E2E Attribute Authenticity Key";
inline constexpr std::string_view e2e_att_conf = "E2E Attribute Confidentiality Key";
inline constexpr std::string_view session_esprim = "oneM2M HMAC-SHA256 sessionESPrimKey derivation algorithm";
// Decision A7: TS-0003 §8.4.2 C.6a.4 derives the MAF pairwiseESPrimKey "from Kc and a
// reserved string" that it never defines. This label is m2msec's, not oneM2M's.
inline constexpr std::string_view maf_pairwise_esprim = "m2msec: oneM2M MAF Kc to pairwiseESPrimKey derivation";
}  // namespace kdf_label

// TS-0003 §10.3.1: the exporter output is 48 bytes, with no context (decision A2).
inline constexpr std::size_t exporter_size = 48;
inline constexpr std::size_t derived_key_size = 32;
// Decision A1: "16 most significant bytes" are the first 16 (big-endian reading),
// the "32 least significant" the last 32.
inline constexpr std::size_t exporter_id_offset = 0, exporter_id_size = 16;
inline constexpr std::size_t exporter_key_offset = 16;

namespace ks_detail {
inline bytes_view text(std::string_view s) noexcept { return as_bytes(s); }
inline result<secret> to_secret(auto&& derive) {
  auto s = secret::allocate(derived_key_size);
  if (!s) return fail(s.error());
  if (auto r = derive(s->expose()); !r) return fail(r.error());
  return std::move(*s);
}
template <class Backend>
inline result<void> hmac256(bytes_view key, std::initializer_list<bytes_view> parts, mutable_bytes out) {
  if (key.size() != derived_key_size) return fail(errc::invalid_key_size);
  if (out.size() != derived_key_size) return fail(errc::invalid_argument);
  return crypto::mac_once<crypto::hmac_sha256, Backend>(key, parts, out);
}
}  // namespace ks_detail

// The two parts of one exporter output (decision A1).
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct exporter_parts {
  std::array<byte, exporter_id_size> relative_id;  // RelativeKeID, KcID or pairwiseE2EKeyID
  secret key;                                      // Ke, Kc or pairwiseE2EKey
};

// TS-0003 §10.3.1: split a 48-byte exporter output into identifier and key.
[[nodiscard]] inline result<exporter_parts> split_exporter(bytes_view out) {
  if (out.size() != exporter_size) return fail(errc::invalid_argument);
  auto key = secret::copy_of(out.subspan(exporter_key_offset));
  if (!key) return fail(key.error());
  exporter_parts p{{}, std::move(*key)};
  std::memcpy(p.relative_id.data(), out.data() + exporter_id_offset, exporter_id_size);
  return p;
}

// TS-0003 §10.3.2: Km = HMAC-SHA-256(Ke, "oneM2M Enrolment Key to Master Credential derivation" || MAF-ID)
template <class Backend = backend::sodium>
[[nodiscard]] result<void> derive_km(bytes_view ke, std::string_view maf_id, mutable_bytes out) {
  return ks_detail::hmac256<Backend>(ke, {ks_detail::text(kdf_label::km), ks_detail::text(maf_id)}, out);
}
// The MAF-ID is the MAF's FQDN.
template <class Backend = backend::sodium>
[[nodiscard]] result<secret> derive_km(const secret& ke, const fqdn& maf) {
  return ks_detail::to_secret([&](mutable_bytes o) { return derive_km<Backend>(ke.expose(), maf.str(), o); });
}

// TS-0003 §10.3.3: Kpsa = HMAC-SHA-256(Ke, "oneM2M Enrolment Key to Provisioned Secure Connection Key derivation" || Enrolee-B-ID)
template <class Backend = backend::sodium>
[[nodiscard]] result<void> derive_kpsa(bytes_view ke, std::string_view enrolee_b_id, mutable_bytes out) {
  return ks_detail::hmac256<Backend>(ke, {ks_detail::text(kdf_label::kpsa), ks_detail::text(enrolee_b_id)}, out);
}
// Enrolee-B-ID is the absolute CSE-ID or AE-ID (decision: absolute, so that it is
// unique across Service Providers); an SP-relative one is errc::invalid_argument.
template <class Backend = backend::sodium, class Id>
  requires std::same_as<Id, cse_id> || std::same_as<Id, ae_id>
[[nodiscard]] result<secret> derive_kpsa(const secret& ke, const Id& enrolee_b) {
  if (!enrolee_b.is_absolute()) return fail(errc::invalid_argument);
  return ks_detail::to_secret(
      [&](mutable_bytes o) { return derive_kpsa<Backend>(ke.expose(), enrolee_b.str(), o); });
}

// TS-0003 §10.3.7: K = HMAC-SHA-256(Ke, "oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation" || SUID || Enrolment-Target-ID)
// Decision A4: the SUID as its two ASCII digits ("22").
template <class Backend = backend::sodium>
[[nodiscard]] result<void> derive_usage_constrained(bytes_view ke, suid s, std::string_view target_fqdn,
                                                    mutable_bytes out) {
  const int v = static_cast<int>(s);
  const char digits[2] = {static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)};
  return ks_detail::hmac256<Backend>(
      ke, {ks_detail::text(kdf_label::usage_constrained), ks_detail::text({digits, 2}), ks_detail::text(target_fqdn)},
      out);
}
// The Enrolment Target as an FQDN (for a CSE, its public domain name); in lower case, as fqdn keeps it.
template <class Backend = backend::sodium>
[[nodiscard]] result<secret> derive_usage_constrained(const secret& ke, suid s, const fqdn& target) {
  return ks_detail::to_secret(
      [&](mutable_bytes o) { return derive_usage_constrained<Backend>(ke.expose(), s, target.str(), o); });
}

// TS-0004 §6.3.5.50/51: an ESPrim rand object, originator's or receiver's.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct esprim_rand_object {
  static constexpr std::size_t value_size = 16;  // esprimRandValue: 128 bits
  std::string id;                                // esprimRandID (esri)
  std::array<byte, value_size> value{};          // esprimRandValue (esrv)
  time_point expiry;                             // esprimRandExpiry (esrx)
  std::vector<std::uint8_t> key_gen_alg_ids;     // esk (one, originator) or esks (list, receiver)
  std::vector<std::uint8_t> protocol_and_alg_ids;// espa
};

// Decision A6: the bytes of a rand object in the sessionESPrimKey input. Every
// field, in the order above, each with its length, so that no two objects share
// an encoding and a change of any field changes the key:
//   u16 len(id) | id | value (16) | i64 expiry, seconds since 1970 UTC |
//   u8 n | n key-generation ids | u8 m | m protocol-and-algorithm ids     (big-endian)
// Expiry is in whole seconds, the resolution of m2m:absRelTimestamp.
inline constexpr std::string_view esprim_rand_encoding = "m2msec-esprim-rand-v1";
inline constexpr std::size_t max_rand_object_encoding =
    2 + max_identifier_size + esprim_rand_object::value_size + 8 + 1 + 255 + 1 + 255;

// Writes the encoding into `out` (at least max_rand_object_encoding bytes are
// always enough); returns its length.
[[nodiscard]] inline result<std::size_t> encode_rand_object(const esprim_rand_object& o, mutable_bytes out) noexcept {
  if (o.id.empty() || o.id.size() > max_identifier_size || o.key_gen_alg_ids.size() > 255 ||
      o.protocol_and_alg_ids.size() > 255)
    return fail(errc::invalid_argument);
  const std::size_t n = 2 + o.id.size() + o.value.size() + 8 + 1 + o.key_gen_alg_ids.size() + 1 +
                        o.protocol_and_alg_ids.size();
  if (out.size() < n) return fail(errc::buffer_too_small);
  byte* p = out.data();
  store_be(p, o.id.size(), 2);
  p += 2;
  p = std::copy(o.id.begin(), o.id.end(), p);
  p = std::copy(o.value.begin(), o.value.end(), p);
  const auto secs = static_cast<std::uint64_t>(
      std::chrono::floor<std::chrono::seconds>(o.expiry.time_since_epoch()).count());
  store_be(p, secs, 8);
  p += 8;
  *p++ = static_cast<byte>(o.key_gen_alg_ids.size());
  p = std::copy(o.key_gen_alg_ids.begin(), o.key_gen_alg_ids.end(), p);
  *p++ = static_cast<byte>(o.protocol_and_alg_ids.size());
  p = std::copy(o.protocol_and_alg_ids.begin(), o.protocol_and_alg_ids.end(), p);
  return static_cast<std::size_t>(p - out.data());
}
[[nodiscard]] inline result<byte_vector> encode_rand_object(const esprim_rand_object& o) {
  byte_vector b(max_rand_object_encoding);
  auto n = encode_rand_object(o, b);
  if (!n) return fail(n.error());
  b.resize(*n);
  return b;
}

// TS-0003 §10.3.8: sessionESPrimKey = HMAC-SHA256(pairwiseESPrimKey, receiverESPrimRandObject || originatorESPrimRandObject || "oneM2M HMAC-SHA256 sessionESPrimKey derivation algorithm")
template <class Backend = backend::sodium>
[[nodiscard]] result<void> derive_session_esprim_key(bytes_view pairwise, const esprim_rand_object& receiver,
                                                     const esprim_rand_object& originator, mutable_bytes out) {
  byte r[max_rand_object_encoding], o[max_rand_object_encoding];  // public values: no wipe needed
  auto rn = encode_rand_object(receiver, r);
  if (!rn) return fail(rn.error());
  auto on = encode_rand_object(originator, o);
  if (!on) return fail(on.error());
  return ks_detail::hmac256<Backend>(pairwise, {{r, *rn}, {o, *on}, ks_detail::text(kdf_label::session_esprim)}, out);
}
template <class Backend = backend::sodium>
[[nodiscard]] result<secret> derive_session_esprim_key(const secret& pairwise, const esprim_rand_object& receiver,
                                                       const esprim_rand_object& originator) {
  return ks_detail::to_secret([&](mutable_bytes o) {
    return derive_session_esprim_key<Backend>(pairwise.expose(), receiver, originator, o);
  });
}

// Decision A7: the MAF-case pairwiseESPrimKey,
//   HMAC-SHA-256(Kc, "m2msec: oneM2M MAF Kc to pairwiseESPrimKey derivation" || KcID key identifier)
// The identifier (hexBinary(KcID)@MAF-FQDN) binds the key to the MAF and to KcID,
// which TS-0003 §8.4.2 makes the pairwiseESPrimKeyID.
template <class Backend = backend::sodium>
[[nodiscard]] result<void> derive_maf_pairwise_esprim_key(bytes_view kc, std::string_view kc_key_id, mutable_bytes out) {
  return ks_detail::hmac256<Backend>(kc, {ks_detail::text(kdf_label::maf_pairwise_esprim), ks_detail::text(kc_key_id)},
                                     out);
}
template <class Backend = backend::sodium>
[[nodiscard]] result<secret> derive_maf_pairwise_esprim_key(const secret& kc, const kc_id& id) {
  return ks_detail::to_secret(
      [&](mutable_bytes o) { return derive_maf_pairwise_esprim_key<Backend>(kc.expose(), id.str(), o); });
}

}  // namespace m2msec
