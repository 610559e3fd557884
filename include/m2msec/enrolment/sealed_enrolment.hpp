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
struct enrolment_row {
  std::string id;       // KeID, the primary key
  std::string enrolee;  // entity_text
  std::string targets;  // entity_text of each, each ended by '\n'
  std::int64_t not_before = 0, not_after = 0;  // time_point ticks
  byte_vector sealed;   // nonce || Ke sealed
};

class enrolment_sealer {
 public:
  using aead = crypto::aead<crypto::xchacha20_poly1305, backend::sodium>;
  static constexpr std::string_view ad_label = "m2msec mef enrolment v1:";

  [[nodiscard]] static result<enrolment_sealer> create(const secret& store_key) {
    if (store_key.size() != aead::key_size) return fail(errc::invalid_key_size);
    auto a = aead::create(store_key.expose());
    if (!a) return fail(a.error());
    return enrolment_sealer(std::move(*a));
  }

  [[nodiscard]] result<enrolment_row> seal(const enrolment_record& r) const {
    enrolment_row row{r.id.str(), entity_text(r.enrolee), {}, r.lifetime.not_before().time_since_epoch().count(),
                      r.lifetime.not_after().time_since_epoch().count(),
                      byte_vector(aead::nonce_size + aead::sealed_size(r.ke.size()))};
    for (const auto& t : r.targets) row.targets += entity_text(t) + "\n";
    const mutable_bytes nonce = mutable_bytes(row.sealed).first(aead::nonce_size);
    if (auto n = crypto::rng<>::fill(nonce); !n) return fail(n.error());
    const std::string ad = associated_data(row);
    if (auto s = aead_.seal(mutable_bytes(row.sealed).subspan(aead::nonce_size), nonce, as_bytes(ad), r.ke.expose()); !s)
      return fail(s.error());
    return row;
  }

  // The record a row holds, opened first: a row whose seal does not open under
  // this key and these columns is corrupted, whatever its columns say.
  [[nodiscard]] result<enrolment_record> open(const ke_id& id, const enrolment_row& row) const {
    if (row.id != id.str()) return fail(errc::corrupted);
    const bytes_view sealed = row.sealed;
    if (sealed.size() < aead::nonce_size + aead::tag_size) return fail(errc::corrupted);
    auto ke = secret::allocate(sealed.size() - aead::nonce_size - aead::tag_size);
    if (!ke) return fail(ke.error());
    const std::string ad = associated_data(row);
    if (!aead_.open(ke->expose(), sealed.first(aead::nonce_size), as_bytes(ad), sealed.subspan(aead::nonce_size)))
      return fail(errc::corrupted);
    auto enrolee = parse_entity_text(row.enrolee);
    if (!enrolee) return fail(errc::corrupted);
    std::vector<entity_id> targets;
    for (std::string_view rest = row.targets; !rest.empty();) {
      const auto end = rest.find('\n');
      if (end == std::string_view::npos) return fail(errc::corrupted);
      auto t = parse_entity_text(rest.substr(0, end));
      if (!t) return fail(errc::corrupted);
      targets.push_back(std::move(*t));
      rest.remove_prefix(end + 1);
    }
    auto life = validity::make(time_point(duration(row.not_before)), time_point(duration(row.not_after)));
    if (!life) return fail(errc::corrupted);
    return enrolment_record{id, std::move(*ke), std::move(*enrolee), std::move(targets), *life};
  }

 private:
  explicit enrolment_sealer(aead a) : aead_(std::move(a)) {}

  // Every column but the sealed one, each after its length: no two rows share it.
  static std::string associated_data(const enrolment_row& row) {
    std::string ad(ad_label);
    for (std::string_view part : {std::string_view(row.id), std::string_view(row.enrolee), std::string_view(row.targets)}) {
      ad += std::to_string(part.size()) + ':';
      ad += part;
    }
    ad += std::to_string(row.not_before) + ':' + std::to_string(row.not_after);
    return ad;
  }

  mutable aead aead_;  // the AEAD policies' seal and open are not const; neither changes the key
};

}  // namespace m2msec
