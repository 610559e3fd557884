// The MAF's stores (TS-0003 §8.8.2): the same behaviour from the map and from
// SQLite; and what only a file can suffer: another store key, a row moved under
// another RelativeKeyID or its targets widened in the file, a reopen.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include <sqlite3.h>

#include "m2msec/enrolment/sqlite_maf_store.hpp"
#include "store_support.hpp"

using namespace m2msec;
using namespace std::chrono_literals;
using namespace store_support;

namespace {

struct temp_file {
  std::filesystem::path path;
  temp_file() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("m2msec-maf-" + std::to_string(rd()) + ".db");
  }
  ~temp_file() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  }
};

key_registration registered(int n, time_point end = t0 + 24h) {
  return {std::string(31, 'A') + static_cast<char>('0' + n), key_of(static_cast<byte>(0x10 + n)),
          *ae_id::parse("/in-cse/C00" + std::to_string(n)), n % 2 ? suid::maf_saef : suid::maf_esdata_encryption,
          {*cse_id::parse("//sp.example.com/mn-cse")}, *validity::make(t0, end), {"meter", "n" + std::to_string(n)},
          n % 2 ? std::optional<fqdn>(*fqdn::parse("adm.example.com")) : std::nullopt};
}

template <class Store>
void keys_behaviour(Store& s) {
  REQUIRE(s.put_key(registered(1)));
  REQUIRE(s.put_key(registered(2, t0 + 1h)));
  auto got = s.find_key(registered(1).relative_id, t0 + 1min);
  REQUIRE(got);
  CHECK(got->key == registered(1).key);
  CHECK(to_string(got->source) == "/in-cse/C001");
  CHECK(got->usage == suid::maf_saef);
  REQUIRE(got->targets.size() == 1);
  CHECK(to_string(got->targets[0]) == "//sp.example.com/mn-cse");
  CHECK(got->labels == registered(1).labels);
  CHECK(got->admin->str() == "adm.example.com");
  CHECK(got->lifetime == registered(1).lifetime);
  CHECK_FALSE(s.find_key(registered(2).relative_id, t0)->admin);
  // Unknown and expired are told apart here (the MAF hides the difference).
  CHECK(s.find_key(registered(3).relative_id, t0).error() == errc::not_found);
  CHECK(s.find_key(registered(2).relative_id, t0 + 1h + 1ns).error() == errc::expired);
  // Replacing keeps one row with the new targets.
  auto again = registered(1);
  again.targets.push_back(*ae_id::parse("//sp.example.com/in-cse/C009"));
  REQUIRE(s.put_key(std::move(again)));
  CHECK(s.find_key(registered(1).relative_id, t0)->targets.size() == 2);
  CHECK(*s.purge(t0 + 2h) == 1);
  CHECK(s.find_key(registered(2).relative_id, t0).error() == errc::not_found);
  CHECK(*s.erase_key(registered(1).relative_id));
  CHECK_FALSE(*s.erase_key(registered(1).relative_id));
  // Client registrations, found by their client too.
  const auto who = entity_id{*ae_id::parse("/in-cse/C001")};
  REQUIRE(s.put_client({std::string(32, 'B'), who, *fqdn::parse("node.example.com"), std::nullopt, {}, t0 + 1h}));
  CHECK(s.find_client_of(who, t0)->id == std::string(32, 'B'));
  CHECK(s.find_client_of(who, t0 + 2h).error() == errc::expired);
  CHECK(s.find_client_of(entity_id{*ae_id::parse("/in-cse/C002")}, t0).error() == errc::not_found);
  REQUIRE(s.put_client({std::string(32, 'C'), who, *fqdn::parse("node.example.com"), std::nullopt, {}, t0 + 1h}));
  CHECK(s.find_client_of(who, t0)->id == std::string(32, 'C'));
  CHECK(s.find_client(std::string(32, 'B'), t0).error() == errc::not_found);
}

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
