// Core types: errc, secret, ct, clock and validity.
#include "m2msec/core/errc.hpp"
#include "m2msec/core/result.hpp"
#include "m2msec/core/rsc.hpp"
#include "m2msec/core/secret.hpp"
#include "m2msec/core/validity.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <type_traits>

using namespace m2msec;
using namespace std::chrono_literals;

TEST_CASE("errc: unique values, each with its own text", "[core][errc]") {
  std::set<std::uint16_t> values;
  std::set<std::string_view> texts;
  for (errc e : all_errc) {
    values.insert(static_cast<std::uint16_t>(e));
    texts.insert(to_string(e));
    CHECK(to_string(e) != "unknown error");
  }
  CHECK(values.size() == std::size(all_errc));
  CHECK(texts.size() == std::size(all_errc));
  CHECK(to_string(static_cast<errc>(0xFFFF)) == "unknown error");
  // all_errc ends at the last value: the one after it has no text.
  CHECK(to_string(static_cast<errc>(std::size(all_errc) + 1)) == "unknown error");
  result<int> r = fail(errc::auth_failed);
  CHECK(r.error() == errc::auth_failed);
}

// Storage that remembers what the bytes held when they were handed back.
struct observed_storage {
  static inline std::string last_released;
  static inline bool all_zero_at_release = false;
  static void* allocate(std::size_t n, bool& locked) noexcept {
    locked = false;
    return std::calloc(n, 1);
  }
  static void deallocate(void* p, std::size_t n) noexcept {
    all_zero_at_release = ct::is_zero({static_cast<const byte*>(p), n});
    last_released.assign(static_cast<const char*>(p), n);
    std::free(p);
  }
};
static_assert(secret_storage<observed_storage>);

TEST_CASE("errc as std::error_code; rsc by name", "[core][errc]") {
  const std::error_code ec = errc::replayed;  // is_error_code_enum
  CHECK(ec.category().name() == std::string("m2msec"));
  CHECK(ec.value() == 29);
  CHECK(ec.message() == "replayed");
  CHECK(ec == make_error_code(errc::replayed));
  CHECK(ec != std::error_code(29, std::generic_category()));
  for (errc e : all_errc) CHECK(make_error_code(e).message() == to_string(e));
  CHECK(to_string(rsc::originator_not_authenticated) == "ORIGINATOR_NOT_AUTHENTICATED");
  CHECK(to_string(rsc::security_association_required) == "SECURITY_ASSOCIATION_REQUIRED");
  CHECK(to_string(rsc::esprim_bad_mac) == "ESPRIM_BAD_MAC");
  CHECK(to_string(static_cast<rsc>(1234)) == "UNKNOWN");
  // Every code m2msec sends for an errc has a name.
  for (errc e : all_errc) CHECK(to_string(to_rsc(e)) != "UNKNOWN");
}

TEST_CASE("Failure details: fail() records where and what; describe() attaches them to their own errc, per thread",
          "[core][errc][detail]") {
  auto f = []() -> result<int> { return fail(errc::corrupted, "credential store", "the file does not authenticate"); };
  auto r = f();
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::corrupted);
  CHECK(last_failure().where == "credential store");
  CHECK(describe(r.error()) == "corrupted (credential store: the file does not authenticate)");
  CHECK(describe(errc::expired) == "expired");  // not this detail's errc
  // A failure without detail leaves the last one in place, but never on another errc.
  auto plain = []() -> result<int> { return fail(errc::not_found); }();
  CHECK(describe(plain.error()) == "not found");
  // Each thread has its own.
  std::string other;
  std::thread([&] { other = describe(errc::corrupted); }).join();
  CHECK(other == "corrupted");
  CHECK(note(errc::expired, "a", "b") == errc::expired);
  CHECK(describe(errc::expired) == "expired (a: b)");
}

TEST_CASE("secret: move-only, wiped before release, compared in constant time", "[core][secret]") {
  STATIC_REQUIRE(!std::is_copy_constructible_v<secret>);
  STATIC_REQUIRE(!std::is_copy_assignable_v<secret>);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<secret>);
  STATIC_REQUIRE(std::is_nothrow_move_assignable_v<secret>);
  STATIC_REQUIRE(!std::is_convertible_v<secret, bytes_view>);

  using observed = basic_secret<observed_storage>;
  {
    auto s = observed::copy_of(as_bytes("top secret key!!"));
    REQUIRE(s);
    REQUIRE(s->size() == 16);
    observed_storage::all_zero_at_release = false;
  }
  CHECK(observed_storage::all_zero_at_release);
  CHECK(observed_storage::last_released == std::string(16, '\0'));

  {  // move assignment releases (and wipes) the old bytes
    auto a = observed::copy_of(as_bytes("aaaa"));
    auto b = observed::copy_of(as_bytes("bbbbbbbb"));
    observed_storage::all_zero_at_release = false;
    *a = std::move(*b);
    CHECK(observed_storage::all_zero_at_release);
    CHECK(observed_storage::last_released.size() == 4);
    CHECK(a->size() == 8);
    CHECK(b->empty());  // NOLINT: the moved-from secret is empty by contract
  }

  auto k = secret::copy_of(as_bytes("0123456789abcdef"));
  REQUIRE(k);
  auto c = k->clone();
  REQUIRE(c);
  CHECK(*k == *c);
  c->expose()[3] ^= 1;
  CHECK(!(*k == *c));
  auto z = secret::allocate(32);
  REQUIRE(z);
  CHECK(ct::is_zero(z->expose()));
  INFO("mlock refused here (RLIMIT_MEMLOCK) is allowed; locked = " << z->locked());
  auto empty = secret::allocate(0);
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("read_secret_file: the whole file, or a clear errc", "[core][secret]") {
  const auto dir = std::filesystem::temp_directory_path() / ("m2msec-secret-file-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "key").string();
  std::ofstream(path, std::ios::binary) << std::string(1000, 'k') << "end";
  auto whole = read_secret_file(path.c_str());
  REQUIRE(whole);
  CHECK(whole->size() == 1003);
  CHECK(whole->expose()[1002] == 'd');
  CHECK(read_secret_file(path.c_str(), 1002).error() == errc::message_too_long);
  CHECK(read_secret_file(path.c_str(), 1003));
  CHECK(read_secret_file((dir / "missing").string().c_str()).error() == errc::io_error);
  CHECK(read_secret_file(dir.string().c_str()).error() == errc::io_error);  // a directory
  std::ofstream(dir / "empty");
  auto empty = read_secret_file((dir / "empty").string().c_str());
  REQUIRE(empty);
  CHECK(empty->empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("ct: equal and wipe", "[core][ct]") {
  const byte a[] = {1, 2, 3}, b[] = {1, 2, 4};
  CHECK(ct::equal(a, a));
  CHECK(!ct::equal(a, b));
  CHECK(!ct::equal(a, bytes_view(a).first(2)));
  CHECK(ct::equal({}, {}));
  byte w[] = {9, 9, 9};
  ct::wipe(w);
  CHECK(ct::is_zero(w));
}

TEST_CASE("clock: manual clock moves only when told", "[core][clock]") {
  STATIC_REQUIRE(m2msec::clock<manual_clock>);
  STATIC_REQUIRE(m2msec::clock<system_clock>);
  manual_clock c(time_point{} + 100s);
  CHECK(c.now() == time_point{} + 100s);
  c.advance(5s);
  CHECK(c.now() == time_point{} + 105s);
  c.set(time_point{});
  CHECK(c.now() == time_point{});
  CHECK(system_clock{}.now() > time_point{});
}

TEST_CASE("validity: contains, check, intersect, cap strictly below", "[core][validity]") {
  const time_point t0{};
  CHECK(validity::make(t0 + 10s, t0).error() == errc::invalid_validity);
  auto v = *validity::make(t0 + 10s, t0 + 20s);
  CHECK(v.contains(t0 + 10s));
  CHECK(v.contains(t0 + 20s));
  CHECK(!v.contains(t0 + 21s));
  CHECK(v.check(t0 + 9s).error() == errc::not_yet_valid);
  CHECK(v.check(t0 + 21s).error() == errc::expired);
  CHECK(v.check(t0 + 15s));
  manual_clock c(t0 + 15s);
  CHECK(v.check(c));

  auto w = *validity::make(t0 + 15s, t0 + 30s);
  CHECK(*v.intersect(w) == *validity::make(t0 + 15s, t0 + 20s));
  CHECK(v.intersect(*validity::make(t0 + 21s, t0 + 30s)).error() == errc::invalid_validity);

  // A request longer than the credential is cut to end strictly before it.
  auto credential = *validity::make(t0 + 10s, t0 + 20s);
  auto requested = *validity::make(t0, t0 + 100s);
  auto capped = *requested.cap_strictly_below(credential);
  CHECK(capped.not_before() == t0 + 10s);
  CHECK(capped.not_after() < credential.not_after());
  CHECK(capped.not_after() == credential.not_after() - duration{1});
  // A shorter request is never extended.
  auto shorter = *validity::make(t0 + 12s, t0 + 14s);
  CHECK(*shorter.cap_strictly_below(credential) == shorter);
  // Nothing left: the request lies after the credential.
  CHECK(validity::make(t0 + 20s, t0 + 30s)->cap_strictly_below(credential).error() == errc::invalid_validity);
  // A credential of one instant leaves nothing strictly inside it.
  auto instant = *validity::make(t0 + 5s, t0 + 5s);
  CHECK(requested.cap_strictly_below(instant).error() == errc::invalid_validity);
}

TEST_CASE("validity: capping never outlives or precedes the outer interval (property)", "[core][validity][property]") {
  std::uint64_t state = 0x9E3779B97F4A7C15u;
  auto next = [&] {  // xorshift64*, deterministic
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return static_cast<std::int64_t>((state * 0x2545F4914F6CDD1Du) % 1000);
  };
  for (int i = 0; i < 100000; ++i) {
    const time_point t0{};
    auto a = next(), b = next(), c = next(), d = next();
    auto outer = validity::make(t0 + std::chrono::seconds(std::min(a, b)), t0 + std::chrono::seconds(std::max(a, b)));
    auto req = validity::make(t0 + std::chrono::seconds(std::min(c, d)), t0 + std::chrono::seconds(std::max(c, d)));
    auto capped = req->cap_strictly_below(*outer);
    if (!capped) continue;
    REQUIRE(capped->not_after() < outer->not_after());
    REQUIRE(capped->not_before() >= outer->not_before());
    REQUIRE(capped->not_after() <= req->not_after());
    REQUIRE(capped->not_before() >= req->not_before());
  }
}

TEST_CASE("rsc: every errc maps to a oneM2M response status code", "[core][errc]") {
  for (errc e : all_errc) {
    const int code = static_cast<int>(to_rsc(e));
    INFO(to_string(e));
    CHECK((code == 4000 || code == 4103 || code == 4106 || code == 4107 || code == 5000));
  }
  CHECK(to_rsc(errc::originator_not_authenticated) == rsc::originator_not_authenticated);
  CHECK(static_cast<int>(to_rsc(errc::security_association_required)) == 4107);
  CHECK(to_rsc(errc::sa_expired) == rsc::originator_not_authenticated);
  CHECK(to_rsc(errc::auth_failed) == rsc::originator_not_authenticated);
  CHECK(to_rsc(errc::invalid_encoding) == rsc::bad_request);
  CHECK(to_rsc(errc::corrupted) == rsc::internal_server_error);
  CHECK(static_cast<int>(rsc::esprim_impersonation_error) == 4116);
  CHECK(static_cast<int>(rsc::esprim_encryption_error) == 5211);
}
