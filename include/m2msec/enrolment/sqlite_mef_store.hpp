// m2msec: the MEF's persistent store on SQLite 3 (the embedded default). One
// table, written in WAL mode with synchronous=FULL: a put() that returns has
// been committed to disk, and a process killed at any point leaves either the
// old row or the new one. Ke is sealed at rest (XChaCha20-Poly1305 under a
// 32-byte store key), its associated data holding every other column (KeID,
// Enrolee, Targets, lifetime), so a row copied under another KeID, a lifetime
// or Target list changed in the file, or a row read under another store key is
// corrupted, never served.
// Several processes may share one file: each write is one IMMEDIATE
// transaction, and a writer waits (busy timeout) rather than fails. One object
// per thread: a connection is not shared across threads.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>

#include "m2msec/backend/aead.hpp"
#include "m2msec/backend/random.hpp"
#include "m2msec/enrolment/mef_store.hpp"

namespace m2msec {

class sqlite_mef_store {
 public:
  using aead = crypto::aead<crypto::xchacha20_poly1305, backend::sodium>;
  static constexpr std::string_view ad_label = "m2msec mef enrolment v1:";

  [[nodiscard]] static result<sqlite_mef_store> open(const std::filesystem::path& file, const secret& store_key,
                                                     std::chrono::milliseconds busy = std::chrono::seconds(10)) {
    if (store_key.size() != aead::key_size) return fail(errc::invalid_key_size);
    auto a = aead::create(store_key.expose());
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
                            "sealed BLOB NOT NULL) STRICT"})
      if (auto r = s.exec(sql); !r) return fail(r.error());
    return s;
  }

  // TS-0003 §8.3.2.1: keeps the enrolment, replacing one under the same KeID.
  [[nodiscard]] result<void> put(enrolment_record r) {
    const std::string id = r.id.str();
    byte_vector sealed(aead::nonce_size + aead::sealed_size(r.ke.size()));
    const mutable_bytes nonce = mutable_bytes(sealed).first(aead::nonce_size);
    if (auto n = crypto::rng<>::fill(nonce); !n) return n;
    std::string targets;
    for (const auto& t : r.targets) targets += entity_text(t) + "\n";
    const std::string enrolee = entity_text(r.enrolee);
    const std::int64_t nb = r.lifetime.not_before().time_since_epoch().count();
    const std::int64_t na = r.lifetime.not_after().time_since_epoch().count();
    const std::string ad = associated_data(id, enrolee, targets, nb, na);
    if (auto s = aead_.seal(mutable_bytes(sealed).subspan(aead::nonce_size), nonce, as_bytes(ad), r.ke.expose()); !s)
      return fail(s.error());
    return transaction([&]() -> result<void> {
      statement st(db_.get(),
                   "INSERT OR REPLACE INTO enrolment (ke_id, enrolee, targets, not_before, not_after, sealed) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      if (!st) return fail(errc::io_error);
      st.text(1, id);
      st.text(2, enrolee);
      st.text(3, targets);
      st.integer(4, nb);
      st.integer(5, na);
      st.blob(6, sealed);
      return st.step() == SQLITE_DONE ? result<void>{} : fail(errc::io_error);
    });
  }

  // The enrolment under `id`: not_found when there is none, expired once its
  // lifetime is over at `now`, corrupted when its row does not open.
  [[nodiscard]] result<enrolment_record> find(const ke_id& id, time_point now) const {
    const std::string key = id.str();
    statement st(db_.get(), "SELECT enrolee, targets, not_before, not_after, sealed FROM enrolment WHERE ke_id = ?1");
    if (!st) return fail(errc::io_error);
    st.text(1, key);
    const int rc = st.step();
    if (rc == SQLITE_DONE) return fail(errc::not_found);
    if (rc != SQLITE_ROW) return fail(errc::io_error);
    const std::string ad = associated_data(key, st.column_text(0), st.column_text(1), st.column_integer(2),
                                           st.column_integer(3));
    auto enrolee = parse_entity_text(st.column_text(0));
    if (!enrolee) return fail(enrolee.error());
    std::vector<entity_id> targets;
    for (std::string_view rest = st.column_text(1); !rest.empty();) {
      const auto end = rest.find('\n');
      if (end == std::string_view::npos) return fail(errc::corrupted);
      auto t = parse_entity_text(rest.substr(0, end));
      if (!t) return fail(t.error());
      targets.push_back(std::move(*t));
      rest.remove_prefix(end + 1);
    }
    auto life = validity::make(time_point(duration(st.column_integer(2))), time_point(duration(st.column_integer(3))));
    if (!life) return fail(errc::corrupted);
    const bytes_view sealed = st.column_blob(4);
    if (sealed.size() < aead::nonce_size + aead::tag_size) return fail(errc::corrupted);
    auto ke = secret::allocate(sealed.size() - aead::nonce_size - aead::tag_size);
    if (!ke) return fail(ke.error());
    if (!aead_.open(ke->expose(), sealed.first(aead::nonce_size), as_bytes(ad), sealed.subspan(aead::nonce_size)))
      return fail(errc::corrupted);
    if (auto c = life->check(now); !c) return fail(c.error());
    return enrolment_record{id, std::move(*ke), std::move(*enrolee), std::move(targets), *life};
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

  sqlite_mef_store(connection db, aead a) : db_(std::move(db)), aead_(std::move(a)) {}

  // Every column but the sealed one, each after its length: no two rows share it.
  static std::string associated_data(std::string_view id, std::string_view enrolee, std::string_view targets,
                                     std::int64_t not_before, std::int64_t not_after) {
    std::string ad(ad_label);
    for (std::string_view part : {id, enrolee, targets}) {
      ad += std::to_string(part.size()) + ':';
      ad += part;
    }
    ad += std::to_string(not_before) + ':' + std::to_string(not_after);
    return ad;
  }

  result<void> exec(const char* sql) {
    return sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) == SQLITE_OK ? result<void>{} : fail(errc::io_error);
  }
  // BEGIN IMMEDIATE (the write lock now, waiting up to the busy timeout), then
  // f, then COMMIT; any failure rolls back, so nothing half-made remains.
  template <class F>
  result<void> transaction(F&& f) {
    if (auto b = exec("BEGIN IMMEDIATE"); !b) return b;
    auto r = f();
    if (r) r = exec("COMMIT");
    if (!r) (void)exec("ROLLBACK");
    return r;
  }

  connection db_;
  mutable aead aead_;  // open() is not const in the AEAD policies; find() changes nothing
};
static_assert(mef_store<sqlite_mef_store>);

}  // namespace m2msec
