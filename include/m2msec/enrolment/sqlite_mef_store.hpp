// m2msec: the MEF's persistent store on SQLite 3 (the embedded default), on the
// shared database of enrolment/sqlite_function_store.hpp. Ke is sealed at rest
// (enrolment/sealed_enrolment.hpp): a row copied under another KeID, a lifetime
// or Target list changed in the file, or a row read under another store key is
// corrupted, never served. Several processes may share one file.
#pragma once

#include "m2msec/enrolment/sealed_enrolment.hpp"
#include "m2msec/enrolment/sqlite_function_store.hpp"

namespace m2msec {

// Thread safety: one thread at a time per object; distinct objects are independent.
class sqlite_mef_store : public sqlite_function_store {
 public:
  [[nodiscard]] static result<sqlite_mef_store> open(const std::filesystem::path& file, const secret& store_key,
                                                     std::chrono::milliseconds busy = std::chrono::seconds(10)) {
    auto a = enrolment_sealer::create(store_key);
    if (!a) return fail(a.error());
    sqlite_mef_store s(std::move(*a));
    if (auto r = s.open_database(file, busy, {"CREATE TABLE IF NOT EXISTS enrolment (ke_id TEXT PRIMARY KEY, "
                                              "enrolee TEXT NOT NULL, targets TEXT NOT NULL, not_before INTEGER NOT NULL, "
                                              "not_after INTEGER NOT NULL, sealed BLOB NOT NULL) STRICT"});
        !r)
      return fail(r.error());
    return s;
  }

  // TS-0003 §8.3.2.1: keeps the enrolment, replacing one under the same KeID.
  [[nodiscard]] result<void> put(enrolment_record r) {
    auto row = sealer_.seal(r);
    if (!row) return fail(row.error());
    return transaction([&]() -> result<void> {
      statement st(db_.get(),
                   "INSERT OR REPLACE INTO enrolment (ke_id, enrolee, targets, not_before, not_after, sealed) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      if (!st) return fail(errc::io_error);
      st.text(1, row->id);
      st.text(2, row->enrolee);
      st.text(3, row->targets);
      st.integer(4, row->not_before);
      st.integer(5, row->not_after);
      st.blob(6, row->sealed);
      return st.step() == SQLITE_DONE ? result<void>{} : fail(errc::io_error);
    });
  }

  // The enrolment under `id`: not_found when there is none, corrupted when its
  // row does not open, expired once its lifetime is over at `now`.
  [[nodiscard]] result<enrolment_record> find(const ke_id& id, time_point now) const {
    statement st(db_.get(), "SELECT enrolee, targets, not_before, not_after, sealed FROM enrolment WHERE ke_id = ?1");
    if (!st) return fail(errc::io_error);
    enrolment_row row{id.str(), {}, {}, 0, 0, {}};
    st.text(1, row.id);
    const int rc = st.step();
    if (rc == SQLITE_DONE) return fail(errc::not_found);
    if (rc != SQLITE_ROW) return fail(errc::io_error);
    row.enrolee = st.column_text(0);
    row.targets = st.column_text(1);
    row.not_before = st.column_integer(2);
    row.not_after = st.column_integer(3);
    const bytes_view sealed = st.column_blob(4);
    row.sealed.assign(sealed.begin(), sealed.end());
    auto r = sealer_.open(id, row);
    if (!r) return fail(r.error());
    if (auto c = r->lifetime.check(now); !c) return fail(c.error());
    return r;
  }

  [[nodiscard]] result<bool> erase(const ke_id& id) { return erase_where("DELETE FROM enrolment WHERE ke_id = ?1", id.str()); }
  // Drops every enrolment whose lifetime is over at `now`; returns how many.
  [[nodiscard]] result<std::size_t> purge(time_point now) {
    return purge_where("DELETE FROM enrolment WHERE not_after < ?1", now);
  }

 private:
  explicit sqlite_mef_store(enrolment_sealer a) : sealer_(std::move(a)) {}
  enrolment_sealer sealer_;
};
static_assert(mef_store<sqlite_mef_store>);

}  // namespace m2msec
