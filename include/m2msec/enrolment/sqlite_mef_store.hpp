// m2msec: the MEF's persistent store on SQLite 3 (the embedded default). One
// table, written in WAL mode with synchronous=FULL: a put() that returns has
// been committed to disk, and a process killed at any point leaves either the
// old row or the new one. Ke is sealed at rest (enrolment/sealed_enrolment.hpp):
// a row copied under another KeID, a lifetime or Target list changed in the
// file, or a row read under another store key is corrupted, never served.
// Several processes may share one file: each write is one IMMEDIATE
// transaction, and a writer waits (busy timeout) rather than fails. One object
// per thread: a connection is not shared across threads.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>

#include "m2msec/enrolment/sealed_enrolment.hpp"

namespace m2msec {

class sqlite_mef_store {
 public:
  [[nodiscard]] static result<sqlite_mef_store> open(const std::filesystem::path& file, const secret& store_key,
                                                     std::chrono::milliseconds busy = std::chrono::seconds(10)) {
    auto a = enrolment_sealer::create(store_key);
    if (!a) return fail(a.error());
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    sqlite_mef_store s(connection(raw), std::move(*a));
    if (rc != SQLITE_OK) return fail(errc::io_error);
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, static_cast<int>(busy.count()));
    for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                            "CREATE TABLE IF NOT EXISTS enrolment (ke_id TEXT PRIMARY KEY, enrolee TEXT NOT NULL, "
                            "targets TEXT NOT NULL, not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, "
                            "sealed BLOB NOT NULL) STRICT",
                            "CREATE TABLE IF NOT EXISTS client_reg (reg_id TEXT PRIMARY KEY, client TEXT NOT NULL UNIQUE, "
                            "fqdn TEXT NOT NULL, admin TEXT NOT NULL, labels TEXT NOT NULL, expiration INTEGER NOT NULL) STRICT"})
      if (auto r = s.exec(sql); !r) return fail(r.error());
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

  // TS-0003 §8.3.5.2: a client registration, replacing the client's earlier one.
  [[nodiscard]] result<void> put_client(client_registration c) {
    return transaction([&]() -> result<void> {
      statement st(db_.get(),
                   "INSERT OR REPLACE INTO client_reg (reg_id, client, fqdn, admin, labels, expiration) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      if (!st) return fail(errc::io_error);
      st.text(1, c.id);
      st.text(2, entity_text(c.client));
      st.text(3, c.client_fqdn.str());
      st.text(4, c.admin ? c.admin->str() : std::string());
      st.text(5, joined(c.labels));
      st.integer(6, c.expiration.time_since_epoch().count());
      return st.step() == SQLITE_DONE ? result<void>{} : fail(errc::io_error);
    });
  }
  [[nodiscard]] result<client_registration> find_client(std::string_view id, time_point now) const {
    statement st(db_.get(), "SELECT client, fqdn, admin, labels, expiration FROM client_reg WHERE reg_id = ?1");
    if (!st) return fail(errc::io_error);
    st.text(1, id);
    const int rc = st.step();
    if (rc == SQLITE_DONE) return fail(errc::not_found);
    if (rc != SQLITE_ROW) return fail(errc::io_error);
    return client_row(id, st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3),
                      st.column_integer(4), now);
  }
  [[nodiscard]] result<bool> erase_client(std::string_view id) {
    bool erased = false;
    auto r = transaction([&]() -> result<void> {
      statement st(db_.get(), "DELETE FROM client_reg WHERE reg_id = ?1");
      if (!st) return fail(errc::io_error);
      st.text(1, id);
      if (st.step() != SQLITE_DONE) return fail(errc::io_error);
      erased = sqlite3_changes(db_.get()) > 0;
      return {};
    });
    if (!r) return fail(r.error());
    return erased;
  }

  // Group commit: the writes between begin() and commit() are one transaction,
  // on disk when commit() returns; until then none of them is. A server answers
  // the writes of a batch only after its commit (tools/m2msec_mef.cpp); if one
  // write failed, commit() rolls them all back and fails.
  [[nodiscard]] result<void> begin() {
    if (batch_) return fail(errc::invalid_argument);
    if (auto b = exec("BEGIN IMMEDIATE"); !b) return b;
    batch_ = true;
    batch_failed_ = false;
    return {};
  }
  [[nodiscard]] result<void> commit() {
    if (!batch_) return fail(errc::invalid_argument);
    batch_ = false;
    auto r = batch_failed_ ? result<void>(fail(errc::io_error)) : exec("COMMIT");
    if (!r) (void)exec("ROLLBACK");
    return r;
  }

  [[nodiscard]] result<bool> erase(const ke_id& id) {
    bool erased = false;
    auto r = transaction([&]() -> result<void> {
      statement st(db_.get(), "DELETE FROM enrolment WHERE ke_id = ?1");
      if (!st) return fail(errc::io_error);
      st.text(1, id.str());
      if (st.step() != SQLITE_DONE) return fail(errc::io_error);
      erased = sqlite3_changes(db_.get()) > 0;
      return {};
    });
    if (!r) return fail(r.error());
    return erased;
  }

  // Drops every enrolment whose lifetime is over at `now`; returns how many.
  [[nodiscard]] result<std::size_t> purge(time_point now) {
    std::size_t n = 0;
    auto r = transaction([&]() -> result<void> {
      statement st(db_.get(), "DELETE FROM enrolment WHERE not_after < ?1");
      if (!st) return fail(errc::io_error);
      st.integer(1, now.time_since_epoch().count());
      if (st.step() != SQLITE_DONE) return fail(errc::io_error);
      n = static_cast<std::size_t>(sqlite3_changes(db_.get()));
      return {};
    });
    if (!r) return fail(r.error());
    return n;
  }

 private:
  struct closer {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
  };
  using connection = std::unique_ptr<sqlite3, closer>;

  // One prepared statement, finalized when it goes.
  class statement {
   public:
    statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &st_, nullptr); }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() { sqlite3_finalize(st_); }
    explicit operator bool() const noexcept { return st_ != nullptr; }
    void text(int i, std::string_view v) {
      sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    void integer(int i, std::int64_t v) { sqlite3_bind_int64(st_, i, v); }
    void blob(int i, bytes_view v) { sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
    int step() { return sqlite3_step(st_); }
    [[nodiscard]] std::string_view column_text(int i) const {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, i));
      return p == nullptr ? std::string_view{} : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, i)));
    }
    [[nodiscard]] std::int64_t column_integer(int i) const { return sqlite3_column_int64(st_, i); }
    [[nodiscard]] bytes_view column_blob(int i) const {
      const auto* p = static_cast<const byte*>(sqlite3_column_blob(st_, i));
      return p == nullptr ? bytes_view{} : bytes_view(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, i)));
    }

   private:
    sqlite3_stmt* st_ = nullptr;
  };

  sqlite_mef_store(connection db, enrolment_sealer a) : db_(std::move(db)), sealer_(std::move(a)) {}

  result<void> exec(const char* sql) {
    return sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) == SQLITE_OK ? result<void>{} : fail(errc::io_error);
  }
  // BEGIN IMMEDIATE (the write lock now, waiting up to the busy timeout), then
  // f, then COMMIT; any failure rolls back, so nothing half-made remains. In a
  // batch, f joins the batch's transaction.
  template <class F>
  result<void> transaction(F&& f) {
    if (batch_) {
      auto r = f();
      if (!r) batch_failed_ = true;
      return r;
    }
    if (auto b = exec("BEGIN IMMEDIATE"); !b) return b;
    auto r = f();
    if (r) r = exec("COMMIT");
    if (!r) (void)exec("ROLLBACK");
    return r;
  }

  connection db_;
  enrolment_sealer sealer_;
  bool batch_ = false, batch_failed_ = false;
};
static_assert(mef_store<sqlite_mef_store>);

}  // namespace m2msec
