// m2msec: a fast base64url (RFC 4648 §5, unpadded) for public bytes: JOSE
// ciphertext, payloads and headers. Table lookups make its timing depend on
// the data, so key material goes through core/encoding.hpp instead. Decoding
// is as strict as the constant-time codec: URL-safe alphabet only, no padding,
// no whitespace, zero unused bits in the last character.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <string>
#include <string_view>

#include "m2msec/core/bytes.hpp"
#include "m2msec/core/encoding.hpp"
#include "m2msec/core/result.hpp"

namespace m2msec::jose {
namespace b64_detail {

inline constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Two output characters for each 12-bit group.
inline constexpr auto pairs = [] {
  std::array<std::uint16_t, 4096> t{};
  for (unsigned i = 0; i < 4096; ++i)
    t[i] = static_cast<std::uint16_t>(static_cast<unsigned char>(alphabet[i >> 6]) |
                                      (static_cast<unsigned char>(alphabet[i & 63]) << 8));
  return t;
}();

// The value of each character already shifted to its place in a 24-bit group
// (big-endian), or bad_bit for a character outside the alphabet.
inline constexpr std::uint32_t bad_bit = 1u << 24;
template <unsigned Shift>
inline constexpr auto shifted = [] {
  std::array<std::uint32_t, 256> t{};
  for (auto& v : t) v = bad_bit;
  for (unsigned i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = i << Shift;
  return t;
}();

inline void put_pair(char* out, unsigned v12) noexcept {
  const std::uint16_t p = pairs[v12];
  out[0] = static_cast<char>(p & 0xFF);
  out[1] = static_cast<char>(p >> 8);
}

#if defined(__x86_64__)
// AVX2 kernels (W. Muła and D. Lemire, "Faster Base64 Encoding and Decoding
// Using AVX2 Instructions", 2018), with the URL-safe alphabet. They handle the
// bulk; the scalar code above does the rest. Picked at run time.
inline bool have_avx2() noexcept {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

// 24 input bytes per step (two 16-byte loads, 28 bytes readable) to 32 characters.
// Returns the input bytes consumed.
__attribute__((target("avx2"))) inline std::size_t encode_avx2(const byte* in, std::size_t n, char* out) noexcept {
  const __m256i shuffle = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,
                                           1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
  // Offsets from 0..63 to the alphabet: A-Z +65, a-z +71, 0-9 -4, '-' -17, '_' +32.
  const __m256i lut = _mm256_setr_epi8(65, 71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -17, 32, 0, 0,
                                       65, 71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -17, 32, 0, 0);
  std::size_t i = 0;
  for (; i + 28 <= n; i += 24, out += 32) {
    const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i + 12));
    const __m256i v = _mm256_shuffle_epi8(_mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1), shuffle);
    // Four 6-bit indices per 32-bit word.
    const __m256i t0 = _mm256_and_si256(v, _mm256_set1_epi32(0x0fc0fc00));
    const __m256i t1 = _mm256_mulhi_epu16(t0, _mm256_set1_epi32(0x04000040));
    const __m256i t2 = _mm256_and_si256(v, _mm256_set1_epi32(0x003f03f0));
    const __m256i t3 = _mm256_mullo_epi16(t2, _mm256_set1_epi32(0x01000010));
    const __m256i idx = _mm256_or_si256(t1, t3);
    __m256i range = _mm256_subs_epu8(idx, _mm256_set1_epi8(51));
    range = _mm256_sub_epi8(range, _mm256_cmpgt_epi8(idx, _mm256_set1_epi8(25)));
    const __m256i chars = _mm256_add_epi8(idx, _mm256_shuffle_epi8(lut, range));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), chars);
  }
  return i;
}

// 32 characters per step to 24 bytes (a 32-byte store: 8 bytes of room after
// them). Returns the characters consumed; sets `bad` on any character outside
// the alphabet. Each character is checked by its two nibbles: lo_bad[lo] has
// the bit of every high nibble with which lo makes no alphabet character, and
// hi_bit[hi] is that bit (0x80, set in every lo_bad entry, for high nibbles
// that make none). Its value is the character plus an offset chosen by the
// high nibble, except for '_', which shares 0x5_ with 'P'..'Z'.
__attribute__((target("avx2"))) inline std::size_t decode_avx2(const unsigned char* in, std::size_t n, byte* out,
                                                               std::size_t out_room, bool& bad) noexcept {
  // High nibbles 2..7 are bits 0..5: 2 '-'; 3 '0'-'9'; 4 'A'-'O'; 5 'P'-'Z', '_'; 6 'a'-'o'; 7 'p'-'z'.
  const __m256i lo_bad = _mm256_setr_epi8(
      static_cast<char>(0x80 | 1 | 4 | 16), static_cast<char>(0x80 | 1), static_cast<char>(0x80 | 1),
      static_cast<char>(0x80 | 1), static_cast<char>(0x80 | 1), static_cast<char>(0x80 | 1),
      static_cast<char>(0x80 | 1), static_cast<char>(0x80 | 1), static_cast<char>(0x80 | 1),
      static_cast<char>(0x80 | 1), static_cast<char>(0x80 | 1 | 2), static_cast<char>(0x80 | 1 | 2 | 8 | 32),
      static_cast<char>(0x80 | 1 | 2 | 8 | 32), static_cast<char>(0x80 | 2 | 8 | 32),
      static_cast<char>(0x80 | 1 | 2 | 8 | 32), static_cast<char>(0x80 | 1 | 2 | 32),
      static_cast<char>(0x80 | 1 | 4 | 16), static_cast<char>(0x80 | 1), static_cast<char>(0x80 | 1),
      static_cast<char>(0x80 | 1), static_cast<char>(0x80 | 1), static_cast<char>(0x80 | 1),
      static_cast<char>(0x80 | 1), static_cast<char>(0x80 | 1), static_cast<char>(0x80 | 1),
      static_cast<char>(0x80 | 1), static_cast<char>(0x80 | 1 | 2), static_cast<char>(0x80 | 1 | 2 | 8 | 32),
      static_cast<char>(0x80 | 1 | 2 | 8 | 32), static_cast<char>(0x80 | 2 | 8 | 32),
      static_cast<char>(0x80 | 1 | 2 | 8 | 32), static_cast<char>(0x80 | 1 | 2 | 32));
  const __m256i hi_bit = _mm256_setr_epi8(
      -128, -128, 1, 2, 4, 8, 16, 32, -128, -128, -128, -128, -128, -128, -128, -128,
      -128, -128, 1, 2, 4, 8, 16, 32, -128, -128, -128, -128, -128, -128, -128, -128);
  // '-' +17, '0'-'9' +4, 'A'-'Z' -65, 'a'-'z' -71 ('_' -32, set apart).
  const __m256i offset = _mm256_setr_epi8(0, 0, 17, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,
                                          0, 0, 17, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  std::size_t i = 0;
  __m256i invalid = _mm256_setzero_si256();
  for (; i + 32 <= n && (i / 4) * 3 + 32 <= out_room; i += 32, out += 24) {
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi32(c, 4), nibble);
    const __m256i lo = _mm256_and_si256(c, nibble);
    invalid = _mm256_or_si256(invalid, _mm256_and_si256(_mm256_shuffle_epi8(lo_bad, lo), _mm256_shuffle_epi8(hi_bit, hi)));
    const __m256i under = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('_'));
    const __m256i off = _mm256_blendv_epi8(_mm256_shuffle_epi8(offset, hi), _mm256_set1_epi8(63 - '_'), under);
    const __m256i v = _mm256_add_epi8(c, off);
    // Four 6-bit values per 32-bit word to three bytes, then the lanes packed.
    const __m256i ab = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
    __m256i w = _mm256_madd_epi16(ab, _mm256_set1_epi32(0x00011000));
    w = _mm256_shuffle_epi8(w, _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
                                                2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1));
    w = _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), w);
  }
  bad = !_mm256_testz_si256(invalid, invalid);
  return i;
}
#endif

}  // namespace b64_detail

// Writes base64url_encoded_size(in.size()) characters at out. Six input bytes
// become eight characters with one 64-bit load, four table lookups and one
// 64-bit store.
inline void base64url_encode_to(bytes_view in, char* out) noexcept {
  std::size_t i = 0;
  const std::size_t n = in.size();
  const byte* p = in.data();
#if defined(__x86_64__)
  if (n >= 64 && b64_detail::have_avx2()) {
    i = b64_detail::encode_avx2(p, n, out);
    out += i / 3 * 4;
  }
#endif
  for (; i + 8 <= n; i += 6, out += 8) {
    std::uint64_t v;
    std::memcpy(&v, p + i, 8);
    v = __builtin_bswap64(v) >> 16;  // the 48 bits of p[i..i+6), big-endian
    const std::uint64_t w = std::uint64_t{b64_detail::pairs[(v >> 36) & 0xFFF]} |
                            (std::uint64_t{b64_detail::pairs[(v >> 24) & 0xFFF]} << 16) |
                            (std::uint64_t{b64_detail::pairs[(v >> 12) & 0xFFF]} << 32) |
                            (std::uint64_t{b64_detail::pairs[v & 0xFFF]} << 48);
    std::memcpy(out, &w, 8);
  }
  for (; i + 3 <= n; i += 3, out += 4) {
    const unsigned v = (unsigned{p[i]} << 16) | (unsigned{p[i + 1]} << 8) | p[i + 2];
    b64_detail::put_pair(out, v >> 12);
    b64_detail::put_pair(out + 2, v & 0xFFF);
  }
  if (const std::size_t rest = n - i; rest > 0) {
    const unsigned v = (unsigned{p[i]} << 16) | (rest == 2 ? unsigned{p[i + 1]} << 8 : 0u);
    b64_detail::put_pair(out, v >> 12);
    if (rest == 2) out[2] = b64_detail::alphabet[(v >> 6) & 63];
  }
}

// Appends the encoding of in to s, through a buffer on the stack: the string
// is written once, not zero-filled first and then overwritten.
inline void base64url_append(std::string& s, bytes_view in) {
  constexpr std::size_t chunk = 3072;  // bytes, to 4096 characters
  char buf[chunk / 3 * 4];
  s.reserve(s.size() + base64url_encoded_size(in.size()));
  for (std::size_t at = 0; at < in.size(); at += chunk) {
    const bytes_view part = in.subspan(at, std::min(chunk, in.size() - at));
    base64url_encode_to(part, buf);
    s.append(buf, base64url_encoded_size(part.size()));
  }
}

[[nodiscard]] inline std::string fast_base64url_encode(bytes_view in) {
  std::string s;
  base64url_append(s, in);
  return s;
}

// Decodes into out (at least base64url_decoded_size(in.size()) bytes); returns
// the byte count. On failure the bytes written are zeroed.
[[nodiscard]] inline result<std::size_t> fast_base64url_decode(std::string_view in, mutable_bytes out) noexcept {
  using namespace b64_detail;
  if (in.size() % 4 == 1) return fail(errc::invalid_encoding);
  const std::size_t n = base64url_decoded_size(in.size());
  if (out.size() < n) return fail(errc::buffer_too_small);
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  byte* o = out.data();
  std::uint32_t bad = 0;
  std::size_t i = 0;
#if defined(__x86_64__)
  if (in.size() >= 64 && have_avx2()) {
    bool vbad = false;
    i = decode_avx2(s, in.size(), o, n, vbad);
    o += i / 4 * 3;
    if (vbad) bad |= bad_bit;
  }
#endif
  // Eight characters to six bytes, stored as one 64-bit word while two bytes of
  // room remain after them.
  for (; i + 8 <= in.size() && (i / 4) * 3 + 8 <= n; i += 8, o += 6) {
    const std::uint32_t a = shifted<18>[s[i]] | shifted<12>[s[i + 1]] | shifted<6>[s[i + 2]] | shifted<0>[s[i + 3]];
    const std::uint32_t b = shifted<18>[s[i + 4]] | shifted<12>[s[i + 5]] | shifted<6>[s[i + 6]] | shifted<0>[s[i + 7]];
    bad |= a | b;
    const std::uint64_t w = __builtin_bswap64((std::uint64_t{a & 0xFFFFFF} << 40) | (std::uint64_t{b & 0xFFFFFF} << 16));
    std::memcpy(o, &w, 8);
  }
  for (; i + 4 <= in.size(); i += 4, o += 3) {
    const std::uint32_t v = shifted<18>[s[i]] | shifted<12>[s[i + 1]] | shifted<6>[s[i + 2]] | shifted<0>[s[i + 3]];
    bad |= v;
    o[0] = static_cast<byte>(v >> 16);
    o[1] = static_cast<byte>(v >> 8);
    o[2] = static_cast<byte>(v);
  }
  if (const std::size_t rest = in.size() - i; rest >= 2) {
    const std::uint32_t v = shifted<18>[s[i]] | shifted<12>[s[i + 1]] | (rest == 3 ? shifted<6>[s[i + 2]] : 0u);
    bad |= v;
    o[0] = static_cast<byte>(v >> 16);
    if (rest == 3) o[1] = static_cast<byte>(v >> 8);
    // One encoding per value: the bits no output byte uses must be zero.
    if ((v & (rest == 2 ? 0xFFFFu : 0xFFu)) != 0) bad |= bad_bit;
  }
  if ((bad & bad_bit) != 0) {
    ct::wipe(out.first(n));
    return fail(errc::invalid_encoding);
  }
  return n;
}

[[nodiscard]] inline result<byte_vector> fast_base64url_decode(std::string_view in) {
  byte_vector out(base64url_decoded_size(in.size()));
  auto n = fast_base64url_decode(in, out);
  if (!n) return fail(n.error());
  return out;
}

// ---- standard base64 (RFC 4648 §4, padded): xs:base64Binary, for contentSecurity 3 --------

[[nodiscard]] inline std::string base64_encode(bytes_view in) {
  std::string s = fast_base64url_encode(in);
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  s.append((4 - s.size() % 4) % 4, '=');
  return s;
}

// Strict: the standard alphabet, padding to a multiple of 4, no whitespace.
[[nodiscard]] inline result<byte_vector> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return fail(errc::invalid_encoding);
  std::size_t pad = 0;
  while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
  std::string url(in.substr(0, in.size() - pad));
  for (char& c : url) {
    if (c == '-' || c == '_') return fail(errc::invalid_encoding);
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return fast_base64url_decode(url);
}

}  // namespace m2msec::jose
