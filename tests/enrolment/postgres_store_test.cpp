// The MEF's PostgreSQL store (issue 15) against a real PostgreSQL 15 (.ci/run
// starts one; meson registers this program only when -Dpostgres names it): the
// same behaviour as the map and SQLite, rows bound to their seal, two writer
// processes, and a connection the server killed.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <random>

#include "m2msec/enrolment/postgres_maf_store.hpp"
#include "m2msec/enrolment/postgres_mef_store.hpp"
#include "store_support.hpp"

using namespace m2msec;
using namespace store_support;

namespace {

std::string conninfo() {
  const char* c = std::getenv("M2MSEC_PG");
  REQUIRE(c != nullptr);  // set by meson from -Dpostgres
  return c;
}
// A table of its own for each test, dropped afterwards.
struct table {
  std::string name;
  PGconn* admin;
  table() : admin(PQconnectdb(conninfo().c_str())) {
    REQUIRE(PQstatus(admin) == CONNECTION_OK);
    std::random_device rd;
    name = std::string("t").append(std::to_string(rd()));  // not "t" + string&&: g++ 12 -O3 -Wrestrict
  }
  ~table() {
    exec("DROP TABLE IF EXISTS " + name + ", " + name + "_client, " + name + "_replay");
    PQfinish(admin);
  }
  bool exec(const std::string& sql) {
    PGresult* r = PQexec(admin, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok;
  }
};

}  // namespace

TEST_CASE("MEF PostgreSQL store: keeps, finds, replaces, expires, purges and erases as the map does", "[postgres]") {
  table t;
  auto s = postgres_mef_store::open(conninfo(), key_of(0x42), t.name);
  REQUIRE(s);
  same_behaviour(*s);
  batch_behaviour([&] { return postgres_mef_store::open(conninfo(), key_of(0x42), t.name); });
  CHECK(postgres_mef_store::open(conninfo(), key_of(0x42), "bad name; drop").error() == errc::invalid_argument);
  CHECK(postgres_mef_store::open("host=127.0.0.1 port=1 connect_timeout=2", key_of(0x42)).error() == errc::io_error);
}

TEST_CASE("MEF PostgreSQL store: sealed at rest, bound to its row, refuses another key", "[postgres]") {
  table t;
  {
    auto s = postgres_mef_store::open(conninfo(), key_of(0x42), t.name);
    REQUIRE(s);
    REQUIRE(s->put(record(1)));
    REQUIRE(s->put(record(2)));
  }
  CHECK(postgres_mef_store::open(conninfo(), key_of(0x43), t.name)->find(record(1).id, t0).error() == errc::corrupted);
  const auto one = record(1).id.str(), two = record(2).id.str();
  REQUIRE(t.exec("UPDATE " + t.name + " SET sealed = (SELECT sealed FROM " + t.name + " WHERE ke_id = '" + two +
                 "') WHERE ke_id = '" + one + "'"));
  auto s = postgres_mef_store::open(conninfo(), key_of(0x42), t.name);
  REQUIRE(s);
  CHECK(s->find(record(1).id, t0).error() == errc::corrupted);
  CHECK(s->find(record(2).id, t0));
  for (std::string change : {"not_after = not_after + 86400000000000", "targets = targets || E'ae:/in-cse/Cevil\\n'"}) {
    INFO(change);
    REQUIRE(t.exec("UPDATE " + t.name + " SET " + change + " WHERE ke_id = '" + two + "'"));
    CHECK(s->find(record(2).id, t0).error() == errc::corrupted);
    REQUIRE(s->put(record(2)));
    CHECK(s->find(record(2).id, t0));
  }
}

TEST_CASE("MEF PostgreSQL store: two writer processes lose nothing; a killed connection is reset", "[postgres]") {
  table t;
  { REQUIRE(postgres_mef_store::open(conninfo(), key_of(0x42), t.name)); }
  constexpr int per_writer = 150;
  pid_t writers[2];
  for (int w = 0; w < 2; ++w) {
    writers[w] = ::fork();
    REQUIRE(writers[w] >= 0);
    if (writers[w] == 0) {
      auto s = postgres_mef_store::open(conninfo(), key_of(0x42), t.name);
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
  auto s = postgres_mef_store::open(conninfo(), key_of(0x42), t.name);
  REQUIRE(s);
  int found = 0;
  for (int w = 0; w < 2; ++w)
    for (int i = 0; i < per_writer; ++i) {
      auto r = s->find(record(w * 1000 + i).id, t0);
      found += r && r->ke == record(w * 1000 + i).ke;
    }
  CHECK(found == 2 * per_writer);
  // The server ends the store's connection; the next write resets it and lands.
  REQUIRE(t.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                 "AND datname = current_database() AND usename = current_user AND query LIKE '%" + t.name + "%'"));
  REQUIRE(s->put(record(7)));
  CHECK(s->find(record(7).id, t0));
}

TEST_CASE("MAF PostgreSQL store: keeps, finds, replaces, expires, purges and erases keys as the map does; rows sealed",
          "[postgres][maf]") {
  table t;
  auto s = postgres_maf_store::open(conninfo(), key_of(0x42), t.name);
  REQUIRE(s);
  keys_behaviour(*s);
  REQUIRE(s->put_key(registered(4)));
  // Another store key opens no row; a target added in the table is corrupted.
  auto other = postgres_maf_store::open(conninfo(), key_of(0x43), t.name);
  REQUIRE(other);
  CHECK(other->find_key(registered(4).relative_id, t0).error() == errc::corrupted);
  REQUIRE(t.exec("UPDATE " + t.name + " SET targets = targets || 'cse://sp.example.com/evil' || chr(10)"));
  CHECK(s->find_key(registered(4).relative_id, t0).error() == errc::corrupted);
}

TEST_CASE("Replay claims on PostgreSQL: once per object until it expires, across replicas", "[postgres][replay]") {
  table t;
  auto one = postgres_maf_store::open(conninfo(), key_of(0x42), t.name);
  auto two = postgres_mef_store::open(conninfo(), key_of(0x42), t.name);  // the MEF's store of the same database
  REQUIRE(one);
  REQUIRE(two);
  std::array<byte, 28> id{};  // an ESPrim object's IV and tag
  id[27] = 9;
  REQUIRE(one->claim_replay(id, t0 + 1min, t0));
  CHECK(two->claim_replay(id, t0 + 1min, t0 + 30s).error() == errc::replayed);
  CHECK(one->claim_replay(id, t0 + 1min, t0).error() == errc::replayed);
  id[0] = 1;
  CHECK(two->claim_replay(id, t0 + 1min, t0));
  // Past its expiry a claim may be taken again; purge drops the expired ones.
  id[0] = 0;
  CHECK(two->claim_replay(id, t0 + 3min, t0 + 2min));
  CHECK(*one->purge_replays(t0 + 1h) == 2);
}
