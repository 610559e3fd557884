// m2msec: the Botan 2 pieces JOSE needs beyond the primitives: RSA keys to and
// from their JWK integers (RFC 7518 §6.3), and the Concat KDF of ECDH-ES
// (RFC 7518 §4.6.2, NIST SP 800-56A §5.8.1 with SHA-256).
#pragma once

#include <botan/bigint.h>
#include <botan/hash.h>
#include <botan/kdf.h>
#include <botan/pkcs8.h>
#include <botan/rsa.h>
#include <botan/x509_key.h>

#include <algorithm>
#include <cstring>

#include "m2msec/backend/botan/common.hpp"
#include "m2msec/backend/botan/signature.hpp"
#include "m2msec/core/secret.hpp"

namespace m2msec::backend::botan_jose {

// RFC 7518 §3.3, §4.3: 2048 bits or more; m2msec's buffers stop at 4096.
inline constexpr std::size_t rsa_min_bits = 2048, rsa_max_bits = 8 * crypto::rsa_max_modulus_bytes;

// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct rsa_public_parts {
  byte_vector n, e;
};
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct rsa_private_parts {
  byte_vector n, e;
  secret d, p, q, dp, dq, qi;
};

namespace detail {
inline Botan::BigInt big(bytes_view b) { return Botan::BigInt(b.data(), b.size()); }
inline byte_vector public_bytes(const Botan::BigInt& v) { return Botan::BigInt::encode(v); }
inline secret secret_bytes(const Botan::BigInt& v) {
  const auto enc = Botan::BigInt::encode_locked(v);  // wiped by its allocator
  auto s = secret::copy_of(enc);
  if (!s) throw std::bad_alloc();
  return std::move(*s);
}
inline result<void> check_size(const Botan::BigInt& n) {
  if (n.bits() < rsa_min_bits || n.bits() > rsa_max_bits) return fail(errc::invalid_key_size);
  return {};
}
}  // namespace detail

// DER SubjectPublicKeyInfo from the modulus and exponent.
[[nodiscard]] inline result<byte_vector> rsa_spki(bytes_view n, bytes_view e) noexcept {
  return botan_detail::guard(
      [&]() -> result<byte_vector> {
        const Botan::BigInt bn = detail::big(n), be = detail::big(e);
        if (auto r = detail::check_size(bn); !r) return fail(r.error());
        if (be < 3 || be.is_even()) return fail(errc::invalid_key);
        return Botan::X509::BER_encode(Botan::RSA_PublicKey(bn, be));
      },
      errc::invalid_key);
}

// DER PKCS#8 from n, e, d, p and q, after checking they make one key.
[[nodiscard]] inline result<secret> rsa_pkcs8(bytes_view n, bytes_view e, bytes_view d, bytes_view p,
                                              bytes_view q) noexcept {
  return botan_detail::guard(
      [&]() -> result<secret> {
        const Botan::BigInt bn = detail::big(n);
        if (auto r = detail::check_size(bn); !r) return fail(r.error());
        const Botan::RSA_PrivateKey key(detail::big(p), detail::big(q), detail::big(e), detail::big(d), bn);
        if (key.get_n() != bn || !key.check_key(botan_detail::rng(), false)) return fail(errc::invalid_key);
        return secret::copy_of(Botan::PKCS8::BER_encode(key));
      },
      errc::invalid_key);
}

[[nodiscard]] inline result<rsa_public_parts> rsa_public_parts_of(bytes_view spki) noexcept {
  return botan_detail::guard(
      [&]() -> result<rsa_public_parts> {
        const auto key = botan_detail::rsa_detail::rsa_public(spki);
        const auto& rsa = dynamic_cast<const Botan::RSA_PublicKey&>(*key);
        return rsa_public_parts{detail::public_bytes(rsa.get_n()), detail::public_bytes(rsa.get_e())};
      },
      errc::invalid_key);
}

[[nodiscard]] inline result<rsa_private_parts> rsa_private_parts_of(bytes_view pkcs8) noexcept {
  return botan_detail::guard(
      [&]() -> result<rsa_private_parts> {
        const auto key = botan_detail::rsa_detail::rsa_private(pkcs8);
        const auto& rsa = dynamic_cast<const Botan::RSA_PrivateKey&>(*key);
        return rsa_private_parts{detail::public_bytes(rsa.get_n()), detail::public_bytes(rsa.get_e()),
                                 detail::secret_bytes(rsa.get_d()),  detail::secret_bytes(rsa.get_p()),
                                 detail::secret_bytes(rsa.get_q()),  detail::secret_bytes(rsa.get_d1()),
                                 detail::secret_bytes(rsa.get_d2()), detail::secret_bytes(rsa.get_c())};
      },
      errc::invalid_key);
}

// The public key (SPKI) of a private key (PKCS#8).
[[nodiscard]] inline result<byte_vector> rsa_public_of(bytes_view pkcs8) noexcept {
  return botan_detail::guard(
      [&]() -> result<byte_vector> {
        const auto key = botan_detail::rsa_detail::rsa_private(pkcs8);
        return Botan::X509::BER_encode(*key);
      },
      errc::invalid_key);
}

// RFC 7518 §4.6.2: Concat KDF (NIST SP 800-56A §5.8.1), SHA-256: out = first bytes of
// H(1 || Z || OtherInfo) || H(2 || Z || OtherInfo) || ..., counters big-endian.
[[nodiscard]] inline result<void> concat_kdf_sha256(bytes_view z, bytes_view other_info, mutable_bytes out) noexcept {
  return botan_detail::guard([&]() -> result<void> {
    // Botan's SP800-56A(SHA-256) is that KDF: Hash(counter || Z || label), the
    // label being OtherInfo; it ignores the salt.
    const auto kdf = Botan::KDF::create_or_throw("SP800-56A(SHA-256)");
    kdf->kdf(out.data(), out.size(), z.data(), z.size(), nullptr, 0, other_info.data(), other_info.size());
    return {};
  });
}

}  // namespace m2msec::backend::botan_jose
