// m2msec: the one writer of compact JWEs, and the direct mode with a raw key
// (ESPrim's sessionESPrimKey): "dir" objects sealed under an encoded header.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "m2msec/backend/public_random.hpp"
#include "m2msec/jose/gcm.hpp"
#include "m2msec/jose/jwe_types.hpp"

namespace m2msec::jose {

// The sealed content of a JWE: a fresh IV, then ciphertext || tag in one buffer
// (uninitialised: every byte is written by the AEAD, no memset of a megabyte).
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct sealed_content {
  std::array<byte, iv_size> iv{};
  std::unique_ptr<byte[]> bytes;
  std::size_t size = 0;  // plaintext size + tag_size
  [[nodiscard]] bytes_view ciphertext() const noexcept { return {bytes.get(), size - tag_size}; }
  [[nodiscard]] bytes_view tag() const noexcept { return {bytes.get() + size - tag_size, tag_size}; }
};
[[nodiscard]] inline result<sealed_content> seal_content(enc e, bytes_view cek, std::string_view aad,
                                                         bytes_view plaintext) {
  sealed_content s;
  if (auto r = crypto::public_random::fill(s.iv); !r) return fail(r.error());
  s.size = plaintext.size() + tag_size;
  s.bytes.reset(new byte[s.size]);
  if (auto r = gcm_seal(e, cek, s.iv, as_bytes(aad), plaintext, {s.bytes.get(), s.size}); !r) return fail(r.error());
  return s;
}

// RFC 7516 §7.1: the compact serialization, the only place m2msec writes one:
// BASE64URL(header) '.' BASE64URL(encrypted key) '.' IV '.' ciphertext '.' tag,
// the encoded header being the AAD.
[[nodiscard]] inline result<std::string> seal_compact(bytes_view plaintext, bytes_view cek, enc e,
                                                      std::string_view header_b64, bytes_view encrypted_key = {}) {
  if (cek.size() != key_size(e)) return fail(errc::invalid_key_size);
  auto s = seal_content(e, cek, header_b64, plaintext);
  if (!s) return fail(s.error());
  std::string out;
  out.reserve(header_b64.size() + base64url_encoded_size(encrypted_key.size()) +
              base64url_encoded_size(s->size) + 24);
  out += header_b64;
  out += '.';
  base64url_append(out, encrypted_key);
  out += '.';
  base64url_append(out, s->iv);
  out += '.';
  base64url_append(out, s->ciphertext());
  out += '.';
  base64url_append(out, s->tag());
  return out;
}

// The encoded protected header of a compact "dir" JWE: {"alg":"dir","enc":...}
// and then `members`, JSON object members already written (without alg and enc).
[[nodiscard]] inline std::string direct_header(enc e, std::string_view members) {
  std::string prot = "{\"alg\":\"dir\",\"enc\":\"";
  prot += to_string(e);
  prot += '"';
  if (!members.empty()) {
    prot += ',';
    prot += members;
  }
  prot += '}';
  return fast_base64url_encode(as_bytes(prot));
}

// Compact, alg "dir", the protected header made of `members` and alg, enc.
[[nodiscard]] inline result<std::string> seal_direct(bytes_view plaintext, bytes_view key, enc e,
                                                     std::string_view members) {
  if (key.size() != key_size(e)) return fail(errc::invalid_key_size);
  return seal_compact(plaintext, key, e, direct_header(e, members));
}

// Opens a parsed compact "dir" JWE with `key` (in place: the plaintext is the
// parsed object's buffer).
[[nodiscard]] inline result<byte_vector> decrypt_direct(parsed_jwe&& p, bytes_view key) {
  if (p.recipients.size() != 1 || p.recipients[0].algorithm != alg::dir) return fail(errc::alg_not_allowed);
  auto n = gcm_open(p.encryption, key, p.iv, as_bytes(p.aad), p.sealed);
  if (!n) return fail(n.error());
  byte_vector out = std::move(p.sealed);
  out.resize(*n);
  return out;
}

}  // namespace m2msec::jose
