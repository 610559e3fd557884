// m2msec: GHASH (NIST SP 800-38D §6.4), GCM's hash, written here because Botan 2
// marks its own GHASH header as future-internal. Carry-less multiplication
// (PCLMULQDQ) where the processor has it, otherwise the constant-time
// multiplication by integer products of BearSSL's ghash_ctmul64. No table is
// indexed by a secret and no branch depends on one.
#pragma once

#include <cstdint>
#include <cstring>

#include "m2msec/core/bytes.hpp"
#include "m2msec/core/ct.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define M2MSEC_GHASH_CLMUL 1
#endif

namespace m2msec::crypto {

namespace ghash_detail {

inline std::uint64_t load64(const byte* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
inline void store64(byte* p, std::uint64_t v) noexcept {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<byte>(v);
}

// The product of x and y in GF(2)[X], low 64 bits, from four integer products
// whose carries fall in bits that are masked off (BearSSL, ghash_ctmul64.c).
inline std::uint64_t bmul64(std::uint64_t x, std::uint64_t y) noexcept {
  constexpr std::uint64_t m0 = 0x1111111111111111, m1 = 0x2222222222222222, m2 = 0x4444444444444444,
                          m3 = 0x8888888888888888;
  const std::uint64_t x0 = x & m0, x1 = x & m1, x2 = x & m2, x3 = x & m3;
  const std::uint64_t y0 = y & m0, y1 = y & m1, y2 = y & m2, y3 = y & m3;
  const std::uint64_t z0 = (x0 * y0) ^ (x1 * y3) ^ (x2 * y2) ^ (x3 * y1);
  const std::uint64_t z1 = (x0 * y1) ^ (x1 * y0) ^ (x2 * y3) ^ (x3 * y2);
  const std::uint64_t z2 = (x0 * y2) ^ (x1 * y1) ^ (x2 * y0) ^ (x3 * y3);
  const std::uint64_t z3 = (x0 * y3) ^ (x1 * y2) ^ (x2 * y1) ^ (x3 * y0);
  return (z0 & m0) | (z1 & m1) | (z2 & m2) | (z3 & m3);
}
inline std::uint64_t rev64(std::uint64_t x) noexcept {
  x = ((x & 0x5555555555555555) << 1) | ((x >> 1) & 0x5555555555555555);
  x = ((x & 0x3333333333333333) << 2) | ((x >> 2) & 0x3333333333333333);
  x = ((x & 0x0F0F0F0F0F0F0F0F) << 4) | ((x >> 4) & 0x0F0F0F0F0F0F0F0F);
  x = ((x & 0x00FF00FF00FF00FF) << 8) | ((x >> 8) & 0x00FF00FF00FF00FF);
  x = ((x & 0x0000FFFF0000FFFF) << 16) | ((x >> 16) & 0x0000FFFF0000FFFF);
  return (x << 32) | (x >> 32);
}

// Y = (Y xor X_i) * H over every 16-byte block, in 64-bit halves (hi, lo).
inline void absorb_portable(std::uint64_t y[2], const std::uint64_t h[2], const byte* in, std::size_t blocks) noexcept {
  const std::uint64_t h1 = h[0], h0 = h[1], h0r = rev64(h0), h1r = rev64(h1), h2 = h0 ^ h1, h2r = h0r ^ h1r;
  std::uint64_t y1 = y[0], y0 = y[1];
  for (; blocks > 0; --blocks, in += 16) {
    y1 ^= load64(in);
    y0 ^= load64(in + 8);
    const std::uint64_t y0r = rev64(y0), y1r = rev64(y1), y2 = y0 ^ y1, y2r = y0r ^ y1r;
    const std::uint64_t z0 = bmul64(y0, h0), z1 = bmul64(y1, h1);
    std::uint64_t z2 = bmul64(y2, h2);
    std::uint64_t z0h = bmul64(y0r, h0r), z1h = bmul64(y1r, h1r), z2h = bmul64(y2r, h2r);
    z2 ^= z0 ^ z1;
    z2h ^= z0h ^ z1h;
    z0h = rev64(z0h) >> 1;
    z1h = rev64(z1h) >> 1;
    z2h = rev64(z2h) >> 1;
    std::uint64_t v0 = z0, v1 = z0h ^ z2, v2 = z1 ^ z2h, v3 = z1h;
    v3 = (v3 << 1) | (v2 >> 63);
    v2 = (v2 << 1) | (v1 >> 63);
    v1 = (v1 << 1) | (v0 >> 63);
    v0 = v0 << 1;
    // Reduction modulo X^128 + X^7 + X^2 + X + 1, in GCM's reflected bit order.
    v2 ^= v0 ^ (v0 >> 1) ^ (v0 >> 2) ^ (v0 >> 7);
    v1 ^= (v0 << 63) ^ (v0 << 62) ^ (v0 << 57);
    v3 ^= v1 ^ (v1 >> 1) ^ (v1 >> 2) ^ (v1 >> 7);
    v2 ^= (v1 << 63) ^ (v1 << 62) ^ (v1 << 57);
    y0 = v2;
    y1 = v3;
  }
  y[0] = y1;
  y[1] = y0;
}

#ifdef M2MSEC_GHASH_CLMUL
// The same with PCLMULQDQ (Gueron and Kounavis, "Intel Carry-Less
// Multiplication Instruction and its Usage for Computing the GCM Mode",
// Algorithms 1, 4 and 5), on values held as 128-bit big-endian integers. Four
// blocks are multiplied by H^4..H^1 and reduced once (aggregated reduction).
#define M2MSEC_CLMUL_TARGET [[gnu::target("pclmul,ssse3")]]
M2MSEC_CLMUL_TARGET inline __m128i clmul_load(const std::uint64_t v[2]) noexcept {
  return _mm_set_epi64x(static_cast<long long>(v[0]), static_cast<long long>(v[1]));
}
M2MSEC_CLMUL_TARGET inline void clmul_store(std::uint64_t v[2], __m128i x) noexcept {
  v[0] = static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x)));
  v[1] = static_cast<std::uint64_t>(_mm_cvtsi128_si64(x));
}
// A 16-byte block as a big-endian integer.
M2MSEC_CLMUL_TARGET inline __m128i clmul_block(const byte* in) noexcept {
  const __m128i reverse = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in)), reverse);
}
// lo:hi ^= a * b, unreduced.
M2MSEC_CLMUL_TARGET inline void clmul_wide(__m128i a, __m128i b, __m128i& lo, __m128i& hi) noexcept {
  const __m128i mid = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10), _mm_clmulepi64_si128(a, b, 0x01));
  lo = _mm_xor_si128(lo, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x00), _mm_slli_si128(mid, 8)));
  hi = _mm_xor_si128(hi, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x11), _mm_srli_si128(mid, 8)));
}
// The 256-bit product shifted left one bit (GCM's reflected order), reduced
// modulo X^128 + X^7 + X^2 + X + 1.
M2MSEC_CLMUL_TARGET inline __m128i clmul_reduce(__m128i lo, __m128i hi) noexcept {
  __m128i c_lo = _mm_srli_epi32(lo, 31), c_hi = _mm_srli_epi32(hi, 31);
  lo = _mm_slli_epi32(lo, 1);
  hi = _mm_slli_epi32(hi, 1);
  const __m128i carry = _mm_srli_si128(c_lo, 12);
  c_hi = _mm_slli_si128(c_hi, 4);
  c_lo = _mm_slli_si128(c_lo, 4);
  lo = _mm_or_si128(lo, c_lo);
  hi = _mm_or_si128(_mm_or_si128(hi, c_hi), carry);
  __m128i t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)), _mm_slli_epi32(lo, 25));
  const __m128i t_hi = _mm_srli_si128(t, 4);
  t = _mm_slli_si128(t, 12);
  lo = _mm_xor_si128(lo, t);
  __m128i u = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)), _mm_srli_epi32(lo, 7));
  u = _mm_xor_si128(u, t_hi);
  return _mm_xor_si128(hi, _mm_xor_si128(lo, u));
}
M2MSEC_CLMUL_TARGET inline __m128i clmul_mul(__m128i a, __m128i b) noexcept {
  __m128i lo = _mm_setzero_si128(), hi = _mm_setzero_si128();
  clmul_wide(a, b, lo, hi);
  return clmul_reduce(lo, hi);
}
// powers[2i], powers[2i+1] = H^(i+1), for i = 0..3.
M2MSEC_CLMUL_TARGET inline void clmul_powers(std::uint64_t powers[8]) noexcept {
  const __m128i h = clmul_load(powers);
  __m128i p = h;
  for (int i = 1; i < 4; ++i) {
    p = clmul_mul(p, h);
    clmul_store(powers + 2 * i, p);
  }
}
M2MSEC_CLMUL_TARGET inline void absorb_clmul(std::uint64_t y[2], const std::uint64_t powers[8], const byte* in,
                                             std::size_t blocks) noexcept {
  const __m128i h1 = clmul_load(powers), h2 = clmul_load(powers + 2), h3 = clmul_load(powers + 4),
                h4 = clmul_load(powers + 6);
  __m128i yv = clmul_load(y);
  for (; blocks >= 4; blocks -= 4, in += 64) {
    __m128i lo = _mm_setzero_si128(), hi = _mm_setzero_si128();
    clmul_wide(_mm_xor_si128(yv, clmul_block(in)), h4, lo, hi);
    clmul_wide(clmul_block(in + 16), h3, lo, hi);
    clmul_wide(clmul_block(in + 32), h2, lo, hi);
    clmul_wide(clmul_block(in + 48), h1, lo, hi);
    yv = clmul_reduce(lo, hi);
  }
  for (; blocks > 0; --blocks, in += 16) yv = clmul_mul(_mm_xor_si128(yv, clmul_block(in)), h1);
  clmul_store(y, yv);
}
#undef M2MSEC_CLMUL_TARGET
inline bool has_clmul() noexcept {
  static const bool yes = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
  return yes;
}
#else
inline bool has_clmul() noexcept { return false; }
#endif

}  // namespace ghash_detail

// GHASH keyed with H; `tag` gives GHASH_H(A, C) xor `mask` (SP 800-38D §7.1
// steps 5-6, with mask = E(K, J0)); `portable` forces the integer path (tests
// compare the two). Copies keep the key; each is wiped when it goes.
// Thread safety: immutable once made; any number of threads may use one object.
class ghash {
 public:
  ghash() noexcept = default;
  explicit ghash(const byte (&h)[16]) noexcept : h_{ghash_detail::load64(h), ghash_detail::load64(h + 8)} {
#ifdef M2MSEC_GHASH_CLMUL
    if (ghash_detail::has_clmul()) ghash_detail::clmul_powers(h_);
#endif
  }
  ghash(const ghash&) noexcept = default;
  ghash& operator=(const ghash&) noexcept = default;
  ~ghash() { ct::wipe(h_, sizeof h_); }

  void tag(byte out[16], bytes_view ad, bytes_view ciphertext, const byte mask[16], bool portable = false) const noexcept {
    std::uint64_t y[2] = {0, 0};
    absorb(y, ad, portable);
    absorb(y, ciphertext, portable);
    byte lengths[16];
    ghash_detail::store64(lengths, std::uint64_t{ad.size()} * 8);
    ghash_detail::store64(lengths + 8, std::uint64_t{ciphertext.size()} * 8);
    blocks(y, lengths, 1, portable);
    ghash_detail::store64(out, y[0] ^ ghash_detail::load64(mask));
    ghash_detail::store64(out + 8, y[1] ^ ghash_detail::load64(mask + 8));
    ct::wipe(y, sizeof y);
  }

 private:
  void absorb(std::uint64_t y[2], bytes_view data, bool portable) const noexcept {
    const std::size_t whole = data.size() / 16;
    if (whole > 0) blocks(y, data.data(), whole, portable);
    if (const std::size_t rest = data.size() % 16; rest > 0) {
      byte last[16] = {};
      std::memcpy(last, data.data() + whole * 16, rest);
      blocks(y, last, 1, portable);
      ct::wipe(last, sizeof last);
    }
  }
  void blocks(std::uint64_t y[2], const byte* in, std::size_t n, bool portable) const noexcept {
#ifdef M2MSEC_GHASH_CLMUL
    if (!portable && ghash_detail::has_clmul()) return ghash_detail::absorb_clmul(y, h_, in, n);
#endif
    (void)portable;
    ghash_detail::absorb_portable(y, h_, in, n);
  }

  std::uint64_t h_[8] = {};  // H, then H^2..H^4 for the carry-less path
};

}  // namespace m2msec::crypto
