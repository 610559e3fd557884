// m2msec: algorithm tags, backend tags, and the primitive templates that each
// backend specialises. A tag carries the algorithm's sizes; a backend decides how.
// Thread safety: the tags and traits have no state (use them from any thread);
// a primitive a backend specialises (aead, mac, keywrap, ...) is a keyed object:
// one thread at a time per object, distinct objects independent; `rng<>::fill` may
// be called from any thread.
#pragma once

#include <cstddef>
#include <string_view>

namespace m2msec {

namespace backend {
struct sodium {  // libsodium 1.0.18
  static constexpr std::string_view name = "libsodium";
};
struct botan {  // Botan 2.19
  static constexpr std::string_view name = "Botan 2";
};
}  // namespace backend

namespace crypto {

// ---- AEAD --------------------------------------------------------------------
template <std::size_t KeyBytes>
struct aes_gcm {
  static_assert(KeyBytes == 16 || KeyBytes == 24 || KeyBytes == 32);
  static constexpr std::size_t key_size = KeyBytes, nonce_size = 12, tag_size = 16;
  static constexpr std::string_view name =
      KeyBytes == 16 ? "AES-128-GCM" : KeyBytes == 24 ? "AES-192-GCM" : "AES-256-GCM";
};
using aes128_gcm = aes_gcm<16>;
using aes192_gcm = aes_gcm<24>;
using aes256_gcm = aes_gcm<32>;

// AES-CCM (RFC 3610 / NIST SP 800-38C): tags of 4..16 even bytes, nonces of
// 7..13 bytes. A 12-byte nonce leaves L = 3 length bytes (TLS CCM_8); a 13-byte
// nonce leaves L = 2 (messages below 64 KiB).
template <std::size_t KeyBytes, std::size_t TagBytes, std::size_t NonceBytes>
struct aes_ccm {
  static_assert(KeyBytes == 16 || KeyBytes == 24 || KeyBytes == 32);
  static_assert(TagBytes >= 4 && TagBytes <= 16 && TagBytes % 2 == 0);
  static_assert(NonceBytes >= 7 && NonceBytes <= 13);
  static constexpr std::size_t key_size = KeyBytes, nonce_size = NonceBytes, tag_size = TagBytes;
  static constexpr std::size_t length_bytes = 15 - NonceBytes;  // L
  static constexpr std::string_view name = "AES-CCM";
};
using aes128_ccm8 = aes_ccm<16, 8, 12>;    // TLS_*_WITH_AES_128_CCM_8
using aes128_ccm16 = aes_ccm<16, 16, 12>;  // TLS_*_WITH_AES_128_CCM

struct chacha20_poly1305 {  // RFC 8439
  static constexpr std::size_t key_size = 32, nonce_size = 12, tag_size = 16;
  static constexpr std::string_view name = "ChaCha20-Poly1305";
};
struct xchacha20_poly1305 {  // draft-irtf-cfrg-xchacha
  static constexpr std::size_t key_size = 32, nonce_size = 24, tag_size = 16;
  static constexpr std::string_view name = "XChaCha20-Poly1305";
};

// ---- hashes, MAC, KDF ----------------------------------------------------------
struct sha256 {
  static constexpr std::size_t size = 32, block_size = 64;
  static constexpr std::string_view name = "SHA-256";
};
struct sha384 {
  static constexpr std::size_t size = 48, block_size = 128;
  static constexpr std::string_view name = "SHA-384";
};
struct sha512 {
  static constexpr std::size_t size = 64, block_size = 128;
  static constexpr std::string_view name = "SHA-512";
};

template <class Hash>
struct hmac {
  using hash = Hash;
  static constexpr std::size_t tag_size = Hash::size;
  static constexpr std::string_view name = Hash::size == 32 ? "HMAC-SHA-256"
                                           : Hash::size == 48 ? "HMAC-SHA-384"
                                                              : "HMAC-SHA-512";
};
using hmac_sha256 = hmac<sha256>;
using hmac_sha384 = hmac<sha384>;
using hmac_sha512 = hmac<sha512>;

template <class Hash>
struct hkdf {  // RFC 5869
  using hash = Hash;
  static constexpr std::size_t prk_size = Hash::size, max_output = 255 * Hash::size;
};
using hkdf_sha256 = hkdf<sha256>;
using hkdf_sha384 = hkdf<sha384>;
using hkdf_sha512 = hkdf<sha512>;

// ---- key wrap ---------------------------------------------------------------
template <std::size_t KeyBytes>
struct aes_kw {  // RFC 3394, default IV A6A6A6A6A6A6A6A6
  static_assert(KeyBytes == 16 || KeyBytes == 24 || KeyBytes == 32);
  static constexpr std::size_t key_size = KeyBytes, overhead = 8;
};
using aes128_kw = aes_kw<16>;
using aes192_kw = aes_kw<24>;
using aes256_kw = aes_kw<32>;

// ---- key agreement ------------------------------------------------------------
// Public keys are uncompressed SEC1 points (04 || X || Y); private keys are
// fixed-width big-endian scalars; the shared secret is the x-coordinate.
template <std::size_t FieldBytes>
struct ecdh {
  static constexpr std::size_t private_key_size = FieldBytes, public_key_size = 1 + 2 * FieldBytes,
                               shared_size = FieldBytes;
  static constexpr std::string_view curve = FieldBytes == 32   ? "secp256r1"
                                            : FieldBytes == 48 ? "secp384r1"
                                                               : "secp521r1";
};
using ecdh_p256 = ecdh<32>;
using ecdh_p384 = ecdh<48>;
using ecdh_p521 = ecdh<66>;

struct x25519 {  // RFC 7748
  static constexpr std::size_t private_key_size = 32, public_key_size = 32, shared_size = 32;
  static constexpr std::string_view curve = "curve25519";
};

// ---- signatures -----------------------------------------------------------------
enum class ecdsa_format { p1363, der };  // r||s fixed width (JOSE, COSE) or ASN.1 DER

template <class Curve, class Hash, ecdsa_format Format = ecdsa_format::p1363>
struct ecdsa {
  using curve = Curve;
  using hash = Hash;
  static constexpr ecdsa_format format = Format;
  static constexpr std::size_t private_key_size = Curve::private_key_size,
                               public_key_size = Curve::public_key_size;
  // DER: SEQUENCE { INTEGER r, INTEGER s }, each with a possible 0x00 pad.
  static constexpr std::size_t max_signature_size =
      Format == ecdsa_format::p1363 ? 2 * Curve::private_key_size : 2 * (Curve::private_key_size + 3) + 3;
};
using ecdsa_p256_sha256 = ecdsa<ecdh_p256, sha256>;
using ecdsa_p384_sha384 = ecdsa<ecdh_p384, sha384>;
using ecdsa_p521_sha512 = ecdsa<ecdh_p521, sha512>;
using ecdsa_p256_sha256_der = ecdsa<ecdh_p256, sha256, ecdsa_format::der>;
using ecdsa_p384_sha384_der = ecdsa<ecdh_p384, sha384, ecdsa_format::der>;
using ecdsa_p521_sha512_der = ecdsa<ecdh_p521, sha512, ecdsa_format::der>;

struct ed25519 {  // RFC 8032, pure
  static constexpr std::size_t private_key_size = 32,  // the seed
      public_key_size = 32, max_signature_size = 64;
};

// RSA keys: public as DER SubjectPublicKeyInfo, private as DER PKCS#8.
inline constexpr std::size_t rsa_max_modulus_bytes = 512;  // 4096 bits
enum class rsa_padding { pkcs1v15, pss };
template <class Hash, rsa_padding Padding>
struct rsa_signature {  // PSS: MGF1 with the same hash, salt length = hash length
  using hash = Hash;
  static constexpr rsa_padding padding = Padding;
  static constexpr std::size_t max_signature_size = rsa_max_modulus_bytes;
};
using rsa_pkcs1_sha256 = rsa_signature<sha256, rsa_padding::pkcs1v15>;
using rsa_pkcs1_sha384 = rsa_signature<sha384, rsa_padding::pkcs1v15>;
using rsa_pkcs1_sha512 = rsa_signature<sha512, rsa_padding::pkcs1v15>;
using rsa_pss_sha256 = rsa_signature<sha256, rsa_padding::pss>;
using rsa_pss_sha384 = rsa_signature<sha384, rsa_padding::pss>;
using rsa_pss_sha512 = rsa_signature<sha512, rsa_padding::pss>;

// ---- key encryption ----------------------------------------------------------------
template <class Hash>
struct rsa_oaep {  // RSAES-OAEP, MGF1 with the same hash
  using hash = Hash;
  static constexpr std::size_t max_ciphertext_size = rsa_max_modulus_bytes;
};
using rsa_oaep_sha256 = rsa_oaep<sha256>;

// ---- default backend ------------------------------------------------------------------
// The fastest backend measured on x86-64 with AES-NI and SHA-NI
// (bench/primitives_bench.cpp; docs/benchmarks.md) among those that have the
// algorithm. Botan's SHA-256 uses SHA-NI, libsodium's does not; neither has
// SHA-512 in hardware and libsodium's is faster.
template <class Alg> struct default_backend { using type = backend::botan; };
template <> struct default_backend<chacha20_poly1305> { using type = backend::sodium; };
template <> struct default_backend<xchacha20_poly1305> { using type = backend::sodium; };
template <> struct default_backend<hmac_sha512> { using type = backend::sodium; };
template <> struct default_backend<hkdf_sha512> { using type = backend::sodium; };
template <> struct default_backend<x25519> { using type = backend::sodium; };
template <> struct default_backend<ed25519> { using type = backend::sodium; };
template <class Alg> using default_backend_t = typename default_backend<Alg>::type;

// ---- the primitives ------------------------------------------------------------------
// Each backend specialises these for the algorithms it has. An unspecialised
// combination is an empty type, which no concept accepts.
template <class Alg, class Backend = default_backend_t<Alg>> class aead {};
template <class Alg, class Backend = default_backend_t<Alg>> class mac {};
template <class Alg, class Backend = default_backend_t<Alg>> struct kdf {};
template <class Alg, class Backend = default_backend_t<Alg>> class keywrap {};
template <class Alg, class Backend = default_backend_t<Alg>> struct key_agreement {};
template <class Alg, class Backend = default_backend_t<Alg>> struct signature {};
template <class Alg, class Backend = default_backend_t<Alg>> struct key_encryption {};
template <class Backend = backend::sodium> struct rng {};

}  // namespace crypto
}  // namespace m2msec
