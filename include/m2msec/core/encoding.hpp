// m2msec: hex and base64url (RFC 4648 §5, unpadded), strict and constant-time,
// so they are safe for key material.
#pragma once

#include <string>
#include <string_view>

#include "m2msec/core/bytes.hpp"
#include "m2msec/core/result.hpp"
#include "m2msec/core/secret.hpp"

namespace m2msec {
namespace detail {
// Branch-free comparisons on small unsigned values: 0xFF when true, 0 when false.
constexpr unsigned ct_eq(unsigned x, unsigned y) noexcept { return (((0u - (x ^ y)) >> 8) & 0xFF) ^ 0xFF; }
constexpr unsigned ct_gt(unsigned x, unsigned y) noexcept { return ((y - x) >> 8) & 0xFF; }
constexpr unsigned ct_ge(unsigned x, unsigned y) noexcept { return ct_gt(y, x) ^ 0xFF; }
constexpr unsigned ct_lt(unsigned x, unsigned y) noexcept { return ct_gt(y, x); }
constexpr unsigned ct_le(unsigned x, unsigned y) noexcept { return ct_ge(y, x); }

constexpr char b64url_char(unsigned x) noexcept {
  return static_cast<char>((ct_lt(x, 26) & (x + 'A')) | (ct_ge(x, 26) & ct_lt(x, 52) & (x + ('a' - 26))) |
                           (ct_ge(x, 52) & ct_lt(x, 62) & (x + ('0' - 52))) | (ct_eq(x, 62) & '-') |
                           (ct_eq(x, 63) & '_'));
}
// 0..63, or 0xFF for a character outside the URL-safe alphabet.
constexpr unsigned b64url_value(unsigned c) noexcept {
  const unsigned x = (ct_ge(c, 'A') & ct_le(c, 'Z') & (c - 'A')) |
                     (ct_ge(c, 'a') & ct_le(c, 'z') & (c - ('a' - 26))) |
                     (ct_ge(c, '0') & ct_le(c, '9') & (c - ('0' - 52))) | (ct_eq(c, '-') & 62) |
                     (ct_eq(c, '_') & 63);
  return x | (ct_eq(x, 0) & (ct_eq(c, 'A') ^ 0xFF));
}
// 0..15, or 0x100 and above for a character that is not a hex digit.
constexpr unsigned hex_value(unsigned c) noexcept {
  const unsigned num = c ^ 48u, num_ok = ((num - 10u) >> 8) & 0xFF;
  const unsigned alpha = (c & ~32u) - 55u, alpha_ok = (((alpha - 10u) ^ (alpha - 16u)) >> 8) & 0xFF;
  return ((num_ok & num) | (alpha_ok & alpha)) | ((ct_eq(num_ok | alpha_ok, 0) & 1u) << 8);
}
constexpr char hex_char(unsigned nibble) noexcept {
  return static_cast<char>(87u + nibble + (((nibble - 10u) >> 8) & ~38u));
}
}  // namespace detail

// ---- hex -------------------------------------------------------------------

[[nodiscard]] inline std::string hex_encode(bytes_view in) {
  std::string out(in.size() * 2, '\0');
  for (std::size_t i = 0; i < in.size(); ++i) {
    out[2 * i] = detail::hex_char(in[i] >> 4);
    out[2 * i + 1] = detail::hex_char(in[i] & 0xF);
  }
  return out;
}

// Decodes upper- or lower-case hex of even length into out; returns the byte count.
[[nodiscard]] inline result<std::size_t> hex_decode(std::string_view in, mutable_bytes out) noexcept {
  if (in.size() % 2 != 0) return fail(errc::invalid_encoding);
  const std::size_t n = in.size() / 2;
  if (out.size() < n) return fail(errc::buffer_too_small);
  unsigned bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned hi = detail::hex_value(static_cast<unsigned char>(in[2 * i]));
    const unsigned lo = detail::hex_value(static_cast<unsigned char>(in[2 * i + 1]));
    bad |= (hi | lo) >> 8;
    out[i] = static_cast<byte>((hi << 4) | (lo & 0xF));
  }
  if (bad != 0) {
    ct::wipe(out.first(n));
    return fail(errc::invalid_encoding);
  }
  return n;
}

[[nodiscard]] inline result<byte_vector> hex_decode(std::string_view in) {
  byte_vector out(in.size() / 2);
  auto n = hex_decode(in, out);
  if (!n) return fail(n.error());
  return out;
}

// ---- base64url (RFC 4648 §5, no padding) ------------------------------------

[[nodiscard]] constexpr std::size_t base64url_encoded_size(std::size_t n) noexcept {
  return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}
// Bytes that an encoded string of length n decodes to (0 for an impossible length).
[[nodiscard]] constexpr std::size_t base64url_decoded_size(std::size_t n) noexcept {
  return n % 4 == 1 ? 0 : n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
}

// Constant-time in the bytes' values. `String` may be one that wipes its memory
// (jose::wiping_string) when the bytes are a key.
template <class String = std::string>
[[nodiscard]] inline String base64url_encode(bytes_view in) {
  String out(base64url_encoded_size(in.size()), '\0');
  std::size_t o = 0, i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const unsigned v = (unsigned{in[i]} << 16) | (unsigned{in[i + 1]} << 8) | in[i + 2];
    out[o++] = detail::b64url_char((v >> 18) & 63);
    out[o++] = detail::b64url_char((v >> 12) & 63);
    out[o++] = detail::b64url_char((v >> 6) & 63);
    out[o++] = detail::b64url_char(v & 63);
  }
  if (const std::size_t rest = in.size() - i; rest > 0) {
    const unsigned v = (unsigned{in[i]} << 16) | (rest == 2 ? unsigned{in[i + 1]} << 8 : 0u);
    out[o++] = detail::b64url_char((v >> 18) & 63);
    out[o++] = detail::b64url_char((v >> 12) & 63);
    if (rest == 2) out[o++] = detail::b64url_char((v >> 6) & 63);
  }
  return out;
}

// Strict decoding: only the URL-safe alphabet, no padding, no whitespace, and
// the unused low bits of the last character must be zero (one encoding per value).
[[nodiscard]] inline result<std::size_t> base64url_decode(std::string_view in, mutable_bytes out) noexcept {
  if (in.size() % 4 == 1) return fail(errc::invalid_encoding);
  const std::size_t n = base64url_decoded_size(in.size());
  if (out.size() < n) return fail(errc::buffer_too_small);
  unsigned bad = 0;
  std::size_t o = 0, i = 0;
  auto val = [&](std::size_t k) {
    const unsigned v = detail::b64url_value(static_cast<unsigned char>(in[k]));
    bad |= detail::ct_eq(v, 0xFF);
    return v & 63;
  };
  for (; i + 4 <= in.size(); i += 4) {
    const unsigned v = (val(i) << 18) | (val(i + 1) << 12) | (val(i + 2) << 6) | val(i + 3);
    out[o++] = static_cast<byte>(v >> 16);
    out[o++] = static_cast<byte>(v >> 8);
    out[o++] = static_cast<byte>(v);
  }
  if (const std::size_t rest = in.size() - i; rest >= 2) {
    const unsigned c2 = rest == 3 ? val(i + 2) : 0u;
    const unsigned v = (val(i) << 18) | (val(i + 1) << 12) | (c2 << 6);
    out[o++] = static_cast<byte>(v >> 16);
    if (rest == 3) out[o++] = static_cast<byte>(v >> 8);
    // Non-canonical: bits that no output byte uses must be zero.
    const unsigned unused = rest == 2 ? (v & 0xFFFF) : (v & 0xFF);
    bad |= (0u - unused) >> 31;
  }
  if (bad != 0) {
    ct::wipe(out.first(n));
    return fail(errc::invalid_encoding);
  }
  return n;
}

[[nodiscard]] inline result<byte_vector> base64url_decode(std::string_view in) {
  byte_vector out(base64url_decoded_size(in.size()));
  auto n = base64url_decode(in, out);
  if (!n) return fail(n.error());
  return out;
}

// Decoding straight into a secret, so key material never sits in a plain buffer.
[[nodiscard]] inline result<secret> base64url_decode_secret(std::string_view in) noexcept {
  auto s = secret::allocate(base64url_decoded_size(in.size()));
  if (!s) return fail(s.error());
  if (auto n = base64url_decode(in, s->expose()); !n) return fail(n.error());
  return s;
}
[[nodiscard]] inline result<secret> hex_decode_secret(std::string_view in) noexcept {
  auto s = secret::allocate(in.size() / 2);
  if (!s) return fail(s.error());
  if (auto n = hex_decode(in, s->expose()); !n) return fail(n.error());
  return s;
}

}  // namespace m2msec
