// m2msec: JSON Web Keys (RFC 7517, RFC 7518 §6) for every key type JOSE uses in
// oneM2M: "oct" (dir, A*KW, HS*), "EC" P-256/384/521 (ECDH-ES*, ES*) and "RSA"
// (RSA-OAEP-256, RS*). Each key carries the set of algorithms it may be used
// with, fixed when it is made: a header never chooses what a key is for.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "m2msec/backend/botan/jose.hpp"
#include "m2msec/core/encoding.hpp"
#include "m2msec/backend/key_agreement.hpp"
#include "m2msec/backend/mac.hpp"
#include "m2msec/backend/random.hpp"
#include "m2msec/backend/signature.hpp"
#include "m2msec/jose/algorithms.hpp"
#include "m2msec/jose/json.hpp"
#include "m2msec/jose/jwk_members.hpp"
#include "m2msec/jose/refusal.hpp"

namespace m2msec::jose {

enum class kty : std::uint8_t { oct, ec, rsa };
enum class curve : std::uint8_t { p256, p384, p521 };

// The size of a coordinate or private scalar: the curve's tag says it.
[[nodiscard]] constexpr std::size_t field_size(curve c) noexcept {
  return c == curve::p256   ? crypto::ecdh_p256::private_key_size
         : c == curve::p384 ? crypto::ecdh_p384::private_key_size
                            : crypto::ecdh_p521::private_key_size;
}
// RFC 7518 §3.2: an HMAC key at least as long as the hash; 0 for another alg.
[[nodiscard]] constexpr std::size_t hmac_key_size(alg a) noexcept {
  return a == alg::hs256   ? crypto::sha256::size
         : a == alg::hs384 ? crypto::sha384::size
         : a == alg::hs512 ? crypto::sha512::size
                           : 0;
}
[[nodiscard]] constexpr std::string_view to_string(curve c) noexcept {
  return c == curve::p256 ? "P-256" : c == curve::p384 ? "P-384" : "P-521";
}
[[nodiscard]] constexpr std::optional<curve> parse_curve(std::string_view s) noexcept {
  for (curve c : {curve::p256, curve::p384, curve::p521})
    if (to_string(c) == s) return c;
  return std::nullopt;
}

// Whether a key of this type, curve and size can serve alg at all
// (RFC 7518 §3.2: an HMAC key at least as long as the hash).
[[nodiscard]] constexpr bool fits(alg a, kty t, curve c, std::size_t oct_size) noexcept {
  switch (a) {
    case alg::dir:
      return t == kty::oct && std::any_of(std::begin(all_encs), std::end(all_encs),
                                          [&](enc e) { return key_size(e) == oct_size; });
    case alg::a128kw: case alg::a192kw: case alg::a256kw: return t == kty::oct && oct_size == wrap_key_size(a);
    case alg::ecdh_es: case alg::ecdh_es_a128kw: case alg::ecdh_es_a192kw: case alg::ecdh_es_a256kw:
      return t == kty::ec;
    case alg::rsa_oaep_256: case alg::rs256: case alg::rs384: case alg::rs512: return t == kty::rsa;
    case alg::hs256: case alg::hs384: case alg::hs512: return t == kty::oct && oct_size >= hmac_key_size(a);
    case alg::es256: return t == kty::ec && c == curve::p256;
    case alg::es384: return t == kty::ec && c == curve::p384;
    case alg::es512: return t == kty::ec && c == curve::p521;
    case alg::none: return false;
  }
  return false;
}

namespace jwk_detail {
// The size of a fresh symmetric key for these algorithms; 0 when none is symmetric.
constexpr std::size_t oct_size_for(alg_set uses) noexcept {
  std::size_t n = 0;
  for (alg a : all_algs) {
    if (!uses.contains(a)) continue;
    const std::size_t need = a == alg::dir ? key_size(enc::a256gcm)  // the largest "dir" serves
                             : is_key_wrap(a) ? wrap_key_size(a)
                                              : hmac_key_size(a);
    n = std::max(n, need);
  }
  return n;
}
template <class F>
decltype(auto) with_curve(curve c, F&& f) {
  switch (c) {
    case curve::p256: return f(crypto::ecdh_p256{});
    case curve::p384: return f(crypto::ecdh_p384{});
    default: return f(crypto::ecdh_p521{});
  }
}
// A public integer or coordinate from base64url, exactly `size` bytes when size != 0.
template <class Json>
inline result<byte_vector> public_field(const Json& j, std::string_view name, std::size_t size = 0) {
  auto s = string_member(j, name);
  if (!s) return fail(s.error());
  if (!*s) return fail(errc::invalid_key);
  auto b = base64url_decode(**s);
  if (!b) return fail(b.error());
  if (size != 0 ? b->size() != size : b->empty()) return fail(errc::invalid_key);
  return b;
}
// A private member's base64url, in memory that is wiped when freed.
inline wiping_string encode_secret(bytes_view in) { return base64url_encode<wiping_string>(in); }
}  // namespace jwk_detail

// Thread safety: immutable once made; any number of threads may use one object.
class jwk {
 public:
  // ---- making keys ----------------------------------------------------------

  // A symmetric key ("oct") for the algorithms in uses.
  [[nodiscard]] static result<jwk> symmetric(secret k, alg_set uses, std::string kid = {}) {
    jwk key(kty::oct, curve::p256, std::move(kid));
    key.private_ = std::move(k);
    return std::move(key).restrict_to(uses);
  }
  // An EC key: the uncompressed point, and the scalar when it is a private key.
  [[nodiscard]] static result<jwk> ec(curve c, byte_vector point, std::optional<secret> d, alg_set uses,
                                      std::string kid = {}) {
    if (point.size() != 1 + 2 * field_size(c) || point[0] != 0x04) return fail(errc::invalid_key);
    jwk key(kty::ec, c, std::move(kid));
    key.public_ = std::move(point);
    if (d) {
      if (d->size() != field_size(c)) return fail(errc::invalid_key);
      // The scalar must give this very point.
      byte_vector derived(key.public_.size());
      auto r = jwk_detail::with_curve(c, [&]<class C>(C) { return crypto::key_agreement<C>::public_key(d->expose(), derived); });
      if (!r) return fail(errc::invalid_key);
      if (derived != key.public_) return fail(errc::invalid_key);
      key.private_ = std::move(*d);
    } else {
      // Checks that the point is on the curve.
      const bool on_curve = jwk_detail::with_curve(c, [&]<class C>(C) {
        return crypto::signature<crypto::ecdsa<C, crypto::sha256>>::verifier::create(key.public_).has_value();
      });
      if (!on_curve) return fail(errc::invalid_key);
    }
    return std::move(key).restrict_to(uses);
  }
  // An RSA key: DER SubjectPublicKeyInfo, and DER PKCS#8 when it is a private key.
  [[nodiscard]] static result<jwk> rsa(byte_vector spki, std::optional<secret> pkcs8, alg_set uses,
                                       std::string kid = {}) {
    auto parts = backend::botan_jose::rsa_public_parts_of(spki);
    if (!parts) return fail(parts.error());
    auto checked = backend::botan_jose::rsa_spki(parts->n, parts->e);  // size and exponent rules
    if (!checked) return fail(checked.error());
    jwk key(kty::rsa, curve::p256, std::move(kid));
    key.public_ = std::move(spki);
    if (pkcs8) {
      auto pub = backend::botan_jose::rsa_public_of(pkcs8->expose());
      if (!pub || *pub != key.public_) return fail(errc::invalid_key);
      key.private_ = std::move(*pkcs8);
    }
    return std::move(key).restrict_to(uses);
  }

  // A fresh key fit for every algorithm in uses (which must all fit one key type):
  // oct of the largest size they need, EC on their curve, RSA of 2048 bits.
  [[nodiscard]] static result<jwk> generate(alg_set uses, std::string kid = {}) {
    for (alg a : all_algs) {
      if (!uses.contains(a)) continue;
      if (const std::size_t n = jwk_detail::oct_size_for(uses); n != 0) {
        auto k = secret::allocate(n);
        if (!k) return fail(k.error());
        if (auto r = crypto::rng<>::fill(k->expose()); !r) return fail(r.error());
        return symmetric(std::move(*k), uses, std::move(kid));
      }
      if (is_rsa(a)) {
        auto kp = crypto::key_encryption<crypto::rsa_oaep_sha256>::generate();
        if (!kp) return fail(kp.error());
        return rsa(std::move(kp->public_key), std::move(kp->private_key), uses, std::move(kid));
      }
      const curve c = a == alg::es384 ? curve::p384 : a == alg::es512 ? curve::p521 : curve::p256;
      auto kp = jwk_detail::with_curve(c, [&]<class C>(C) { return crypto::key_agreement<C>::generate(); });
      if (!kp) return fail(kp.error());
      return ec(c, std::move(kp->public_key), std::move(kp->private_key), uses, std::move(kid));
    }
    return fail(errc::invalid_argument);
  }

  // ---- JWK JSON ---------------------------------------------------------------

  // RFC 7517 §4: a key from its JSON (json or secret_json). What the key may be
  // used for: its "alg" member if it has one (which must then be in `uses` when
  // uses is given), otherwise `uses`; "use" narrows it to signing or encryption.
  // A key that would be allowed nothing is refused.
  template <class Json = json>
  [[nodiscard]] static result<jwk> from_json(const Json& j, alg_set uses = {}) {
    detail::start_refusals();
    if (!j.is_object()) return fail(detail::refuse(errc::invalid_encoding, "jwk", "an object"));
    auto priv = jwk_detail::private_members_of(j);
    if (!priv) return fail(detail::refuse(priv.error(), "jwk", "private members are base64url"));
    return from_members(j, std::move(*priv), uses);
  }

  // The same from text, read by m2msec's own reader: private members go straight
  // into wiped memory, never through a JSON library's strings (jwk_members.hpp).
  // `fitting`: a key that names no "alg" keeps those of `uses` it can serve
  // (a key set's rule), instead of being refused for one it cannot.
  [[nodiscard]] static result<jwk> parse(std::string_view text, alg_set uses = {}, const limits& lim = {},
                                         bool fitting = false) {
    detail::start_refusals();
    auto t = jwk_detail::read_jwk(text, lim);
    if (!t) return fail(detail::refuse(t.error(), "jwk", "JSON object, private members base64url"));
    return from_members(t->pub, std::move(t->priv), uses, fitting);
  }

  // The key as a JWK. Private members only when asked for; "alg" when the key
  // serves exactly one algorithm. The document keeps every string in memory it
  // wipes when freed (secret_json); converting it to json or dumping it to
  // text makes copies that are the caller's to keep.
  [[nodiscard]] secret_json to_json(bool with_private = false) const {
    using jwk_detail::encode_secret;
    secret_json j = secret_json::object();
    if (!kid_.empty()) j["kid"] = kid_;
    if (auto one = single_alg()) j["alg"] = std::string(to_string(*one));
    switch (type_) {
      case kty::oct:
        j["kty"] = "oct";
        if (with_private) j["k"] = encode_secret(private_.expose());
        break;
      case kty::ec: {
        const std::size_t f = field_size(crv_);
        j["kty"] = "EC";
        j["crv"] = std::string(to_string(crv_));
        j["x"] = base64url_encode(bytes_view(public_).subspan(1, f));
        j["y"] = base64url_encode(bytes_view(public_).subspan(1 + f, f));
        if (with_private && has_private()) j["d"] = encode_secret(private_.expose());
        break;
      }
      case kty::rsa: {
        j["kty"] = "RSA";
        if (with_private && has_private()) {
          auto p = backend::botan_jose::rsa_private_parts_of(private_.expose());
          if (!p) break;
          j["n"] = base64url_encode(p->n);
          j["e"] = base64url_encode(p->e);
          j["d"] = encode_secret(p->d.expose());
          j["p"] = encode_secret(p->p.expose());
          j["q"] = encode_secret(p->q.expose());
          j["dp"] = encode_secret(p->dp.expose());
          j["dq"] = encode_secret(p->dq.expose());
          j["qi"] = encode_secret(p->qi.expose());
        } else if (auto p = backend::botan_jose::rsa_public_parts_of(public_)) {
          j["n"] = base64url_encode(p->n);
          j["e"] = base64url_encode(p->e);
        }
        break;
      }
    }
    return j;
  }

  // The public half (an error for a symmetric key).
  [[nodiscard]] result<jwk> public_key() const {
    if (type_ == kty::oct) return fail(errc::invalid_argument);
    jwk key(type_, crv_, kid_);
    key.public_ = public_;
    key.uses_ = uses_;
    return key;
  }
  [[nodiscard]] result<jwk> clone() const {
    jwk key(type_, crv_, kid_);
    key.public_ = public_;
    key.uses_ = uses_;
    auto p = private_.clone();
    if (!p) return fail(p.error());
    key.private_ = std::move(*p);
    if (auto r = key.prepare(); !r) return fail(r.error());
    return key;
  }

  // ---- what it is ---------------------------------------------------------------
  [[nodiscard]] kty type() const noexcept { return type_; }
  [[nodiscard]] curve crv() const noexcept { return crv_; }
  [[nodiscard]] const std::string& kid() const noexcept { return kid_; }
  [[nodiscard]] alg_set uses() const noexcept { return uses_; }
  [[nodiscard]] bool allows(alg a) const noexcept { return uses_.contains(a); }
  [[nodiscard]] bool has_private() const noexcept { return !private_.empty(); }
  // oct: the key; EC: the scalar; RSA: PKCS#8.
  [[nodiscard]] const secret& private_part() const noexcept { return private_; }
  // EC: the uncompressed point; RSA: SubjectPublicKeyInfo; oct: empty.
  [[nodiscard]] bytes_view public_part() const noexcept { return public_; }
  // The HMAC key made ready when the key allows HS256/384/512 (nullptr otherwise).
  template <class Hash>
  [[nodiscard]] const crypto::prepared_hmac<Hash>* hmac() const noexcept {
    if constexpr (Hash::size == 32) return hs256_.get();
    else if constexpr (Hash::size == 48) return hs384_.get();
    else return hs512_.get();
  }

 private:
  jwk(kty t, curve c, std::string kid) : type_(t), crv_(c), kid_(std::move(kid)) {}

  // RFC 7517 §4, RFC 7518 §6: the key from its public members and its private ones.
  template <class Json>
  [[nodiscard]] static result<jwk> from_members(const Json& j, jwk_detail::private_members priv, alg_set uses,
                                                bool fitting = false) {
    using detail::refuse;
    auto t = string_member(j, "kty");
    if (!t) return fail(refuse(t.error(), "kty", "not a string"));
    if (!*t) return fail(refuse(errc::invalid_key, "kty", "missing"));
    if (**t != "oct" && **t != "EC" && **t != "RSA") return fail(refuse(errc::unsupported, "kty", "not implemented"));
    auto kid = string_member(j, "kid");
    if (!kid) return fail(kid.error());
    auto a = string_member(j, "alg");
    if (!a) return fail(a.error());
    std::optional<enc> named_enc;
    if (*a) {
      // A content-encryption algorithm ("A128GCM") names a key for "dir" with it.
      named_enc = parse_enc(**a);
      const auto named = named_enc ? std::optional<alg>(alg::dir) : parse_alg(**a);
      if (!named) return fail(refuse(errc::unsupported, "alg", "not implemented"));
      if (!uses.empty() && !uses.contains(*named)) return fail(refuse(errc::alg_not_allowed, "alg", "not in the caller's set"));
      uses = alg_set{*named};
    }
    // RFC 7517 §4.2, §4.3: "use" and "key_ops" each narrow the key to signing or
    // encryption; a key whose declared use contradicts an operation is not used for it.
    auto use = string_member(j, "use");
    if (!use) return fail(use.error());
    if (*use) {
      alg_set keep;
      for (alg x : all_algs)
        if ((**use == "sig" && is_signature(x)) || (**use == "enc" && is_encryption(x))) keep.insert(x);
      if (keep.empty()) return fail(errc::unsupported);
      uses = uses & keep;
    }
    if (const Json* ops = member(j, "key_ops")) {
      if (!ops->is_array()) return fail(errc::invalid_encoding);
      bool sign = false, encrypt = false;
      for (const auto& op : *ops) {
        if (!op.is_string()) return fail(errc::invalid_encoding);
        const auto& o = op.template get_ref<const typename Json::string_t&>();
        sign = sign || o == "sign" || o == "verify";
        encrypt = encrypt || o == "encrypt" || o == "decrypt" || o == "wrapKey" || o == "unwrapKey" ||
                  o == "deriveKey" || o == "deriveBits";
      }
      alg_set keep;
      for (alg x : all_algs)
        if ((sign && is_signature(x)) || (encrypt && is_encryption(x))) keep.insert(x);
      uses = uses & keep;
    }
    if (uses.empty()) return fail(refuse(errc::alg_not_allowed, "alg", "no algorithm left for the key"));
    std::string id = *kid ? std::string(**kid) : std::string();

    if (**t == "oct") {
      if (!priv.k) return fail(refuse(errc::invalid_key, "k", "missing"));
      if (named_enc && priv.k->size() != key_size(*named_enc)) return fail(errc::invalid_key_size);
      // The size first: the key is moved into the call (arguments have no order).
      const alg_set kept = fit(uses, fitting && !*a, kty::oct, curve::p256, priv.k->size());
      return symmetric(std::move(*priv.k), kept, std::move(id));
    }
    if (**t == "EC") {
      auto crv = string_member(j, "crv");
      if (!crv) return fail(crv.error());
      const auto c = *crv ? parse_curve(**crv) : std::nullopt;
      if (!c) return fail(refuse(errc::unsupported, "crv", "not implemented"));
      auto x = jwk_detail::public_field(j, "x", field_size(*c));
      if (!x) return fail(x.error());
      auto y = jwk_detail::public_field(j, "y", field_size(*c));
      if (!y) return fail(y.error());
      byte_vector point{0x04};
      point.insert(point.end(), x->begin(), x->end());
      point.insert(point.end(), y->begin(), y->end());
      return ec(*c, std::move(point), std::move(priv.d), fit(uses, fitting && !*a, kty::ec, *c, 0), std::move(id));
    }
    if (**t == "RSA") {
      if (member(j, "oth") != nullptr) return fail(errc::unsupported);  // multi-prime
      auto n = jwk_detail::public_field(j, "n");
      if (!n) return fail(n.error());
      auto e = jwk_detail::public_field(j, "e");
      if (!e) return fail(e.error());
      // RFC 7518 §6.3.1.1: the minimum number of octets.
      if ((*n)[0] == 0 || (*e)[0] == 0) return fail(errc::invalid_key);
      auto spki = backend::botan_jose::rsa_spki(*n, *e);
      if (!spki) return fail(spki.error());
      uses = fit(uses, fitting && !*a, kty::rsa, curve::p256, 0);
      if (!priv.d) return rsa(std::move(*spki), std::nullopt, uses, std::move(id));
      if (!priv.p || !priv.q) return fail(errc::unsupported);  // RFC 7518 §6.3.2: d alone is not accepted here
      auto pkcs8 = backend::botan_jose::rsa_pkcs8(*n, *e, priv.d->expose(), priv.p->expose(), priv.q->expose());
      if (!pkcs8) return fail(pkcs8.error());
      return rsa(std::move(*spki), std::move(*pkcs8), uses, std::move(id));
    }
    return fail(refuse(errc::unsupported, "kty", "not implemented"));
  }



  // The algorithms of `uses` a key of this type can serve, when `narrow`; else `uses`.
  static alg_set fit(alg_set uses, bool narrow, kty t, curve c, std::size_t oct_size) noexcept {
    if (!narrow) return uses;
    alg_set kept;
    for (alg a : all_algs)
      if (uses.contains(a) && fits(a, t, c, oct_size)) kept.insert(a);
    return kept;
  }
  result<jwk> restrict_to(alg_set uses) && {
    for (alg a : all_algs)
      if (uses.contains(a) && !fits(a, type_, crv_, private_.size())) return fail(errc::alg_not_allowed);
    if (uses.empty()) return fail(errc::alg_not_allowed);
    if (type_ == kty::oct && private_.empty()) return fail(errc::invalid_key);
    uses_ = uses;
    if (auto r = prepare(); !r) return fail(r.error());
    return std::move(*this);
  }
  // Keyed once for every HMAC the key serves, so signing does not key again.
  result<void> prepare() {
    auto make = [&]<class H>(alg a, std::unique_ptr<crypto::prepared_hmac<H>>& slot) -> result<void> {
      if (!uses_.contains(a)) return {};
      auto p = crypto::prepared_hmac<H>::create(private_.expose());
      if (!p) return fail(p.error());
      slot = std::make_unique<crypto::prepared_hmac<H>>(std::move(*p));
      return {};
    };
    if (auto r = make(alg::hs256, hs256_); !r) return r;
    if (auto r = make(alg::hs384, hs384_); !r) return r;
    return make(alg::hs512, hs512_);
  }
  std::optional<alg> single_alg() const noexcept {
    std::optional<alg> one;
    for (alg a : all_algs)
      if (uses_.contains(a)) {
        if (one) return std::nullopt;
        one = a;
      }
    return one;
  }

  kty type_;
  curve crv_;
  std::string kid_;
  alg_set uses_;
  byte_vector public_;
  secret private_;
  std::unique_ptr<crypto::prepared_hmac<crypto::sha256>> hs256_;
  std::unique_ptr<crypto::prepared_hmac<crypto::sha384>> hs384_;
  std::unique_ptr<crypto::prepared_hmac<crypto::sha512>> hs512_;
};

}  // namespace m2msec::jose
