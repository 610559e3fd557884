// m2msec: the MAF's persistent store on SQLite 3 (the embedded default), on the
// shared database of enrolment/sqlite_function_store.hpp: the client
// registrations and the registered keys, each key sealed at rest
// (enrolment/sealed_key.hpp). Several processes may share one file.
#pragma once

#include "m2msec/enrolment/sealed_key.hpp"
#include "m2msec/enrolment/sqlite_function_store.hpp"

namespace m2msec {

// Thread safety: one thread at a time per object; distinct objects are independent.
class sqlite_maf_store : public sqlite_function_store {
 public:
  [[nodiscard]] static result<sqlite_maf_store> open(const std::filesystem::path& file, const secret& store_key,
                                                     std::chrono::milliseconds busy = std::chrono::seconds(10)) {
    auto a = key_sealer::create(store_key);
    if (!a) return fail(a.error());
    sqlite_maf_store s(std::move(*a));
    if (auto r = s.open_database(file, busy, {"CREATE TABLE IF NOT EXISTS maf_key (rel_id TEXT PRIMARY KEY, "
                                              "source TEXT NOT NULL, suid INTEGER NOT NULL, targets TEXT NOT NULL, "
                                              "labels TEXT NOT NULL, admin TEXT NOT NULL, not_before INTEGER NOT NULL, "
                                              "not_after INTEGER NOT NULL, sealed BLOB NOT NULL) STRICT"});
        !r)
      return fail(r.error());
    return s;
  }

  // TS-0003 §8.8.2.7: keeps the key, replacing one under the same RelativeKeyID.
  [[nodiscard]] result<void> put_key(key_registration k) {
    auto row = sealer_.seal(k);
    if (!row) return fail(row.error());
    return transaction([&]() -> result<void> {
      statement st(db_.get(),
                   "INSERT OR REPLACE INTO maf_key (rel_id, source, suid, targets, labels, admin, not_before, not_after, "
                   "sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
      if (!st) return fail(errc::io_error);
      st.text(1, row->id);
      st.text(2, row->source);
      st.integer(3, row->usage);
      st.text(4, row->targets);
      st.text(5, row->labels);
      st.text(6, row->admin);
      st.integer(7, row->not_before);
      st.integer(8, row->not_after);
      st.blob(9, row->sealed);
      return st.step() == SQLITE_DONE ? result<void>{} : fail(errc::io_error);
    });
  }

  // The key under `id`: not_found when there is none, corrupted when its row
  // does not open, expired once its lifetime is over at `now`.
  [[nodiscard]] result<key_registration> find_key(std::string_view id, time_point now) const {
    statement st(db_.get(),
                 "SELECT source, suid, targets, labels, admin, not_before, not_after, sealed FROM maf_key WHERE rel_id = ?1");
    if (!st) return fail(errc::io_error);
    st.text(1, id);
    const int rc = st.step();
    if (rc == SQLITE_DONE) return fail(errc::not_found);
    if (rc != SQLITE_ROW) return fail(errc::io_error);
    key_row row{std::string(id), std::string(st.column_text(0)), st.column_integer(1), std::string(st.column_text(2)),
                std::string(st.column_text(3)), std::string(st.column_text(4)), st.column_integer(5), st.column_integer(6),
                {}};
    const bytes_view sealed = st.column_blob(7);
    row.sealed.assign(sealed.begin(), sealed.end());
    auto k = sealer_.open(id, row);
    if (!k) return fail(k.error());
    if (auto c = k->lifetime.check(now); !c) return fail(c.error());
    return k;
  }
  [[nodiscard]] result<bool> erase_key(std::string_view id) { return erase_where("DELETE FROM maf_key WHERE rel_id = ?1", id); }
  // Drops every key whose lifetime is over at `now`; returns how many.
  [[nodiscard]] result<std::size_t> purge(time_point now) {
    return purge_where("DELETE FROM maf_key WHERE not_after < ?1", now);
  }

 private:
  explicit sqlite_maf_store(key_sealer a) : sealer_(std::move(a)) {}
  key_sealer sealer_;
};
static_assert(maf_store<sqlite_maf_store>);

}  // namespace m2msec
