// m2msec: the MAF's store on PostgreSQL (libpq), for a provider that runs several
// MAF replicas on one database, on the shared connection of
// enrolment/postgres_function_store.hpp: the same rows as the SQLite store, each
// key sealed the same way (enrolment/sealed_key.hpp).
#pragma once

#include "m2msec/enrolment/postgres_function_store.hpp"
#include "m2msec/enrolment/sealed_key.hpp"

namespace m2msec {

// Thread safety: one thread at a time per object; distinct objects are independent.
class postgres_maf_store : public postgres_function_store {
 public:
  // `conninfo`: a libpq connection string or URI; `table`: lower-case letters,
  // digits and '_' (several MAFs may share a database).
  [[nodiscard]] static result<postgres_maf_store> open(const std::string& conninfo, const secret& store_key,
                                                       std::string_view table = "m2msec_maf_key") {
    auto sealer = key_sealer::create(store_key);
    if (!sealer) return fail(sealer.error());
    postgres_maf_store s(std::move(*sealer));
    const std::string t(table);
    if (auto r = s.open_database(conninfo, table,
                                 "CREATE TABLE IF NOT EXISTS " + t + " (rel_id TEXT PRIMARY KEY, source TEXT NOT NULL, "
                                 "suid BIGINT NOT NULL, targets TEXT NOT NULL, labels TEXT NOT NULL, admin TEXT NOT NULL, "
                                 "not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, sealed BYTEA NOT NULL)");
        !r)
      return fail(r.error());
    s.sql_ = statements(t);
    return s;
  }

  // TS-0003 §8.8.2.7: keeps the key, replacing one under the same RelativeKeyID.
  [[nodiscard]] result<void> put_key(key_registration k) {
    auto row = sealer_.seal(k);
    if (!row) return fail(row.error());
    const std::string usage = std::to_string(row->usage), nb = std::to_string(row->not_before),
                      na = std::to_string(row->not_after);
    auto res = write(sql_.put, {text(row->id), text(row->source), text(usage), text(row->targets), text(row->labels),
                                text(row->admin), text(nb), text(na), binary(row->sealed)});
    return res ? result<void>{} : fail(errc::io_error);
  }

  // The key under `id`: not_found when there is none, corrupted when its row
  // does not open, expired once its lifetime is over at `now`.
  [[nodiscard]] result<key_registration> find_key(std::string_view id, time_point now) const {
    auto res = run(sql_.find, {text(id)});
    if (!res) return fail(errc::io_error);
    if (PQntuples(res.get()) == 0) return fail(errc::not_found);
    auto usage = column_integer(res, 1), nb = column_integer(res, 5), na = column_integer(res, 6);
    if (!usage || !nb || !na) return fail(errc::corrupted);
    const auto sealed = column(res, 7);
    key_row row{std::string(id),       column_text(res, 0), *usage, column_text(res, 2), column_text(res, 3),
                column_text(res, 4), *nb, *na, byte_vector(sealed.begin(), sealed.end())};
    auto k = sealer_.open(id, row);
    if (!k) return fail(k.error());
    if (auto c = k->lifetime.check(now); !c) return fail(c.error());
    return k;
  }

  [[nodiscard]] result<bool> erase_key(std::string_view id) { return erased(sql_.erase, id); }
  // Drops every key whose lifetime is over at `now`; returns how many.
  [[nodiscard]] result<std::size_t> purge(time_point now) { return purged(sql_.purge, now); }

 private:
  struct statements {
    std::string put, find, erase, purge;
    statements() = default;
    explicit statements(const std::string& t)
        : put("INSERT INTO " + t + " (rel_id, source, suid, targets, labels, admin, not_before, not_after, sealed) "
              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (rel_id) DO UPDATE SET source = EXCLUDED.source, "
              "suid = EXCLUDED.suid, targets = EXCLUDED.targets, labels = EXCLUDED.labels, admin = EXCLUDED.admin, "
              "not_before = EXCLUDED.not_before, not_after = EXCLUDED.not_after, sealed = EXCLUDED.sealed"),
          find("SELECT source, suid, targets, labels, admin, not_before, not_after, sealed FROM " + t + " WHERE rel_id = $1"),
          erase("DELETE FROM " + t + " WHERE rel_id = $1"),
          purge("DELETE FROM " + t + " WHERE not_after < $1") {}
  };
  explicit postgres_maf_store(key_sealer s) : sealer_(std::move(s)) {}
  key_sealer sealer_;
  statements sql_;
};
static_assert(maf_store<postgres_maf_store>);

}  // namespace m2msec
