// The MEF's stores (TS-0003 §8.3.2.1): the same behaviour from the map and from
// SQLite; and what only a file can suffer: another store key, a row moved under
// another KeID, a reopen, and two processes writing one file at once.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include <sqlite3.h>

#include "m2msec/enrolment/sqlite_mef_store.hpp"
#include "store_support.hpp"

using namespace m2msec;
using namespace std::chrono_literals;
using namespace store_support;

TEST_CASE("MEF stores: the map and SQLite keep, find, replace, expire, purge and erase alike", "[mef][store]") {
  memory_mef_store m;
  same_behaviour(m);
  temp_file f;
  auto s = sqlite_mef_store::open(f.path, key_of(0x42));
  REQUIRE(s);
  same_behaviour(*s);
  batch_behaviour([&] { return sqlite_mef_store::open(f.path, key_of(0x42), std::chrono::milliseconds(100)); });
}

TEST_CASE("MEF SQLite store: sealed at rest, bound to its row, persistent, refuses another key", "[mef][store]") {
  temp_file f;
  {
    auto s = sqlite_mef_store::open(f.path, key_of(0x42));
    REQUIRE(s);
    REQUIRE(s->put(record(1)));
    REQUIRE(s->put(record(2)));
  }
  // The key bytes are nowhere in the file.
  {
    std::ifstream in(f.path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    const auto one = record(1);
    const auto k = one.ke.expose();
    CHECK(bytes.find(std::string(reinterpret_cast<const char*>(k.data()), k.size())) == std::string::npos);
  }
  // Reopened under its key: everything is there.
  {
    auto s = sqlite_mef_store::open(f.path, key_of(0x42));
    REQUIRE(s);
    CHECK(s->find(record(2).id, t0)->ke == record(2).ke);
  }
  // Another store key opens the file but no row.
  {
    auto s = sqlite_mef_store::open(f.path, key_of(0x43));
    REQUIRE(s);
    CHECK(s->find(record(1).id, t0).error() == errc::corrupted);
  }
  // Row 2's sealed key copied under KeID 1: refused, not row 2's key served as 1's.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(f.path.c_str(), &db) == SQLITE_OK);
    const std::string sql = "UPDATE enrolment SET sealed = (SELECT sealed FROM enrolment WHERE ke_id = '" +
                            record(2).id.str() + "') WHERE ke_id = '" + record(1).id.str() + "'";
    CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto s = sqlite_mef_store::open(f.path, key_of(0x42));
    REQUIRE(s);
    CHECK(s->find(record(1).id, t0).error() == errc::corrupted);
    CHECK(s->find(record(2).id, t0));
  }
  // Row 2's lifetime lengthened, or a Target added, in the file: refused.
  for (const char* change : {"not_after = not_after + 86400000000000", "targets = targets || 'ae:/in-cse/Cevil\n'"}) {
    INFO(change);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(f.path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "SAVEPOINT s", nullptr, nullptr, nullptr) == SQLITE_OK);
    const std::string sql = std::string("UPDATE enrolment SET ") + change + " WHERE ke_id = '" + record(2).id.str() + "'";
    CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "RELEASE s", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto s = sqlite_mef_store::open(f.path, key_of(0x42));
    REQUIRE(s);
    CHECK(s->find(record(2).id, t0).error() == errc::corrupted);
    REQUIRE(s->put(record(2)));  // written again by the MEF: served again
    CHECK(s->find(record(2).id, t0));
  }
  CHECK(sqlite_mef_store::open(f.path, *secret::allocate(16)).error() == errc::invalid_key_size);
  CHECK(sqlite_mef_store::open("/nonexistent-dir/x.db", key_of(1)).error() == errc::io_error);
}

TEST_CASE("MEF SQLite store: two processes writing one file lose nothing", "[mef][store]") {
  temp_file f;
  { REQUIRE(sqlite_mef_store::open(f.path, key_of(0x42))); }  // the schema, once
  constexpr int per_writer = 150;
  pid_t writers[2];
  for (int w = 0; w < 2; ++w) {
    writers[w] = ::fork();
    REQUIRE(writers[w] >= 0);
    if (writers[w] == 0) {
      auto s = sqlite_mef_store::open(f.path, key_of(0x42));
      int failed = s ? 0 : 1;
      for (int i = 0; s && i < per_writer; ++i) failed += s->put(record(w * 1000 + i)) ? 0 : 1;
      ::_exit(failed == 0 ? 0 : 1);
    }
  }
  for (pid_t p : writers) {
    int status = 0;
    REQUIRE(::waitpid(p, &status, 0) == p);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  auto s = sqlite_mef_store::open(f.path, key_of(0x42));
  REQUIRE(s);
  int found = 0;
  for (int w = 0; w < 2; ++w)
    for (int i = 0; i < per_writer; ++i) {
      auto r = s->find(record(w * 1000 + i).id, t0);
      found += r && r->ke == record(w * 1000 + i).ke;
    }
  CHECK(found == 2 * per_writer);
}
