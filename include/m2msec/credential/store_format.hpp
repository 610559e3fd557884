// m2msec: the credential store's file format: a header, then the records sealed
// with XChaCha20-Poly1305 under the storage key (credential/store.hpp keeps the file).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "m2msec/backend/aead.hpp"
#include "m2msec/core/endian.hpp"
#include "m2msec/credential/symmetric.hpp"

namespace m2msec {

namespace store_format {

// magic | version | AEAD id | nonce | XChaCha20-Poly1305(records). The AD is
// the header and, from version 2, the file's name in its folder, so that a
// file copied over another store's (under the same storage key) is refused.
// Version 1 files (header alone as AD) are read and rewritten as version 2.
inline constexpr byte magic[8] = {'M', '2', 'M', 'S', 'E', 'C', 'S', 'T'};
inline constexpr byte version = 2, version_unbound = 1;
inline constexpr byte aead_xchacha20_poly1305 = 1;
using aead = crypto::aead<crypto::xchacha20_poly1305, backend::sodium>;
inline constexpr std::size_t header_size = sizeof magic + 2 + aead::nonce_size;
inline constexpr std::size_t max_file_size = 16u << 20;
inline constexpr std::size_t max_records = 65535;
inline constexpr std::size_t max_field = 65535;  // u16 lengths: Credential-ID, holder, key

// One record, big-endian:
//   u16 len | Credential-ID | u8 SUID | u8 holder kind | u16 len | holder |
//   i64 not_before | i64 not_after (ns since 1970) | u16 len | key
// Thread safety: one thread at a time per object; distinct objects are independent.
class writer {
 public:
  explicit writer(mutable_bytes out) noexcept : out_(out) {}
  void u8(std::uint64_t v) noexcept { put(static_cast<byte>(v)); }
  void be(std::uint64_t v, int bytes) noexcept {
    byte b[8];
    store_be(b, v, static_cast<std::size_t>(bytes));
    for (int i = 0; i < bytes; ++i) put(b[i]);
  }
  void text(std::string_view s) noexcept {
    be(s.size(), 2);
    for (char c : s) put(static_cast<byte>(c));
  }
  void blob(bytes_view b) noexcept {
    be(b.size(), 2);
    for (byte c : b) put(c);
  }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }

 private:
  void put(byte b) noexcept {
    if (n_ < out_.size()) out_[n_] = b;
    ++n_;
  }
  mutable_bytes out_;
  std::size_t n_ = 0;
};

// Thread safety: one thread at a time per object; distinct objects are independent.
class reader {
 public:
  explicit reader(bytes_view in) noexcept : in_(in) {}
  [[nodiscard]] bool be(std::uint64_t& v, int bytes) noexcept {
    if (in_.size() < static_cast<std::size_t>(bytes)) return false;
    v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | in_[i];
    in_ = in_.subspan(bytes);
    return true;
  }
  [[nodiscard]] bool chunk(bytes_view& out) noexcept {
    std::uint64_t n;
    if (!be(n, 2) || in_.size() < n) return false;
    out = in_.first(n);
    in_ = in_.subspan(n);
    return true;
  }
  [[nodiscard]] bool done() const noexcept { return in_.empty(); }

 private:
  bytes_view in_;
};

inline std::string_view as_text(bytes_view b) noexcept { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

template <class Map>
inline std::size_t write_records(const Map& records, mutable_bytes out) noexcept {
  writer w(out);
  w.be(records.size(), 4);
  for (const auto& [key, c] : records) {
    w.text(key);
    w.u8(static_cast<std::uint64_t>(c.usage()));
    w.u8(c.holder().index());
    w.text(to_string(c.holder()));
    w.be(static_cast<std::uint64_t>(c.lifetime().not_before().time_since_epoch().count()), 8);
    w.be(static_cast<std::uint64_t>(c.lifetime().not_after().time_since_epoch().count()), 8);
    w.blob(c.key().expose());
  }
  return w.size();
}

// The limits the reader has, held before anything is written: a file the
// store writes is one it can read back.
template <class Map>
inline result<std::size_t> checked_size(const Map& records) noexcept {
  if (records.size() > max_records) return fail(errc::message_too_long, "credential store", "more credentials than a file holds");
  for (const auto& [key, c] : records)
    if (key.size() > max_field || to_string(c.holder()).size() > max_field || c.key().size() > max_field)
      return fail(errc::message_too_long, "credential store", "an identifier, holder or key longer than a record holds");
  const std::size_t plain = write_records(records, {});
  if (header_size + aead::sealed_size(plain) > max_file_size) return fail(errc::message_too_long, "credential store", "larger than a file can be");
  return plain;
}

inline result<entity_id> parse_holder(std::uint64_t kind, std::string_view text) {
  auto wrap = [](auto r) -> result<entity_id> {
    if (!r) return fail(errc::corrupted);
    return entity_id(std::move(*r));
  };
  switch (kind) {
    case 0: return wrap(cse_id::parse(text));
    case 1: return wrap(ae_id::parse(text));
    case 2: return wrap(node_id::parse(text));
    case 3: return wrap(fqdn::parse(text));
  }
  return fail(errc::corrupted);
}

// Reads the plaintext records; any deviation is errc::corrupted.
inline result<std::vector<symmetric_credential>> parse_records(bytes_view plain) {
  reader r(plain);
  std::uint64_t count;
  if (!r.be(count, 4) || count > max_records) return fail(errc::corrupted, "credential store", "a bad record count");
  std::vector<symmetric_credential> out;
  for (std::uint64_t i = 0; i < count; ++i) {
    bytes_view id_text, holder_text, key;
    std::uint64_t usage, kind, nb, na;
    if (!r.chunk(id_text) || !r.be(usage, 1) || !r.be(kind, 1) || !r.chunk(holder_text) || !r.be(nb, 8) ||
        !r.be(na, 8) || !r.chunk(key))
      return fail(errc::corrupted, "credential store", "a record is cut short");
    auto id = credential_id::parse(as_text(id_text));
    auto s = suid_from_int(static_cast<int>(usage));
    auto holder = parse_holder(kind, as_text(holder_text));
    auto life = validity::make(time_point(duration(static_cast<duration::rep>(nb))),
                               time_point(duration(static_cast<duration::rep>(na))));
    if (!id || !s || !holder || !life) return fail(errc::corrupted, "credential store", "a record's identifier, usage, holder or lifetime does not parse");
    auto k = secret::copy_of(key);
    if (!k) return fail(k.error());
    auto c = symmetric_credential::make(std::move(*k), std::move(*id), *s, std::move(*holder), *life);
    if (!c) return fail(errc::corrupted);
    out.push_back(std::move(*c));
  }
  if (!r.done()) return fail(errc::corrupted, "credential store", "bytes after the last record");
  return out;
}

}  // namespace store_format

}  // namespace m2msec
