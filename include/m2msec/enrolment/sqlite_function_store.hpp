// m2msec: what the MEF's and the MAF's SQLite stores share (SQLite 3, the
// embedded default): the database, opened in WAL mode with synchronous=FULL, so
// that a write that returns has been committed to disk and a process killed at
// any point leaves the old row or the new one; one IMMEDIATE transaction per
// write (a writer waits, up to the busy timeout, rather than fails), or one per
// batch (group commit); the client registrations (TS-0003 §8.3.5.2,
// §8.8.2.3), one per client; and ESPrim replay records a cluster of Receivers
// shares. One object per thread.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>

#include "m2msec/enrolment/mef_store.hpp"

namespace m2msec {

// Thread safety: one thread at a time per object; distinct objects are independent.
class sqlite_function_store {
 public:
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
  [[nodiscard]] result<client_registration> find_client_of(const entity_id& who, time_point now) const {
    statement st(db_.get(), "SELECT reg_id FROM client_reg WHERE client = ?1");
    if (!st) return fail(errc::io_error);
    st.text(1, entity_text(who));
    const int rc = st.step();
    if (rc == SQLITE_DONE) return fail(errc::not_found);
    if (rc != SQLITE_ROW) return fail(errc::io_error);
    return find_client(std::string(st.column_text(0)), now);
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

  // A Receiver's replay record shared between nodes (esprim::receiver_options::
  // shared_replays): `id` is claimed until `expires`; errc::replayed while an
  // unexpired claim holds it. Atomic across processes on one file.
  [[nodiscard]] result<void> claim_replay(bytes_view id, time_point expires, time_point now) {
    bool claimed = false;
    auto r = transaction([&]() -> result<void> {
      statement st(db_.get(),
                   "INSERT INTO replay (id, expires) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET expires = "
                   "excluded.expires WHERE replay.expires < ?3");
      if (!st) return fail(errc::io_error);
      st.blob(1, id);
      st.integer(2, expires.time_since_epoch().count());
      st.integer(3, now.time_since_epoch().count());
      if (st.step() != SQLITE_DONE) return fail(errc::io_error);
      claimed = sqlite3_changes(db_.get()) > 0;
      return {};
    });
    if (!r) return fail(r.error());
    if (!claimed) return fail(errc::replayed);
    return {};
  }
  // Drops the replay claims that expired before `now`; returns how many.
  [[nodiscard]] result<std::size_t> purge_replays(time_point now) {
    return purge_where("DELETE FROM replay WHERE expires < ?1", now);
  }

  // Group commit: the writes between begin() and commit() are one transaction,
  // on disk when commit() returns; until then none of them is. A server answers
  // the writes of a batch only after its commit (tools/function_daemon.hpp); if one
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

 protected:
  // Opens `file` with `tables` (CREATE TABLE statements) besides client_reg.
  [[nodiscard]] result<void> open_database(const std::filesystem::path& file, std::chrono::milliseconds busy,
                                           std::initializer_list<const char*> tables) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) return fail(errc::io_error);
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, static_cast<int>(busy.count()));
    for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                            "CREATE TABLE IF NOT EXISTS client_reg (reg_id TEXT PRIMARY KEY, client TEXT NOT NULL UNIQUE, "
                            "fqdn TEXT NOT NULL, admin TEXT NOT NULL, labels TEXT NOT NULL, expiration INTEGER NOT NULL) STRICT",
                            "CREATE TABLE IF NOT EXISTS replay (id BLOB PRIMARY KEY, expires INTEGER NOT NULL) STRICT"})
      if (auto r = exec(sql); !r) return r;
    for (const char* sql : tables)
      if (auto r = exec(sql); !r) return r;
    return {};
  }
  // DELETE with one bound text parameter: whether a row went.
  [[nodiscard]] result<bool> erase_where(const char* sql, std::string_view key) {
    bool erased = false;
    auto r = transaction([&]() -> result<void> {
      statement st(db_.get(), sql);
      if (!st) return fail(errc::io_error);
      st.text(1, key);
      if (st.step() != SQLITE_DONE) return fail(errc::io_error);
      erased = sqlite3_changes(db_.get()) > 0;
      return {};
    });
    if (!r) return fail(r.error());
    return erased;
  }
  // DELETE of every row whose not_after is before `now`: how many went.
  [[nodiscard]] result<std::size_t> purge_where(const char* sql, time_point now) {
    std::size_t n = 0;
    auto r = transaction([&]() -> result<void> {
      statement st(db_.get(), sql);
      if (!st) return fail(errc::io_error);
      st.integer(1, now.time_since_epoch().count());
      if (st.step() != SQLITE_DONE) return fail(errc::io_error);
      n = static_cast<std::size_t>(sqlite3_changes(db_.get()));
      return {};
    });
    if (!r) return fail(r.error());
    return n;
  }

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
  bool batch_ = false, batch_failed_ = false;
};

}  // namespace m2msec
