// m2msec: what the MEF's and the MAF's PostgreSQL stores share (libpq), for a
// provider that runs several replicas on one database: the connection, tables
// created once under an advisory lock, each write one statement committed when it
// returns (synchronous_commit as the server has it, on by default) or several in
// one transaction between begin() and commit(), the client registrations
// (TS-0003 §8.3.5.2, §8.8.2.3) in `<table>_client`, and ESPrim replay records a
// cluster of Receivers shares in `<table>_replay`. A connection that broke is
// reset once and the statement tried again: every write is idempotent (an upsert
// of one whole row, or a delete). One object per thread.
#pragma once

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>

#include "m2msec/enrolment/mef_store.hpp"

namespace m2msec {

// Thread safety: one thread at a time per object; distinct objects are independent.
class postgres_function_store {
 public:
  // TS-0003 §8.3.5.2: a client registration, replacing the client's earlier one.
  [[nodiscard]] result<void> put_client(client_registration c) {
    const std::string client = entity_text(c.client), name = c.client_fqdn.str(),
                      admin = c.admin ? c.admin->str() : std::string(), labels = joined(c.labels),
                      exp = std::to_string(c.expiration.time_since_epoch().count());
    auto res = write(client_sql_.put, {text(c.id), text(client), text(name), text(admin), text(labels), text(exp)});
    return res ? result<void>{} : fail(errc::io_error);
  }
  [[nodiscard]] result<client_registration> find_client(std::string_view id, time_point now) const {
    auto res = run(client_sql_.find, {text(id)});
    if (!res) return fail(errc::io_error);
    if (PQntuples(res.get()) == 0) return fail(errc::not_found);
    auto column = [&](int i) {
      return std::string_view(PQgetvalue(res.get(), 0, i), static_cast<std::size_t>(PQgetlength(res.get(), 0, i)));
    };
    const auto e = column(4);
    if (e.size() != 8) return fail(errc::corrupted);
    std::uint64_t v = 0;
    for (char x : e) v = (v << 8) | static_cast<byte>(x);
    return client_row(id, column(0), column(1), column(2), column(3), static_cast<std::int64_t>(v), now);
  }
  [[nodiscard]] result<client_registration> find_client_of(const entity_id& who, time_point now) const {
    const std::string client = entity_text(who);
    auto res = run(client_sql_.find_of, {text(client)});
    if (!res) return fail(errc::io_error);
    if (PQntuples(res.get()) == 0) return fail(errc::not_found);
    return find_client(std::string(PQgetvalue(res.get(), 0, 0), static_cast<std::size_t>(PQgetlength(res.get(), 0, 0))), now);
  }
  [[nodiscard]] result<bool> erase_client(std::string_view id) {
    auto res = write(client_sql_.erase, {text(id)});
    if (!res) return fail(errc::io_error);
    return std::string_view(PQcmdTuples(res.get())) != "0";
  }

  // A Receiver's replay record shared between nodes (esprim::receiver_options::
  // shared_replays): `id` is claimed until `expires`; errc::replayed while an
  // unexpired claim holds it. Atomic across replicas.
  [[nodiscard]] result<void> claim_replay(bytes_view id, time_point expires, time_point now) {
    const std::string e = std::to_string(expires.time_since_epoch().count()), n = std::to_string(now.time_since_epoch().count());
    auto res = write(replay_sql_.claim, {binary(id), text(e), text(n)});
    if (!res) return fail(errc::io_error);
    if (std::string_view(PQcmdTuples(res.get())) == "0") return fail(errc::replayed);
    return {};
  }
  // Drops the replay claims that expired before `now`; returns how many.
  [[nodiscard]] result<std::size_t> purge_replays(time_point now) { return purged(replay_sql_.purge, now); }

  // Group commit, as the SQLite store has it: the writes between begin() and
  // commit() are one transaction; a failed write makes commit() roll back and fail.
  [[nodiscard]] result<void> begin() {
    if (batch_ || !run("BEGIN", {})) return fail(batch_ ? errc::invalid_argument : errc::io_error);
    batch_ = true;
    batch_failed_ = false;
    return {};
  }
  [[nodiscard]] result<void> commit() {
    if (!batch_) return fail(errc::invalid_argument);
    batch_ = false;
    if (!batch_failed_ && run("COMMIT", {})) return {};
    (void)run("ROLLBACK", {});
    return fail(errc::io_error);
  }

 protected:
  struct pq_finish {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
  };
  struct pq_clear {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
  };
  using connection = std::unique_ptr<PGconn, pq_finish>;
  using answer = std::unique_ptr<PGresult, pq_clear>;
  struct param {
    const char* data;
    int size;
    int format;  // 0 text, 1 binary
  };
  static param text(std::string_view s) { return {s.data(), static_cast<int>(s.size()), 0}; }
  static param binary(bytes_view b) { return {reinterpret_cast<const char*>(b.data()), static_cast<int>(b.size()), 1}; }

  // `table`: lower-case letters, digits and '_' (several functions may share a
  // database); `create`: the function's own CREATE TABLE, with the table's name.
  [[nodiscard]] result<void> open_database(const std::string& conninfo, std::string_view table,
                                           const std::string& create) {
    if (table.empty() || table.size() > 48 || !std::all_of(table.begin(), table.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        }))
      return fail(errc::invalid_argument);
    table_ = std::string(table);
    db_.reset(PQconnectdb(conninfo.c_str()));
    if (!db_ || PQstatus(db_.get()) != CONNECTION_OK) return fail(errc::io_error);
    PQsetNoticeProcessor(db_.get(), [](void*, const char*) {}, nullptr);  // "already exists, skipping" is not news
    // Replicas start together: one creates the tables, under an advisory lock.
    for (const std::string& sql :
         {std::string("SELECT pg_advisory_lock(7262015)"), create,
          "CREATE TABLE IF NOT EXISTS " + table_ + "_client (reg_id TEXT PRIMARY KEY, client TEXT NOT NULL UNIQUE, "
          "fqdn TEXT NOT NULL, admin TEXT NOT NULL, labels TEXT NOT NULL, expiration BIGINT NOT NULL)",
          "CREATE TABLE IF NOT EXISTS " + table_ + "_replay (id BYTEA PRIMARY KEY, expires BIGINT NOT NULL)",
          std::string("SELECT pg_advisory_unlock(7262015)")})
      if (!run(sql, {})) return fail(errc::io_error);
    const std::string t = table_ + "_client";
    client_sql_ = {"INSERT INTO " + t + " (reg_id, client, fqdn, admin, labels, expiration) "
                   "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client) DO UPDATE SET reg_id = EXCLUDED.reg_id, "
                   "fqdn = EXCLUDED.fqdn, admin = EXCLUDED.admin, labels = EXCLUDED.labels, "
                   "expiration = EXCLUDED.expiration",
                   "SELECT client, fqdn, admin, labels, expiration FROM " + t + " WHERE reg_id = $1",
                   "SELECT reg_id FROM " + t + " WHERE client = $1", "DELETE FROM " + t + " WHERE reg_id = $1"};
    const std::string r = table_ + "_replay";
    replay_sql_ = {"INSERT INTO " + r + " (id, expires) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET expires = "
                   "EXCLUDED.expires WHERE " + r + ".expires < $3",
                   "DELETE FROM " + r + " WHERE expires < $1"};
    return {};
  }
  // Column `i` of row 0, as bytes; a BIGINT column in binary as its value.
  static bytes_view column(const answer& res, int i) {
    return bytes_view(reinterpret_cast<const byte*>(PQgetvalue(res.get(), 0, i)),
                      static_cast<std::size_t>(PQgetlength(res.get(), 0, i)));
  }
  static std::string column_text(const answer& res, int i) {
    const auto b = column(res, i);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  static result<std::int64_t> column_integer(const answer& res, int i) {
    const auto b = column(res, i);
    if (b.size() != 8) return fail(errc::corrupted);
    std::uint64_t v = 0;
    for (byte x : b) v = (v << 8) | x;
    return static_cast<std::int64_t>(v);
  }
  // A DELETE: whether a row went; and how many.
  result<bool> erased(const std::string& sql, std::string_view key) {
    auto res = write(sql, {text(key)});
    if (!res) return fail(errc::io_error);
    return std::string_view(PQcmdTuples(res.get())) != "0";
  }
  result<std::size_t> purged(const std::string& sql, time_point now) {
    const std::string t = std::to_string(now.time_since_epoch().count());
    auto res = write(sql, {text(t)});
    if (!res) return fail(errc::io_error);
    return static_cast<std::size_t>(std::stoull(PQcmdTuples(res.get())));
  }

  // A write: in a batch, a failure fails the batch.
  answer write(const std::string& sql, std::initializer_list<param> params) {
    auto r = run(sql, params);
    if (!r && batch_) batch_failed_ = true;
    return r;
  }

  // One statement, binary results; a broken connection is reset and the
  // statement tried once more, outside a batch (a reset loses the batch's
  // transaction: its commit fails). Null when it failed.
  answer run(const std::string& sql, std::initializer_list<param> params) const {
    std::array<const char*, max_params> values{};
    std::array<int, max_params> sizes{}, formats{};
    int n = 0;
    if (params.size() > max_params) return nullptr;
    for (const auto& p : params) {
      values[n] = p.data;
      sizes[n] = p.size;
      formats[n++] = p.format;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
      answer r(PQexecParams(db_.get(), sql.c_str(), n, nullptr, values.data(), sizes.data(), formats.data(), 1));
      const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
      if (PQstatus(db_.get()) == CONNECTION_OK || batch_) return nullptr;  // the statement failed, or a batch is lost
      PQreset(db_.get());
    }
    return nullptr;
  }

  static constexpr std::size_t max_params = 12;  // the most a statement binds (the MAF's upsert: 9)
  struct client_statements {
    std::string put, find, find_of, erase;
  };
  struct replay_statements {
    std::string claim, purge;
  };
  connection db_;
  std::string table_;
  client_statements client_sql_;
  replay_statements replay_sql_;
  bool batch_ = false, batch_failed_ = false;
};

}  // namespace m2msec
