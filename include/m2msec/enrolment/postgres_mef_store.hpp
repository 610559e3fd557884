// m2msec: the MEF's store on PostgreSQL (libpq), for a provider that runs several
// MEF replicas on one database. The same rows as the SQLite store, Ke sealed the
// same way (enrolment/sealed_enrolment.hpp); each write is one statement, committed
// when it returns (synchronous_commit as the server has it, on by default), or
// several in one transaction between begin() and commit(). A
// connection that broke is reset once and the statement tried again: every write
// is idempotent (an upsert of one whole row, or a delete). One object per thread.
#pragma once

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>

#include "m2msec/enrolment/sealed_enrolment.hpp"

namespace m2msec {

class postgres_mef_store {
 public:
  // `conninfo`: a libpq connection string or URI; `table`: lower-case letters,
  // digits and '_' (several MEFs may share a database).
  [[nodiscard]] static result<postgres_mef_store> open(const std::string& conninfo, const secret& store_key,
                                                       std::string_view table = "m2msec_enrolment") {
    if (table.empty() || table.size() > 48 || !std::all_of(table.begin(), table.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        }))
      return fail(errc::invalid_argument);
    auto sealer = enrolment_sealer::create(store_key);
    if (!sealer) return fail(sealer.error());
    postgres_mef_store s(connection(PQconnectdb(conninfo.c_str())), std::move(*sealer), std::string(table));
    if (!s.db_ || PQstatus(s.db_.get()) != CONNECTION_OK) return fail(errc::io_error);
    PQsetNoticeProcessor(s.db_.get(), [](void*, const char*) {}, nullptr);  // "already exists, skipping" is not news
    // Replicas start together: one creates the table, under an advisory lock.
    for (const std::string& sql :
         {std::string("SELECT pg_advisory_lock(7262015)"),
          "CREATE TABLE IF NOT EXISTS " + s.table_ + " (ke_id TEXT PRIMARY KEY, enrolee TEXT NOT NULL, "
          "targets TEXT NOT NULL, not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, sealed BYTEA NOT NULL)",
          "CREATE TABLE IF NOT EXISTS " + s.table_ + "_client (reg_id TEXT PRIMARY KEY, client TEXT NOT NULL UNIQUE, "
          "fqdn TEXT NOT NULL, admin TEXT NOT NULL, labels TEXT NOT NULL, expiration BIGINT NOT NULL)",
          std::string("SELECT pg_advisory_unlock(7262015)")})
      if (!s.run(sql, {})) return fail(errc::io_error);
    s.sql_ = statements(s.table_);
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
    enrolment_row row{id.str(), {}, {}, 0, 0, {}};
    auto res = run(sql_.find, {text(row.id)});
    if (!res) return fail(errc::io_error);
    if (PQntuples(res.get()) == 0) return fail(errc::not_found);
    auto column = [&](int i) {
      return bytes_view(reinterpret_cast<const byte*>(PQgetvalue(res.get(), 0, i)),
                        static_cast<std::size_t>(PQgetlength(res.get(), 0, i)));
    };
    auto integer = [&](int i) -> result<std::int64_t> {
      const auto b = column(i);
      if (b.size() != 8) return fail(errc::corrupted);
      std::uint64_t v = 0;
      for (byte x : b) v = (v << 8) | x;
      return static_cast<std::int64_t>(v);
    };
    const auto e = column(0), t = column(1), s = column(4);
    row.enrolee.assign(reinterpret_cast<const char*>(e.data()), e.size());
    row.targets.assign(reinterpret_cast<const char*>(t.data()), t.size());
    auto nb = integer(2), na = integer(3);
    if (!nb || !na) return fail(errc::corrupted);
    row.not_before = *nb;
    row.not_after = *na;
    row.sealed.assign(s.begin(), s.end());
    auto r = sealer_.open(id, row);
    if (!r) return fail(r.error());
    if (auto c = r->lifetime.check(now); !c) return fail(c.error());
    return r;
  }

  [[nodiscard]] result<bool> erase(const ke_id& id) {
    const std::string key = id.str();
    auto res = write(sql_.erase, {text(key)});
    if (!res) return fail(errc::io_error);
    return std::string_view(PQcmdTuples(res.get())) != "0";
  }

  // TS-0003 §8.3.5.2: a client registration, replacing the client's earlier one.
  [[nodiscard]] result<void> put_client(client_registration c) {
    const std::string client = entity_text(c.client), name = c.client_fqdn.str(),
                      admin = c.admin ? c.admin->str() : std::string(), labels = joined(c.labels),
                      exp = std::to_string(c.expiration.time_since_epoch().count());
    auto res = write(sql_.put_client, {text(c.id), text(client), text(name), text(admin), text(labels), text(exp)});
    return res ? result<void>{} : fail(errc::io_error);
  }
  [[nodiscard]] result<client_registration> find_client(std::string_view id, time_point now) const {
    auto res = run(sql_.find_client, {text(id)});
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
  [[nodiscard]] result<bool> erase_client(std::string_view id) {
    auto res = write(sql_.erase_client, {text(id)});
    if (!res) return fail(errc::io_error);
    return std::string_view(PQcmdTuples(res.get())) != "0";
  }

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

  // Drops every enrolment whose lifetime is over at `now`; returns how many.
  [[nodiscard]] result<std::size_t> purge(time_point now) {
    const std::string t = std::to_string(now.time_since_epoch().count());
    auto res = write(sql_.purge, {text(t)});
    if (!res) return fail(errc::io_error);
    return static_cast<std::size_t>(std::stoull(PQcmdTuples(res.get())));
  }

 private:
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

  struct statements {
    std::string put, find, erase, purge, put_client, find_client, erase_client;
    statements() = default;
    explicit statements(const std::string& t)
        : put("INSERT INTO " + t + " (ke_id, enrolee, targets, not_before, not_after, sealed) VALUES ($1, $2, $3, $4, $5, $6) "
              "ON CONFLICT (ke_id) DO UPDATE SET enrolee = EXCLUDED.enrolee, targets = EXCLUDED.targets, "
              "not_before = EXCLUDED.not_before, not_after = EXCLUDED.not_after, sealed = EXCLUDED.sealed"),
          find("SELECT enrolee, targets, not_before, not_after, sealed FROM " + t + " WHERE ke_id = $1"),
          erase("DELETE FROM " + t + " WHERE ke_id = $1"),
          purge("DELETE FROM " + t + " WHERE not_after < $1"),
          put_client("INSERT INTO " + t + "_client (reg_id, client, fqdn, admin, labels, expiration) "
                     "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client) DO UPDATE SET reg_id = EXCLUDED.reg_id, "
                     "fqdn = EXCLUDED.fqdn, admin = EXCLUDED.admin, labels = EXCLUDED.labels, "
                     "expiration = EXCLUDED.expiration"),
          find_client("SELECT client, fqdn, admin, labels, expiration FROM " + t + "_client WHERE reg_id = $1"),
          erase_client("DELETE FROM " + t + "_client WHERE reg_id = $1") {}
  };

  postgres_mef_store(connection db, enrolment_sealer s, std::string table)
      : db_(std::move(db)), sealer_(std::move(s)), table_(std::move(table)) {}

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
    std::array<const char*, 8> values{};
    std::array<int, 8> sizes{}, formats{};
    int n = 0;
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

  connection db_;
  enrolment_sealer sealer_;
  std::string table_;
  statements sql_;
  bool batch_ = false, batch_failed_ = false;
};
static_assert(mef_store<postgres_mef_store>);

}  // namespace m2msec
