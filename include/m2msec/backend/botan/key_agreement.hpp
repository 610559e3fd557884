// m2msec: ECDH on P-256/384/521 and X25519 on Botan 2.
#pragma once

#include <botan/asn1_obj.h>
#include <botan/ber_dec.h>
#include <botan/bigint.h>
#include <botan/curve25519.h>
#include <botan/ec_group.h>
#include <botan/ecc_key.h>
#include <botan/x509_key.h>

#include <memory>

#include "m2msec/backend/botan/common.hpp"
#include "m2msec/backend/botan/random.hpp"
#include "m2msec/backend/key_agreement_adapter.hpp"
#include "m2msec/core/ct.hpp"
#include "m2msec/crypto/concepts.hpp"

namespace m2msec::backend::botan_detail {

template <class Curve>
[[nodiscard]] inline const Botan::EC_Group& group() {
  static const Botan::EC_Group g{std::string(Curve::curve)};
  return g;
}

// A scalar in [1, n): fixed-width big-endian, exactly private_key_size bytes.
template <class Curve>
[[nodiscard]] inline result<Botan::BigInt> scalar(bytes_view private_key) {
  if (private_key.size() != Curve::private_key_size) return fail(errc::invalid_key_size);
  Botan::BigInt x(private_key.data(), private_key.size());
  if (x.is_zero() || x >= group<Curve>().get_order()) return fail(errc::invalid_key);
  return x;
}

// An uncompressed SEC1 point on the curve, not the identity.
template <class Curve>
[[nodiscard]] inline result<Botan::PointGFp> point(bytes_view public_key) {
  if (public_key.size() != Curve::public_key_size || public_key[0] != 0x04) return fail(errc::invalid_key);
  Botan::PointGFp p = group<Curve>().OS2ECP(public_key.data(), public_key.size());
  if (p.is_zero() || !p.on_the_curve()) return fail(errc::invalid_key);
  return p;
}

template <class Curve>
inline void encode_point(const Botan::PointGFp& p, mutable_bytes out) {
  const auto enc = p.encode(Botan::PointGFp::UNCOMPRESSED);
  std::memcpy(out.data(), enc.data(), Curve::public_key_size);
}

}  // namespace m2msec::backend::botan_detail

namespace m2msec::crypto {

template <std::size_t FieldBytes>
struct key_agreement<ecdh<FieldBytes>, backend::botan> {
  using curve = ecdh<FieldBytes>;
  static constexpr std::size_t private_key_size = curve::private_key_size,
                               public_key_size = curve::public_key_size, shared_size = curve::shared_size;

  [[nodiscard]] static result<keypair> generate() {
    return backend::botan_detail::guard([&]() -> result<keypair> {
      const auto& g = backend::botan_detail::group<curve>();
      const Botan::BigInt x = g.random_scalar(backend::botan_detail::rng());
      auto sk = secret::allocate(private_key_size);
      if (!sk) return fail(sk.error());
      x.binary_encode(sk->expose().data(), private_key_size);
      byte_vector pk(public_key_size);
      if (auto r = public_key(sk->expose(), pk); !r) return fail(r.error());
      return keypair{std::move(*sk), std::move(pk)};
    });
  }

  [[nodiscard]] static result<void> public_key(bytes_view private_key, mutable_bytes out) noexcept {
    if (out.size() < public_key_size) return fail(errc::buffer_too_small);
    return backend::botan_detail::guard([&]() -> result<void> {
      auto x = backend::botan_detail::scalar<curve>(private_key);
      if (!x) return fail(x.error());
      std::vector<Botan::BigInt> ws;
      const auto& g = backend::botan_detail::group<curve>();
      backend::botan_detail::encode_point<curve>(g.blinded_base_point_multiply(*x, backend::botan_detail::rng(), ws),
                                                 out);
      return {};
    });
  }

  // SEC 1 §3.3.1 ECDH: the x-coordinate of x * Q, after checking Q is on the curve.
  [[nodiscard]] static result<void> agree(bytes_view private_key, bytes_view peer_public,
                                          mutable_bytes shared) noexcept {
    if (shared.size() < shared_size) return fail(errc::buffer_too_small);
    return backend::botan_detail::guard(
        [&]() -> result<void> {
          auto x = backend::botan_detail::scalar<curve>(private_key);
          if (!x) return fail(x.error());
          auto q = backend::botan_detail::point<curve>(peer_public);
          if (!q) return fail(q.error());
          std::vector<Botan::BigInt> ws;
          const auto s = backend::botan_detail::group<curve>().blinded_var_point_multiply(
              *q, *x, backend::botan_detail::rng(), ws);
          if (s.is_zero()) return fail(errc::weak_shared_secret);
          Botan::BigInt::encode_1363(shared.data(), shared_size, s.get_affine_x());
          return {};
        },
        errc::invalid_key);
  }
};

// The public key inside a DER SubjectPublicKeyInfo (a certificate's key), as an
// uncompressed point; errc::invalid_key when it is not a valid point of Curve.
// RFC 5480 §2.1.1: the curve must be named by its OID; explicit parameters are
// refused, and so is any encoding other than the one DER form with an
// uncompressed point (the key must re-encode to exactly the input bytes).
template <class Curve>
[[nodiscard]] inline result<byte_vector> ec_public_key_from_spki(bytes_view der) noexcept {
  return backend::botan_detail::guard(
      [&]() -> result<byte_vector> {
        const std::vector<byte> spki(der.begin(), der.end());
        Botan::AlgorithmIdentifier alg;
        Botan::BER_Decoder(spki).start_cons(Botan::SEQUENCE).decode(alg);
        Botan::OID named;
        Botan::BER_Decoder(alg.get_parameters()).decode(named).verify_end();
        if (named != backend::botan_detail::group<Curve>().get_curve_oid()) return fail(errc::invalid_key);
        std::unique_ptr<Botan::Public_Key> key(Botan::X509::load_key(spki));
        const auto* ec = dynamic_cast<const Botan::EC_PublicKey*>(key.get());
        if (ec == nullptr || (ec->algo_name() != "ECDH" && ec->algo_name() != "ECDSA")) return fail(errc::invalid_key);
        if (ec->domain() != backend::botan_detail::group<Curve>()) return fail(errc::invalid_key);
        if (!ec->public_point().on_the_curve() || ec->public_point().is_zero()) return fail(errc::invalid_key);
        if (Botan::X509::BER_encode(*key) != spki) return fail(errc::invalid_encoding);
        byte_vector out(Curve::public_key_size);
        backend::botan_detail::encode_point<Curve>(ec->public_point(), out);
        return out;
      },
      errc::invalid_key);
}

template <>
struct key_agreement<x25519, backend::botan> {
  static constexpr std::size_t private_key_size = x25519::private_key_size, public_key_size = x25519::public_key_size,
                               shared_size = x25519::shared_size;
  using checks = key_agreement_adapter<private_key_size, public_key_size, shared_size>;

  [[nodiscard]] static result<keypair> generate() { return random_keypair<key_agreement, rng<backend::botan>>(); }

  [[nodiscard]] static result<void> public_key(bytes_view private_key, mutable_bytes out) noexcept {
    if (auto r = checks::check_public_key(private_key, out); !r) return r;
    return backend::botan_detail::guard([&]() -> result<void> {
      Botan::curve25519_basepoint(out.data(), private_key.data());
      return {};
    });
  }

  // RFC 7748 §6.1: an all-zero shared secret (a low-order peer key) is refused.
  [[nodiscard]] static result<void> agree(bytes_view private_key, bytes_view peer_public,
                                          mutable_bytes shared) noexcept {
    if (auto r = checks::check_agree(private_key, peer_public, shared); !r) return r;
    return backend::botan_detail::guard([&]() -> result<void> {
      Botan::curve25519_donna(shared.data(), private_key.data(), peer_public.data());
      if (ct::is_zero(shared.first(shared_size))) return fail(errc::weak_shared_secret);
      return {};
    });
  }
};

static_assert(key_agreement_policy<key_agreement<ecdh_p256, backend::botan>>);
static_assert(key_agreement_policy<key_agreement<ecdh_p384, backend::botan>>);
static_assert(key_agreement_policy<key_agreement<ecdh_p521, backend::botan>>);
static_assert(key_agreement_policy<key_agreement<x25519, backend::botan>>);

}  // namespace m2msec::crypto
