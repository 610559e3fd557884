// m2msec: a fast base64url (RFC 4648 §5, unpadded) for public bytes: JOSE
// ciphertext, payloads and headers. Table lookups make its timing depend on
// the data, so key material goes through core/encoding.hpp instead. Decoding
// is as strict as the constant-time codec: URL-safe alphabet only, no padding,
// no whitespace, zero unused bits in the last character.
#pragma once

#include <array>
#include <cstdint>
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

}  // namespace b64_detail

// Writes base64url_encoded_size(in.size()) characters at out.
inline void base64url_encode_to(bytes_view in, char* out) noexcept {
  std::size_t i = 0;
  const std::size_t n = in.size();
  const byte* p = in.data();
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

// Appends the encoding of in to s.
inline void base64url_append(std::string& s, bytes_view in) {
  const std::size_t at = s.size();
  s.resize(at + base64url_encoded_size(in.size()));
  base64url_encode_to(in, s.data() + at);
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
