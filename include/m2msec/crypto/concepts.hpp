// m2msec: the concepts that name each primitive role. Every concrete policy is
// followed by a static_assert of its concept.
#pragma once

#include <concepts>
#include <cstddef>

#include "m2msec/core/bytes.hpp"
#include "m2msec/core/result.hpp"
#include "m2msec/core/secret.hpp"
#include "m2msec/crypto/algorithms.hpp"

namespace m2msec::crypto {

// A private key (wiped) and its public key (public bytes).
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct keypair {
  secret private_key;
  byte_vector public_key;
};

// A key pair whose private key is private_key_size random bytes from Rng and
// whose public key P::public_key derives from it (X25519, Ed25519 seeds).
template <class P, class Rng>
[[nodiscard]] result<keypair> random_keypair() {
  auto sk = secret::allocate(P::private_key_size);
  if (!sk) return fail(sk.error());
  if (auto r = Rng::fill(sk->expose()); !r) return fail(r.error());
  byte_vector pk(P::public_key_size);
  if (auto r = P::public_key(sk->expose(), pk); !r) return fail(r.error());
  return keypair{std::move(*sk), std::move(pk)};
}

// Authenticated encryption with associated data. A keyed object: create() does
// the key setup once; seal() and open() write into the caller's span and do not
// allocate. seal() writes ciphertext || tag; open() checks the tag before any
// plaintext is released and zeroes `out` on failure. out may alias the input.
template <class P>
concept aead_policy = requires(P& p, mutable_bytes out, bytes_view in, std::size_t n) {
  requires std::same_as<decltype(P::key_size), const std::size_t>;
  requires std::same_as<decltype(P::nonce_size), const std::size_t>;
  requires std::same_as<decltype(P::tag_size), const std::size_t>;
  { P::sealed_size(n) } noexcept -> std::same_as<std::size_t>;
  { P::available() } noexcept -> std::same_as<bool>;
  { P::create(in) } -> std::same_as<result<P>>;
  { p.seal(out, in, in, in) } noexcept -> std::same_as<result<std::size_t>>;  // out, nonce, ad, plaintext
  { p.open(out, in, in, in) } noexcept -> std::same_as<result<std::size_t>>;  // out, nonce, ad, sealed
};

// A keyed MAC: update()/finish() incrementally, compute() and verify() in one go.
// verify() compares in constant time and needs the full tag.
template <class P>
concept mac_policy = requires(P& p, mutable_bytes out, bytes_view in) {
  requires std::same_as<decltype(P::tag_size), const std::size_t>;
  { P::create(in) } -> std::same_as<result<P>>;
  { p.update(in) } noexcept -> std::same_as<result<void>>;
  { p.finish(out) } noexcept -> std::same_as<result<void>>;
  { p.compute(in, out) } noexcept -> std::same_as<result<void>>;
  { p.verify(in, in) } noexcept -> std::same_as<result<void>>;
};

// HKDF (RFC 5869): extract(salt, ikm) -> prk, expand(prk, info) -> okm, and both.
// An empty salt means HashLen zero bytes.
template <class P>
concept kdf_policy = requires(mutable_bytes out, bytes_view in) {
  requires std::same_as<decltype(P::prk_size), const std::size_t>;
  requires std::same_as<decltype(P::max_output), const std::size_t>;
  { P::extract(in, in, out) } noexcept -> std::same_as<result<void>>;
  { P::expand(in, in, out) } noexcept -> std::same_as<result<void>>;
  { P::derive(in, in, in, out) } noexcept -> std::same_as<result<void>>;  // salt, ikm, info, okm
};

// Key wrap: wrap(out, key data) and unwrap(out, wrapped), sizes differ by overhead.
template <class P>
concept keywrap_policy = requires(P& p, mutable_bytes out, bytes_view in) {
  requires std::same_as<decltype(P::key_size), const std::size_t>;
  requires std::same_as<decltype(P::overhead), const std::size_t>;
  { P::create(in) } -> std::same_as<result<P>>;
  { p.wrap(out, in) } noexcept -> std::same_as<result<std::size_t>>;
  { p.unwrap(out, in) } noexcept -> std::same_as<result<std::size_t>>;
};

// Static Diffie-Hellman: agree(private, peer public, shared). A peer key that is
// not on the curve, or an all-zero result, is an error.
template <class P>
concept key_agreement_policy = requires(mutable_bytes out, bytes_view in) {
  requires std::same_as<decltype(P::private_key_size), const std::size_t>;
  requires std::same_as<decltype(P::public_key_size), const std::size_t>;
  requires std::same_as<decltype(P::shared_size), const std::size_t>;
  { P::generate() } -> std::same_as<result<keypair>>;
  { P::public_key(in, out) } noexcept -> std::same_as<result<void>>;
  { P::agree(in, in, out) } noexcept -> std::same_as<result<void>>;
};

// Signatures. A signer is made from a private key and a verifier from a public
// key once (the key is parsed and checked there); sign() returns the signature
// length. sign() and verify() on the policy itself do both steps per call.
template <class P>
concept signature_policy = requires(typename P::signer& s, const typename P::verifier& v, mutable_bytes out,
                                    bytes_view in) {
  requires std::same_as<decltype(P::max_signature_size), const std::size_t>;
  { P::generate() } -> std::same_as<result<keypair>>;
  { P::signer::create(in) } noexcept -> std::same_as<result<typename P::signer>>;
  { P::verifier::create(in) } noexcept -> std::same_as<result<typename P::verifier>>;
  { s.sign(in, out) } noexcept -> std::same_as<result<std::size_t>>;
  { v.verify(in, in) } noexcept -> std::same_as<result<void>>;
  { P::sign(in, in, out) } noexcept -> std::same_as<result<std::size_t>>;
  { P::verify(in, in, in) } noexcept -> std::same_as<result<void>>;
};

// sign() and verify() in one call each, for any policy with signer and verifier types.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
template <class P>
struct one_shot_signature {
  [[nodiscard]] static result<std::size_t> sign(bytes_view private_key, bytes_view msg, mutable_bytes sig) noexcept {
    auto s = P::signer::create(private_key);
    if (!s) return fail(s.error());
    return s->sign(msg, sig);
  }
  [[nodiscard]] static result<void> verify(bytes_view public_key, bytes_view msg, bytes_view sig) noexcept {
    auto v = P::verifier::create(public_key);
    if (!v) return fail(v.error());
    return v->verify(msg, sig);
  }
};

// Public-key encryption of a key. An encryptor (public key, label) and a
// decryptor (private key, label) are made once; encrypt() and decrypt() return
// the output length. The policy's encrypt(public, label, plaintext, out) and
// decrypt(private, label, ciphertext, out) do both steps per call.
template <class P>
concept key_encryption_policy = requires(const typename P::encryptor& e, const typename P::decryptor& d,
                                         mutable_bytes out, bytes_view in) {
  requires std::same_as<decltype(P::max_ciphertext_size), const std::size_t>;
  { P::generate() } -> std::same_as<result<keypair>>;
  { P::encryptor::create(in, in) } noexcept -> std::same_as<result<typename P::encryptor>>;
  { P::decryptor::create(in, in) } noexcept -> std::same_as<result<typename P::decryptor>>;
  { e.encrypt(in, out) } noexcept -> std::same_as<result<std::size_t>>;
  { d.decrypt(in, out) } noexcept -> std::same_as<result<std::size_t>>;
  { P::encrypt(in, in, in, out) } noexcept -> std::same_as<result<std::size_t>>;
  { P::decrypt(in, in, in, out) } noexcept -> std::same_as<result<std::size_t>>;
};

// encrypt() and decrypt() in one call each, for any policy with encryptor and decryptor types.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
template <class P>
struct one_shot_key_encryption {
  [[nodiscard]] static result<std::size_t> encrypt(bytes_view public_key, bytes_view label, bytes_view plaintext,
                                                   mutable_bytes out) noexcept {
    auto e = P::encryptor::create(public_key, label);
    if (!e) return fail(e.error());
    return e->encrypt(plaintext, out);
  }
  [[nodiscard]] static result<std::size_t> decrypt(bytes_view private_key, bytes_view label, bytes_view ciphertext,
                                                   mutable_bytes out) noexcept {
    auto d = P::decryptor::create(private_key, label);
    if (!d) return fail(d.error());
    return d->decrypt(ciphertext, out);
  }
};

// Cryptographically secure random bytes.
template <class P>
concept random_policy = requires(mutable_bytes out) {
  { P::fill(out) } noexcept -> std::same_as<result<void>>;
};

}  // namespace m2msec::crypto
