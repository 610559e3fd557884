// m2msec: JWE key management (RFC 7518 §4): the CEK for each recipient, made
// (dir, ECDH-ES) or wrapped (A*KW, ECDH-ES+A*KW, RSA-OAEP-256) by the sender and
// recovered by the recipient; ECDH-ES's Concat KDF.
#pragma once

#include <optional>
#include <string_view>

#include "m2msec/backend/keywrap.hpp"
#include "m2msec/core/bytes.hpp"
#include "m2msec/core/endian.hpp"
#include "m2msec/jose/jwe_types.hpp"
#include "m2msec/jose/jwk.hpp"

namespace m2msec::jose {

namespace detail {


// RFC 7518 §4.6.2: the key from Z, for ECDH-ES (AlgorithmID = enc, the CEK)
// or ECDH-ES+A*KW (AlgorithmID = alg, the KEK).
[[nodiscard]] inline result<void> ecdh_es_kdf(alg a, enc e, bytes_view z, std::optional<std::string_view> apu,
                                              std::optional<std::string_view> apv, mutable_bytes out) {
  byte_vector info;
  const std::string_view id = a == alg::ecdh_es ? to_string(e) : to_string(a);
  append_be(info, id.size(), 4);
  info.insert(info.end(), id.begin(), id.end());
  for (const auto& party : {apu, apv}) {
    byte_vector v;
    if (party) {
      if (party->size() > 1024) return fail(errc::message_too_long);
      auto d = fast_base64url_decode(*party);
      if (!d) return fail(d.error());
      v = std::move(*d);
    }
    append_be(info, v.size(), 4);
    info.insert(info.end(), v.begin(), v.end());
  }
  append_be(info, out.size() * 8, 4);
  return backend::botan_jose::concat_kdf_sha256(z, info, out);
}

template <class F>
[[nodiscard]] decltype(auto) with_kw(std::size_t size, F&& f) {
  switch (size) {
    case 16: return f.template operator()<crypto::keywrap<crypto::aes128_kw>>();
    case 24: return f.template operator()<crypto::keywrap<crypto::aes192_kw>>();
    default: return f.template operator()<crypto::keywrap<crypto::aes256_kw>>();
  }
}
[[nodiscard]] inline result<byte_vector> kw_wrap(bytes_view kek, bytes_view cek) {
  return with_kw(kek.size(), [&]<class W>() -> result<byte_vector> {
    auto w = W::create(kek);
    if (!w) return fail(w.error());
    byte_vector out(cek.size() + W::overhead);
    auto n = w->wrap(out, cek);
    if (!n) return fail(n.error());
    return out;
  });
}
[[nodiscard]] inline result<void> kw_unwrap(bytes_view kek, bytes_view wrapped, wiped<32>& cek) {
  if (wrapped.size() != cek.size + 8) return fail(errc::auth_failed);
  return with_kw(kek.size(), [&]<class W>() -> result<void> {
    auto w = W::create(kek);
    if (!w) return fail(w.error());
    auto n = w->unwrap(cek.span(), wrapped);
    if (!n || *n != cek.size) return fail(errc::auth_failed);
    return {};
  });
}

// The sender's half of ECDH-ES: a fresh key on the recipient's curve, its
// public JWK for "epk", and Z.
[[nodiscard]] inline result<json> ecdh_sender(const jwk& to, wiped<66>& z) {
  return jwk_detail::with_curve(to.crv(), [&]<class C>(C) -> result<json> {
    using ka = crypto::key_agreement<C>;
    auto eph = ka::generate();
    if (!eph) return fail(eph.error());
    z.size = ka::shared_size;
    if (auto r = ka::agree(eph->private_key.expose(), to.public_part(), z.span()); !r) return fail(r.error());
    auto epk = jwk::ec(to.crv(), std::move(eph->public_key), std::nullopt, alg_set{alg::ecdh_es});
    if (!epk) return fail(epk.error());
    json j = epk->to_json();
    j.erase("alg");
    return j;
  });
}

// The "apu" and "apv" strings of a header, for the Concat KDF.
template <class Header>
[[nodiscard]] inline result<std::array<std::optional<std::string_view>, 2>> parties(const Header& h) {
  auto apu = string_member(h, "apu");
  auto apv = string_member(h, "apv");
  if (!apu) return fail(apu.error());
  if (!apv) return fail(apv.error());
  return std::array{*apu, *apv};
}

// RFC 7518 §4.6.1.1: "epk" is a public EC key on a curve m2msec has, and on it.
[[nodiscard]] inline result<jwk> parse_epk(const header& joint, alg a) {
  if (joint.type_of("epk") != header::kind::object) return fail(errc::invalid_encoding);
  json copy = value(joint, "epk");
  if (copy.contains("d")) return fail(errc::invalid_encoding);
  copy.erase("alg");
  copy.erase("use");
  auto epk = jwk::from_json(copy, alg_set{a});
  if (!epk) return fail(epk.error());
  if (epk->type() != kty::ec) return fail(errc::invalid_key);
  return epk;
}

}  // namespace detail

// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct epk_check {
  [[nodiscard]] static result<void> check(const header& joint, alg a) {
    auto epk = detail::parse_epk(joint, a);
    if (!epk) return fail(epk.error());
    return {};
  }
};

namespace detail {

// The recipient's half: Z from our private key and the sender's "epk".
[[nodiscard]] inline result<void> ecdh_recipient(const jwk& ours, const header& joint, alg a, wiped<66>& z) {
  auto epk = parse_epk(joint, a);
  if (!epk) return fail(epk.error());
  if (epk->crv() != ours.crv()) return fail(errc::invalid_key);
  return jwk_detail::with_curve(ours.crv(), [&]<class C>(C) -> result<void> {
    using ka = crypto::key_agreement<C>;
    z.size = ka::shared_size;
    return ka::agree(ours.private_part().expose(), epk->public_part(), z.span());
  });
}

// Sender: makes the CEK (direct algorithms) or wraps it (the others) for one
// recipient; members the recipient needs ("epk") go into `header`.
[[nodiscard]] inline result<byte_vector> key_for_recipient(const jwk& key, alg a, enc e, wiped<32>& cek,
                                                           json& header, const json& joint) {
  switch (a) {
    case alg::dir:
      if (key.private_part().size() != cek.size) return fail(errc::invalid_key_size);
      std::memcpy(cek.bytes.data(), key.private_part().expose().data(), cek.size);
      return byte_vector{};
    case alg::a128kw: case alg::a192kw: case alg::a256kw:
      return kw_wrap(key.private_part().expose(), cek.view());
    case alg::rsa_oaep_256: {
      byte_vector out(crypto::rsa_max_modulus_bytes);
      auto n = crypto::key_encryption<crypto::rsa_oaep_sha256>::encrypt(key.public_part(), {}, cek.view(), out);
      if (!n) return fail(n.error());
      out.resize(*n);
      return out;
    }
    default: {  // ECDH-ES, ECDH-ES+A*KW
      wiped<66> z;
      auto epk = ecdh_sender(key, z);
      if (!epk) return fail(epk.error());
      header["epk"] = std::move(*epk);
      auto p = parties(joint);
      if (!p) return fail(p.error());
      if (a == alg::ecdh_es) {
        if (auto r = ecdh_es_kdf(a, e, z.view(), (*p)[0], (*p)[1], cek.span()); !r) return fail(r.error());
        return byte_vector{};
      }
      wiped<32> kek;
      kek.size = wrap_key_size(a);
      if (auto r = ecdh_es_kdf(a, e, z.view(), (*p)[0], (*p)[1], kek.span()); !r) return fail(r.error());
      return kw_wrap(kek.view(), cek.view());
    }
  }
}

// Recipient: the CEK from this recipient's encrypted key, or an error.
[[nodiscard]] inline result<void> cek_for_recipient(const jwk& key, const jwe_recipient& r, enc e, wiped<32>& cek) {
  cek.size = key_size(e);
  switch (r.algorithm) {
    case alg::dir:
      if (key.private_part().size() != cek.size) return fail(errc::auth_failed);
      std::memcpy(cek.bytes.data(), key.private_part().expose().data(), cek.size);
      return {};
    case alg::a128kw: case alg::a192kw: case alg::a256kw:
      return kw_unwrap(key.private_part().expose(), r.encrypted_key, cek);
    case alg::rsa_oaep_256: {
      wiped<crypto::rsa_max_modulus_bytes> out;
      out.size = out.bytes.size();
      auto n = crypto::key_encryption<crypto::rsa_oaep_sha256>::decrypt(key.private_part().expose(), {},
                                                                        r.encrypted_key, out.span());
      if (!n || *n != cek.size) return fail(errc::auth_failed);
      std::memcpy(cek.bytes.data(), out.bytes.data(), cek.size);
      return {};
    }
    default: {
      wiped<66> z;
      if (auto z_ok = ecdh_recipient(key, r.header, r.algorithm, z); !z_ok) return fail(z_ok.error());
      auto p = parties(r.header);
      if (!p) return fail(p.error());
      if (r.algorithm == alg::ecdh_es) return ecdh_es_kdf(r.algorithm, e, z.view(), (*p)[0], (*p)[1], cek.span());
      wiped<32> kek;
      kek.size = wrap_key_size(r.algorithm);
      if (auto k = ecdh_es_kdf(r.algorithm, e, z.view(), (*p)[0], (*p)[1], kek.span()); !k) return fail(k.error());
      return kw_unwrap(kek.view(), r.encrypted_key, cek);
    }
  }
}


}  // namespace detail

}  // namespace m2msec::jose
