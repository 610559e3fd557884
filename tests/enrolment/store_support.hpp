// What every MEF store must do alike (the map, SQLite, PostgreSQL), and the records the tests keep.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

#include "m2msec/enrolment/maf_store.hpp"
#include "m2msec/enrolment/mef_store.hpp"

namespace store_support {

using namespace m2msec;
using namespace std::chrono_literals;

inline const time_point t0 = time_point(std::chrono::seconds(1798761600));  // 2027-01-01

// A SQLite file of its own, removed with its WAL and shared-memory files.
struct temp_file {
  std::filesystem::path path;
  temp_file() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("m2msec-store-" + std::to_string(rd()) + ".db");
  }
  ~temp_file() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  }
};

inline secret key_of(byte b) {
  byte k[32];
  for (auto& x : k) x = b;
  return *secret::copy_of(k);
}

inline enrolment_record record(int n, time_point end = t0 + 24h) {
  byte rel[16] = {};
  rel[0] = static_cast<byte>(n);
  rel[1] = static_cast<byte>(n >> 8);
  return {ke_id::from_bytes(rel, *fqdn::parse("mef.example.com")), key_of(static_cast<byte>(n)),
          *ae_id::parse("/in-cse/C00" + std::to_string(n)),
          {*cse_id::parse("/in-cse"), *fqdn::parse("maf.example.com")},
          *validity::make(t0, end)};
}

template <class Store>
void same_behaviour(Store& s) {
  REQUIRE(s.put(record(1)));
  REQUIRE(s.put(record(2, t0 + 1h)));
  auto got = s.find(record(1).id, t0 + 1min);
  REQUIRE(got);
  CHECK(got->ke == record(1).ke);
  CHECK(to_string(got->enrolee) == "/in-cse/C001");
  REQUIRE(got->targets.size() == 2);
  CHECK(std::holds_alternative<cse_id>(got->targets[0]));
  CHECK(to_string(got->targets[1]) == "maf.example.com");
  CHECK(got->lifetime == record(1).lifetime);
  // Unknown and expired are told apart here (the MEF hides the difference).
  CHECK(s.find(record(3).id, t0).error() == errc::not_found);
  CHECK(s.find(record(2).id, t0 + 1h + 1ns).error() == errc::expired);
  CHECK(s.find(record(1).id, t0 - 1ns).error() == errc::not_yet_valid);
  // Replacing keeps one row with the new key.
  auto again = record(1);
  again.ke = key_of(0xEE);
  REQUIRE(s.put(std::move(again)));
  CHECK(s.find(record(1).id, t0)->ke == key_of(0xEE));
  CHECK(*s.purge(t0 + 2h) == 1);
  CHECK(s.find(record(2).id, t0).error() == errc::not_found);
  CHECK(*s.erase(record(1).id));
  CHECK_FALSE(*s.erase(record(1).id));
  CHECK(s.find(record(1).id, t0).error() == errc::not_found);

  // Client registrations: one per client, replaced by the next, expired, erased.
  const auto who = entity_id{*ae_id::parse("/in-cse/C001")};
  client_registration c{std::string(32, 'A'), who, *fqdn::parse("node.example.com"), *fqdn::parse("adm.example.com"),
                        {"a b", "c"}, t0 + 1h};
  REQUIRE(s.put_client(c));
  auto got_c = s.find_client(c.id, t0);
  REQUIRE(got_c);
  CHECK(to_string(got_c->client) == "/in-cse/C001");
  CHECK(got_c->labels == c.labels);
  CHECK(got_c->admin->str() == "adm.example.com");
  CHECK(got_c->expiration == t0 + 1h);
  CHECK(s.find_client(c.id, t0 + 1h + 1ns).error() == errc::expired);
  auto next = c;
  next.id = std::string(32, 'B');
  next.admin.reset();
  next.labels.clear();
  REQUIRE(s.put_client(next));
  CHECK(s.find_client(c.id, t0).error() == errc::not_found);
  CHECK_FALSE(s.find_client(next.id, t0)->admin);
  CHECK(*s.erase_client(next.id));
  CHECK_FALSE(*s.erase_client(next.id));
  CHECK(s.find_client(next.id, t0).error() == errc::not_found);
}


// Group commit (SQLite, PostgreSQL): writes between begin() and commit() are seen
// by another connection only after commit; a batch whose commit fails leaves nothing.
template <class Open>
void batch_behaviour(Open open) {
  auto writer = open();
  auto reader = open();
  REQUIRE(writer);
  REQUIRE(reader);
  REQUIRE(writer->begin());
  CHECK(writer->begin().error() == errc::invalid_argument);
  for (int i = 20; i < 23; ++i) REQUIRE(writer->put(record(i)));
  CHECK(writer->find(record(20).id, t0));  // its own writes, inside the batch
  CHECK(reader->find(record(20).id, t0).error() == errc::not_found);
  REQUIRE(writer->commit());
  CHECK(writer->commit().error() == errc::invalid_argument);
  for (int i = 20; i < 23; ++i) CHECK(reader->find(record(i).id, t0));
}

// The MAF's: a registered key, and what every MAF store does alike.
inline key_registration registered(int n, time_point end = t0 + 24h) {
  return {std::string(31, 'A') + static_cast<char>('0' + n), key_of(static_cast<byte>(0x10 + n)),
          *ae_id::parse(std::string("/in-cse/C00").append(std::to_string(n))),
          n % 2 ? suid::maf_saef : suid::maf_esdata_encryption, {*cse_id::parse("//sp.example.com/mn-cse")},
          *validity::make(t0, end), {"meter", std::string("n").append(std::to_string(n))},
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

}  // namespace store_support
