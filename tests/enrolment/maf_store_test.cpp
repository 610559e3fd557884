// The MAF's stores (TS-0003 §8.8.2): the same behaviour from the map and from
// SQLite; and what only a file can suffer: another store key, a row moved under
// another RelativeKeyID or its targets widened in the file, a reopen.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include <sqlite3.h>

#include "../e2e/esprim_support.hpp"
#include "m2msec/enrolment/sqlite_maf_store.hpp"
#include "store_support.hpp"

using namespace m2msec;
using namespace std::chrono_literals;
using namespace store_support;

namespace {

void tamper(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("MAF stores: the map and SQLite keep, find, replace, expire, purge and erase keys alike", "[maf][store]") {
  memory_maf_store m;
  keys_behaviour(m);
  temp_file f;
  auto s = sqlite_maf_store::open(f.path, key_of(0x42));
  REQUIRE(s);
  keys_behaviour(*s);
}

TEST_CASE("MAF SQLite store: keys sealed at rest, bound to their row, persistent, refused under another key",
          "[maf][store]") {
  temp_file f;
  {
    auto s = sqlite_maf_store::open(f.path, key_of(0x42));
    REQUIRE(s);
    REQUIRE(s->put_key(registered(1)));
    REQUIRE(s->put_key(registered(2)));
  }
  {  // The key bytes are nowhere in the file.
    std::ifstream in(f.path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    const auto one = registered(1);
    const auto k = one.key.expose();
    CHECK(bytes.find(std::string(reinterpret_cast<const char*>(k.data()), k.size())) == std::string::npos);
  }
  {  // Reopened under its key: everything is there; under another: no row opens.
    auto s = sqlite_maf_store::open(f.path, key_of(0x42));
    REQUIRE(s);
    CHECK(s->find_key(registered(2).relative_id, t0)->key == registered(2).key);
    auto other = sqlite_maf_store::open(f.path, key_of(0x43));
    REQUIRE(other);
    CHECK(other->find_key(registered(1).relative_id, t0).error() == errc::corrupted);
  }
  // A target added in the file, a lifetime stretched, a row's key moved under another ID: corrupted.
  tamper(f.path, "UPDATE maf_key SET targets = targets || 'cse://sp.example.com/evil-cse' || char(10) WHERE rel_id = '" +
                     registered(1).relative_id + "'");
  tamper(f.path, "UPDATE maf_key SET sealed = (SELECT sealed FROM maf_key WHERE rel_id = '" + registered(1).relative_id +
                     "') WHERE rel_id = '" + registered(2).relative_id + "'");
  auto s = sqlite_maf_store::open(f.path, key_of(0x42));
  REQUIRE(s);
  CHECK(s->find_key(registered(1).relative_id, t0).error() == errc::corrupted);
  CHECK(s->find_key(registered(2).relative_id, t0).error() == errc::corrupted);
  REQUIRE(s->put_key(registered(3)));
  tamper(f.path, "UPDATE maf_key SET not_after = not_after + 86400000000000 WHERE rel_id = '" + registered(3).relative_id + "'");
  CHECK(s->find_key(registered(3).relative_id, t0).error() == errc::corrupted);
}

// issue 14 item 8: two Receivers (two nodes of one CSE, or a restart) that take the
// same rand object share their replay records through the function store's file:
// a request accepted at one is refused at the other, until its rand objects expire.
TEST_CASE("ESPrim replay records shared through the SQLite store: a request accepted at one node is refused at another",
          "[esprim][replay][store]") {
  temp_file f;
  esprim_support::pair p;
  auto node = [&](sqlite_maf_store& store) {
    esprim::receiver_options opt;
    opt.shared_replays = [&store](const replay_cache::object_id& id, time_point expires, time_point now) {
      return store.claim_replay(id, expires, now);
    };
    auto rx = std::make_unique<esprim::receiver>(p.hosting, std::move(opt));
    REQUIRE(rx->add_pairwise_key({esprim_support::credential(p.pairwise, p.hosting, p.key_life),
                                  esprim_support::originator_from}));
    REQUIRE(rx->add_rand_object(p.receiver_object));
    return rx;
  };
  // Two store objects on one file: two processes' connections.
  auto one = sqlite_maf_store::open(f.path, key_of(0x42));
  auto two = sqlite_maf_store::open(f.path, key_of(0x42));
  REQUIRE(one);
  REQUIRE(two);
  auto a = node(*one), b = node(*two);
  auto orig = p.originator();
  auto captured = orig.protect_request(as_bytes(esprim_support::request()), p.clock);
  REQUIRE(captured);
  REQUIRE(a->unprotect(*captured, p.clock));
  CHECK(b->unprotect(*captured, p.clock).error() == esprim::error{rsc::originator_not_authenticated, errc::replayed});
  // A restart of node a (a new Receiver, its own cache empty): refused too.
  CHECK(node(*one)->unprotect(*captured, p.clock).error() ==
        esprim::error{rsc::originator_not_authenticated, errc::replayed});
  // Another request is accepted at either.
  auto next = orig.protect_request(as_bytes(esprim_support::request(esprim_support::originator_from, "req-2")), p.clock);
  REQUIRE(next);
  CHECK(b->unprotect(*next, p.clock));
  // Claims end with the rand objects: purged after, and a claim may be taken again then.
  replay_cache::object_id id{};
  id[0] = 7;
  const time_point now = p.clock.now();
  REQUIRE(one->claim_replay(id, now + 1min, now));
  CHECK(two->claim_replay(id, now + 1min, now).error() == errc::replayed);
  CHECK(two->claim_replay(id, now + 3min, now + 2min));
  CHECK(*one->purge_replays(now + 2h) >= 1);
}
