// m2msec: one enrolment as a database row, Ke sealed at rest. The sealer is
// shared by the MEF's stores (SQLite, PostgreSQL): XChaCha20-Poly1305 under a
// 32-byte store key, a fresh nonce per row, and associated data holding every
// other column, so a row copied under another KeID, a lifetime or Target list
// changed in the database, or a row read under another store key is corrupted,
// never served. A row is opened before any of its columns is parsed.
#pragma once

#include <cstdint>
#include <string>

#include "m2msec/backend/aead.hpp"
#include "m2msec/backend/random.hpp"
#include "m2msec/enrolment/mef_store.hpp"

namespace m2msec {

// The columns of one enrolment as a store keeps them.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct enrolment_row {
  std::string id;       // KeID, the primary key
  std::string enrolee;  // entity_text
  std::string targets;  // entity_text of each, each ended by '\n'
  std::int64_t not_before = 0, not_after = 0;  // time_point ticks
  byte_vector sealed;   // nonce || Ke sealed
};

// A secret column sealed at rest: XChaCha20-Poly1305 under the 32-byte store
// key, a fresh nonce per row, the row's other columns as associated data.
// Thread safety: one thread at a time per object; distinct objects are independent.
class column_sealer {
 public:
  using aead = crypto::aead<crypto::xchacha20_poly1305, backend::sodium>;

  [[nodiscard]] static result<column_sealer> create(const secret& store_key) {
    if (store_key.size() != aead::key_size) return fail(errc::invalid_key_size);
    auto a = aead::create(store_key.expose());
    if (!a) return fail(a.error());
    return column_sealer(std::move(*a));
  }
  // nonce || sealed `key`, bound to `ad`.
  [[nodiscard]] result<byte_vector> seal(const secret& key, std::string_view ad) const {
    byte_vector out(aead::nonce_size + aead::sealed_size(key.size()));
    const mutable_bytes nonce = mutable_bytes(out).first(aead::nonce_size);
    if (auto n = crypto::rng<>::fill(nonce); !n) return fail(n.error());
    if (auto r = aead_.seal(mutable_bytes(out).subspan(aead::nonce_size), nonce, as_bytes(ad), key.expose()); !r)
      return fail(r.error());
    return out;
  }
  // The key, when `sealed` opens under this store key and `ad`; corrupted otherwise.
  [[nodiscard]] result<secret> open(bytes_view sealed, std::string_view ad) const {
    if (sealed.size() < aead::nonce_size + aead::tag_size) return fail(errc::corrupted);
    auto key = secret::allocate(sealed.size() - aead::nonce_size - aead::tag_size);
    if (!key) return fail(key.error());
    if (!aead_.open(key->expose(), sealed.first(aead::nonce_size), as_bytes(ad), sealed.subspan(aead::nonce_size)))
      return fail(errc::corrupted);
    return key;
  }
  // `label`, then each part after its length: no two rows share it.
  [[nodiscard]] static std::string associated_data(std::string_view label, std::initializer_list<std::string_view> parts) {
    std::string ad(label);
    for (auto part : parts) {
      ad += std::to_string(part.size()) + ':';
      ad += part;
    }
    return ad;
  }

 private:
  explicit column_sealer(aead a) : aead_(std::move(a)) {}
  mutable aead aead_;  // the AEAD policies' seal and open are not const; neither changes the key
};

// Entity texts, each ended by '\n', and back (corrupted when they do not parse).
[[nodiscard]] inline std::string entity_list(const std::vector<entity_id>& v) {
  std::string out;
  for (const auto& e : v) out += entity_text(e) + "\n";
  return out;
}
[[nodiscard]] inline result<std::vector<entity_id>> parse_entity_list(std::string_view rest) {
  std::vector<entity_id> out;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    if (end == std::string_view::npos) return fail(errc::corrupted);
    auto t = parse_entity_text(rest.substr(0, end));
    if (!t) return fail(errc::corrupted);
    out.push_back(std::move(*t));
    rest.remove_prefix(end + 1);
  }
  return out;
}

// Thread safety: one thread at a time per object; distinct objects are independent.
class enrolment_sealer {
 public:
  static constexpr std::string_view ad_label = "m2msec mef enrolment v1:";

  [[nodiscard]] static result<enrolment_sealer> create(const secret& store_key) {
    auto c = column_sealer::create(store_key);
    if (!c) return fail(c.error());
    return enrolment_sealer(std::move(*c));
  }

  [[nodiscard]] result<enrolment_row> seal(const enrolment_record& r) const {
    enrolment_row row{r.id.str(), entity_text(r.enrolee), entity_list(r.targets),
                      r.lifetime.not_before().time_since_epoch().count(), r.lifetime.not_after().time_since_epoch().count(), {}};
    auto sealed = sealer_.seal(r.ke, associated_data(row));
    if (!sealed) return fail(sealed.error());
    row.sealed = std::move(*sealed);
    return row;
  }

  // The record a row holds, opened first: a row whose seal does not open under
  // this key and these columns is corrupted, whatever its columns say.
  [[nodiscard]] result<enrolment_record> open(const ke_id& id, const enrolment_row& row) const {
    if (row.id != id.str()) return fail(errc::corrupted);
    auto ke = sealer_.open(row.sealed, associated_data(row));
    if (!ke) return fail(ke.error());
    auto enrolee = parse_entity_text(row.enrolee);
    auto targets = parse_entity_list(row.targets);
    auto life = validity::make(time_point(duration(row.not_before)), time_point(duration(row.not_after)));
    if (!enrolee || !targets || !life) return fail(errc::corrupted);
    return enrolment_record{id, std::move(*ke), std::move(*enrolee), std::move(*targets), *life};
  }

 private:
  explicit enrolment_sealer(column_sealer s) : sealer_(std::move(s)) {}

  // Every column but the sealed one.
  static std::string associated_data(const enrolment_row& row) {
    return column_sealer::associated_data(ad_label, {row.id, row.enrolee, row.targets}) + std::to_string(row.not_before) +
           ':' + std::to_string(row.not_after);
  }

  column_sealer sealer_;
};

}  // namespace m2msec
