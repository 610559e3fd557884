// m2msec: one key a MAF registered as a database row, the key sealed at rest as
// the MEF's Ke is (enrolment/sealed_enrolment.hpp): every other column is
// associated data, so a row copied under another RelativeKeyID, a target list,
// source, SUID or lifetime changed in the database, or a row read under another
// store key is corrupted, never served. A row is opened before any column is parsed.
#pragma once

#include "m2msec/enrolment/maf_store.hpp"
#include "m2msec/enrolment/sealed_enrolment.hpp"

namespace m2msec {

// The columns of one registered key as a store keeps them.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct key_row {
  std::string id;       // RelativeKeyID, the primary key
  std::string source;   // entity_text
  std::int64_t usage = 0;
  std::string targets;  // entity_list
  std::string labels;   // joined
  std::string admin;    // empty when none
  std::int64_t not_before = 0, not_after = 0;  // time_point ticks
  byte_vector sealed;   // nonce || key sealed
};

// Thread safety: one thread at a time per object; distinct objects are independent.
class key_sealer {
 public:
  static constexpr std::string_view ad_label = "m2msec maf key v1:";

  [[nodiscard]] static result<key_sealer> create(const secret& store_key) {
    auto c = column_sealer::create(store_key);
    if (!c) return fail(c.error());
    return key_sealer(std::move(*c));
  }

  [[nodiscard]] result<key_row> seal(const key_registration& k) const {
    key_row row{k.relative_id, entity_text(k.source), static_cast<int>(k.usage), entity_list(k.targets),
                joined(k.labels), k.admin ? k.admin->str() : std::string(),
                k.lifetime.not_before().time_since_epoch().count(), k.lifetime.not_after().time_since_epoch().count(), {}};
    auto sealed = sealer_.seal(k.key, associated_data(row));
    if (!sealed) return fail(sealed.error());
    row.sealed = std::move(*sealed);
    return row;
  }

  [[nodiscard]] result<key_registration> open(std::string_view id, const key_row& row) const {
    if (row.id != id) return fail(errc::corrupted);
    auto key = sealer_.open(row.sealed, associated_data(row));
    if (!key) return fail(key.error());
    auto source = parse_entity_text(row.source);
    auto targets = parse_entity_list(row.targets);
    auto labels = split_labels(row.labels);
    auto usage = suid_from_int(static_cast<int>(std::clamp<std::int64_t>(row.usage, -1, 100)));
    auto life = validity::make(time_point(duration(row.not_before)), time_point(duration(row.not_after)));
    if (!source || !targets || !labels || !usage || !life) return fail(errc::corrupted);
    key_registration k{row.id, std::move(*key), std::move(*source), *usage, std::move(*targets), *life, std::move(*labels),
                       std::nullopt};
    if (!row.admin.empty()) {
      auto a = fqdn::parse(row.admin);
      if (!a) return fail(errc::corrupted);
      k.admin = std::move(*a);
    }
    return k;
  }

 private:
  explicit key_sealer(column_sealer s) : sealer_(std::move(s)) {}

  // Every column but the sealed one.
  static std::string associated_data(const key_row& row) {
    return column_sealer::associated_data(ad_label, {row.id, row.source, row.targets, row.labels, row.admin}) +
           std::to_string(row.usage) + ':' + std::to_string(row.not_before) + ':' + std::to_string(row.not_after);
  }

  column_sealer sealer_;
};

}  // namespace m2msec
