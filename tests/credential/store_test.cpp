// The credential store: round trip, tamper detection, expiry on load, and a
// failure or a kill injected at every step of a write.
#include "m2msec/credential/store.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

using namespace m2msec;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const time_point t0 = time_point(std::chrono::seconds(1798761600));

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("m2msec_store_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
secret storage_key(byte fill = 0x42) {
  byte k[32];
  std::fill(std::begin(k), std::end(k), fill);
  return *secret::copy_of(k);
}
symmetric_credential make(int i, time_point nb = t0 - 1h, time_point na = t0 + 24h) {
  byte k[32];
  for (int j = 0; j < 32; ++j) k[j] = static_cast<byte>(i * 31 + j);
  return *symmetric_credential::make(*secret::copy_of(k),
                                     *credential_id::parse("12-k" + std::to_string(i) + "@issuer.example.com"),
                                     suid::rspf_saef, *cse_id::parse("/CSE" + std::to_string(i)),
                                     *validity::make(nb, na));
}
using state = std::vector<std::string>;
template <class S>
state snapshot(const S& s) {
  state out;
  s.for_each([&](const symmetric_credential& c) {
    out.push_back(c.id().str() + "|" + hex_encode(c.key().expose()) + "|" + to_string(c.holder()) + "|" +
                  to_string(c.usage()) + "|" + std::to_string(c.lifetime().not_after().time_since_epoch().count()));
  });
  return out;
}
state on_disk(const fs::path& file) {
  auto s = credential_store::open(file, storage_key(), t0);
  REQUIRE(s);
  return snapshot(*s);
}
byte_vector read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return byte_vector(std::istreambuf_iterator<char>(in), {});
}
void write_file(const fs::path& p, bytes_view b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Fails (or kills the process at) the n-th system call of a write.
struct faulty_io {
  int fail_at = -1;
  bool kill = false;
  int step = 0;
  bool hit() {
    if (step++ != fail_at) return false;
    if (kill) ::raise(SIGKILL);
    errno = EIO;
    return true;
  }
  int open(const char* p, int flags, mode_t mode) { return hit() ? -1 : ::open(p, flags, mode); }
  ssize_t write(int fd, const void* p, std::size_t n) {
    if (step == fail_at && n > 1) (void)!::write(fd, p, n / 2);  // a torn write first
    return hit() ? -1 : ::write(fd, p, n);
  }
  int fsync(int fd) { return hit() ? -1 : ::fsync(fd); }
  int close(int fd) {
    const bool f = hit();
    ::close(fd);
    return f ? -1 : 0;
  }
  int rename(const char* a, const char* b) { return hit() ? -1 : ::rename(a, b); }
};
// open, write, fsync, close, rename | open folder, fsync folder, close folder
constexpr int write_steps = 8, rename_step = 4;

}  // namespace

TEST_CASE("store: round trip, replace, erase, purge", "[credential][store]") {
  const auto dir = fresh_dir("roundtrip");
  const auto file = dir / "creds.bin";
  auto s = credential_store::open(file, storage_key(), t0);
  REQUIRE(s);
  CHECK(s->size() == 0);
  REQUIRE(s->put(make(1)));
  REQUIRE(s->put(make(2)));
  REQUIRE(s->put(make(3, t0 - 2h, t0 + 1h)));
  CHECK(on_disk(file) == snapshot(*s));
  CHECK(on_disk(file).size() == 3);
  // The file holds no key in the clear.
  const auto bytes = read_file(file);
  const auto k1 = make(1);
  CHECK(std::search(bytes.begin(), bytes.end(), k1.key().expose().begin(), k1.key().expose().end()) == bytes.end());
  REQUIRE(s->put(make(2, t0 - 1h, t0 + 48h)));  // replace
  CHECK(on_disk(file).size() == 3);
  REQUIRE(s->erase(*credential_id::parse("12-k1@issuer.example.com")));
  CHECK(s->erase(*credential_id::parse("12-k1@issuer.example.com")).error() == errc::not_found);
  CHECK(on_disk(file) == snapshot(*s));
  CHECK(*s->purge(t0 + 2h) == 1);
  CHECK(on_disk(file).size() == 1);
  CHECK(s->find(*credential_id::parse("12-k2@issuer.example.com")) != nullptr);
  // Expired credentials are dropped on open.
  REQUIRE(s->put(make(4, t0 - 2h, t0 + 1h)));
  auto later = credential_store::open(file, storage_key(), t0 + 2h);
  REQUIRE(later);
  CHECK(later->purged_on_open() == 1);
  CHECK(later->size() == 1);
  CHECK(credential_store::open(file, *secret::copy_of(bytes_view(bytes).first(16)), t0).error() ==
        errc::invalid_key_size);
  fs::remove_all(dir);
}

TEST_CASE("store: every tampered, truncated or foreign file is refused and left alone", "[credential][store]") {
  const auto dir = fresh_dir("tamper");
  const auto file = dir / "creds.bin";
  {
    auto s = credential_store::open(file, storage_key(), t0);
    REQUIRE(s->put(make(1)));
    REQUIRE(s->put(make(2)));
  }
  const auto good = read_file(file);
  std::size_t cases = 0;
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (byte bit : {byte{0x01}, byte{0x80}}) {
      auto bad = good;
      bad[i] ^= bit;
      write_file(file, bad);
      auto s = credential_store::open(file, storage_key(), t0);
      REQUIRE_FALSE(s);
      CHECK(s.error() == errc::corrupted);
      CHECK(read_file(file) == bad);  // reported, not rewritten
      ++cases;
    }
  }
  for (std::size_t n = 0; n < good.size(); ++n) {
    write_file(file, bytes_view(good).first(n));
    REQUIRE(credential_store::open(file, storage_key(), t0).error() == errc::corrupted);
    ++cases;
  }
  auto longer = good;
  longer.push_back(0);
  write_file(file, longer);
  CHECK(credential_store::open(file, storage_key(), t0).error() == errc::corrupted);
  write_file(file, good);
  CHECK(credential_store::open(file, storage_key(0x43), t0).error() == errc::corrupted);
  CHECK(on_disk(file).size() == 2);
  WARN("store: " << cases << " tampered and truncated files refused");
  fs::remove_all(dir);
}

TEST_CASE("store: a failure at every step of a write leaves exactly the old or the new state", "[credential][store]") {
  const auto dir = fresh_dir("faults");
  const auto file = dir / "creds.bin";
  std::size_t runs = 0;
  for (int op = 0; op < 3; ++op) {
    for (int step = 0; step < write_steps; ++step) {
      fs::remove(file);
      basic_credential_store<faulty_io>::open(file, storage_key(), t0).and_then([](auto s) -> result<void> {
        REQUIRE(s.put(make(1)));
        REQUIRE(s.put(make(2)));
        return {};
      });
      const state old_state = on_disk(file);
      REQUIRE(old_state.size() == 2);
      auto s = basic_credential_store<faulty_io>::open(file, storage_key(), t0);
      REQUIRE(s);
      s->io().fail_at = step;
      result<void> r;
      if (op == 0) r = s->put(make(3));                       // add
      else if (op == 1) r = s->put(make(2, t0, t0 + 99h));    // replace
      else r = s->erase(*credential_id::parse("12-k1@issuer.example.com"));
      INFO("op " << op << ", failing step " << step);
      REQUIRE_FALSE(r);
      CHECK(r.error() == errc::io_error);
      const state now = on_disk(file);
      if (step <= rename_step) CHECK(now == old_state);
      else CHECK(now != old_state);
      CHECK(snapshot(*s) == now);  // memory agrees with the file
      CHECK_FALSE(fs::exists(file.string() + ".tmp"));
      // And the store works again afterwards.
      s->io().fail_at = -1;
      REQUIRE(s->put(make(9)));
      CHECK(on_disk(file) == snapshot(*s));
      ++runs;
    }
  }
  CHECK(runs == 3 * write_steps);
  WARN("store: " << runs << " injected write failures, each left the old or the new state");
  fs::remove_all(dir);
}

TEST_CASE("store: a process killed at every step of a write, and at random times", "[credential][store]") {
  const auto dir = fresh_dir("kill");
  const auto file = dir / "creds.bin";
  std::size_t kills = 0;
  for (int step = 0; step < write_steps; ++step) {
    fs::remove(file);
    {
      auto s = credential_store::open(file, storage_key(), t0);
      REQUIRE(s->put(make(1)));
    }
    const state old_state = on_disk(file);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto s = basic_credential_store<faulty_io>::open(file, storage_key(), t0);
      if (!s) ::_exit(2);
      s->io().fail_at = step;
      s->io().kill = true;
      (void)s->put(make(2));
      ::_exit(3);  // not reached: the kill comes first
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    const state now = on_disk(file);
    INFO("killed at step " << step);
    if (step <= rename_step) CHECK(now == old_state);
    else CHECK(now.size() == 2);
    // A torn temporary file may remain; it is never read, and the next write replaces it.
    auto s = credential_store::open(file, storage_key(), t0);
    REQUIRE(s->put(make(5)));
    CHECK(on_disk(file) == snapshot(*s));
    ++kills;
  }
  // A child writing state after state, killed at a random moment: the file holds
  // one of those states, whole.
  std::mt19937 rng(7);
  std::size_t random_kills = 0, largest = 0;
  for (int round = 0; round < 20; ++round) {
    fs::remove(file);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto s = credential_store::open(file, storage_key(), t0);
      for (int i = 0; s && i < 100000; ++i) (void)s->put(make(i));
      ::_exit(0);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(2000, 40000)(rng)));
    ::kill(child, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    auto s = credential_store::open(file, storage_key(), t0);
    REQUIRE(s);
    // The states written were the prefixes {0..n-1}: the file must hold one of them, whole.
    const std::size_t n = s->size();
    for (std::size_t i = 0; i < n; ++i) {
      const auto* c = s->find(*credential_id::parse("12-k" + std::to_string(i) + "@issuer.example.com"));
      REQUIRE(c != nullptr);
      CHECK(c->key() == make(static_cast<int>(i)).key());
    }
    largest = std::max(largest, n);
    ++random_kills;
  }
  WARN("store: " << kills << " kills at each write step and " << random_kills
                 << " kills at random times (up to " << largest << " credentials); every file opened whole");
  CHECK(largest > 0);
  fs::remove_all(dir);
}
