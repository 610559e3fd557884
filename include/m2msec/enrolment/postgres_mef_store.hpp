// m2msec: the MEF's store on PostgreSQL (libpq), for a provider that runs several
// MEF replicas on one database, on the shared connection of
// enrolment/postgres_function_store.hpp: the same rows as the SQLite store, Ke
// sealed the same way (enrolment/sealed_enrolment.hpp).
#pragma once

#include "m2msec/enrolment/postgres_function_store.hpp"
#include "m2msec/enrolment/sealed_enrolment.hpp"

namespace m2msec {

// Thread safety: one thread at a time per object; distinct objects are independent.
class postgres_mef_store : public postgres_function_store {
 public:
  // `conninfo`: a libpq connection string or URI; `table`: lower-case letters,
  // digits and '_' (several MEFs may share a database).
  [[nodiscard]] static result<postgres_mef_store> open(const std::string& conninfo, const secret& store_key,
                                                       std::string_view table = "m2msec_enrolment") {
    auto sealer = enrolment_sealer::create(store_key);
    if (!sealer) return fail(sealer.error());
    postgres_mef_store s(std::move(*sealer));
    const std::string t(table);
    if (auto r = s.open_database(conninfo, table,
                                 "CREATE TABLE IF NOT EXISTS " + t + " (ke_id TEXT PRIMARY KEY, enrolee TEXT NOT NULL, "
                                 "targets TEXT NOT NULL, not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, "
                                 "sealed BYTEA NOT NULL)");
        !r)
      return fail(r.error());
    s.sql_ = statements(t);
    return s;
  }

  // TS-0003 §8.3.2.1: keeps the enrolment, replacing one under the same KeID.
  [[nodiscard]] result<void> put(enrolment_record r) {
    auto row = sealer_.seal(r);
    if (!row) return fail(row.error());
    const std::string nb = std::to_string(row->not_before), na = std::to_string(row->not_after);
    auto res = write(sql_.put, {text(row->id), text(row->enrolee), text(row->targets), text(nb), text(na), binary(row->sealed)});
    return res ? result<void>{} : fail(errc::io_error);
  }

  // The enrolment under `id`: not_found when there is none, corrupted when its
  // row does not open, expired once its lifetime is over at `now`.
  [[nodiscard]] result<enrolment_record> find(const ke_id& id, time_point now) const {
    auto res = run(sql_.find, {text(id.str())});
    if (!res) return fail(errc::io_error);
    if (PQntuples(res.get()) == 0) return fail(errc::not_found);
    auto nb = column_integer(res, 2), na = column_integer(res, 3);
    if (!nb || !na) return fail(errc::corrupted);
    const auto sealed = column(res, 4);
    enrolment_row row{id.str(), column_text(res, 0), column_text(res, 1), *nb, *na, byte_vector(sealed.begin(), sealed.end())};
    auto r = sealer_.open(id, row);
    if (!r) return fail(r.error());
    if (auto c = r->lifetime.check(now); !c) return fail(c.error());
    return r;
  }

  [[nodiscard]] result<bool> erase(const ke_id& id) { return erased(sql_.erase, id.str()); }
  // Drops every enrolment whose lifetime is over at `now`; returns how many.
  [[nodiscard]] result<std::size_t> purge(time_point now) { return purged(sql_.purge, now); }

 private:
  struct statements {
    std::string put, find, erase, purge;
    statements() = default;
    explicit statements(const std::string& t)
        : put("INSERT INTO " + t + " (ke_id, enrolee, targets, not_before, not_after, sealed) VALUES ($1, $2, $3, $4, $5, $6) "
              "ON CONFLICT (ke_id) DO UPDATE SET enrolee = EXCLUDED.enrolee, targets = EXCLUDED.targets, "
              "not_before = EXCLUDED.not_before, not_after = EXCLUDED.not_after, sealed = EXCLUDED.sealed"),
          find("SELECT enrolee, targets, not_before, not_after, sealed FROM " + t + " WHERE ke_id = $1"),
          erase("DELETE FROM " + t + " WHERE ke_id = $1"),
          purge("DELETE FROM " + t + " WHERE not_after < $1") {}
  };
  explicit postgres_mef_store(enrolment_sealer s) : sealer_(std::move(s)) {}
  enrolment_sealer sealer_;
  statements sql_;
};
static_assert(mef_store<postgres_mef_store>);

}  // namespace m2msec
