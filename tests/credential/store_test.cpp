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
  int openat(int dir, const char* p, int flags, mode_t mode) { return hit() ? -1 : ::openat(dir, p, flags, mode); }
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
  int renameat(int dir, const char* a, const char* b) { return hit() ? -1 : ::renameat(dir, a, dir, b); }
};
// openat, write, fsync, close, renameat | fsync folder
constexpr int write_steps = 6, rename_step = 4;

// The temporary files left beside `file`.
std::size_t temporaries(const fs::path& file) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(file.parent_path()))
    n += e.path().filename().string().starts_with(file.filename().string() + ".tmp");
  return n;
}

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
  // The detail says which check (issue 17 item 3): here the tag, under another key.
  CHECK(describe(errc::corrupted) ==
        "corrupted (credential store: the file does not authenticate: another storage key, another file's name, or changed)");
  write_file(file, bytes_view(good).first(10));
  CHECK(credential_store::open(file, storage_key(), t0).error() == errc::corrupted);
  CHECK(describe(errc::corrupted) == "corrupted (credential store: the file is shorter than a header)");
  write_file(file, good);
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
      CHECK(temporaries(file) == 0);
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

namespace {
symmetric_credential with_key(int i, std::size_t key_size) {
  auto k = secret::allocate(key_size);
  REQUIRE(k);
  return *symmetric_credential::make(std::move(*k), *credential_id::parse("12-big" + std::to_string(i) + "@issuer.example.com"),
                                     suid::rspf_saef, *cse_id::parse("/CSE" + std::to_string(i)),
                                     *validity::make(t0 - 1h, t0 + 24h));
}
// A map as big as the reader refuses, without 65,536 real credentials.
struct counted_map {
  std::size_t n;
  [[nodiscard]] std::size_t size() const { return n; }
  [[nodiscard]] const std::pair<const std::string, symmetric_credential>* begin() const { return nullptr; }
  [[nodiscard]] const std::pair<const std::string, symmetric_credential>* end() const { return nullptr; }
};
}  // namespace

TEST_CASE("store: nothing is written that the reader would refuse", "[credential][store]") {
  const auto dir = fresh_dir("limits");
  const auto file = dir / "creds.bin";
  auto s = credential_store::open(file, storage_key(), t0);
  REQUIRE(s);
  REQUIRE(s->put(make(1)));
  const state before = on_disk(file);
  // A key of 64 KiB does not fit its u16 length: refused, the file as it was.
  CHECK(s->put(with_key(2, 65536)).error() == errc::message_too_long);
  CHECK(on_disk(file) == before);
  CHECK(snapshot(*s) == before);
  REQUIRE(s->put(with_key(3, 65535)));  // the largest that fits
  CHECK(on_disk(file).size() == 2);
  // The record count and the file size, at the writer's check.
  CHECK(store_format::checked_size(counted_map{store_format::max_records}));
  CHECK(store_format::checked_size(counted_map{store_format::max_records + 1}).error() == errc::message_too_long);
  std::map<std::string, symmetric_credential> big;
  for (int i = 0; i < 256; ++i) {
    auto c = with_key(i, 65535);
    big.insert_or_assign(c.id().str(), std::move(c));
  }
  CHECK(store_format::checked_size(big).error() == errc::message_too_long);  // just over 16 MiB
  big.erase(big.begin());
  CHECK(store_format::checked_size(big));
  fs::remove_all(dir);
}

TEST_CASE("store: planted links and files are neither followed nor reused", "[credential][store]") {
  const auto dir = fresh_dir("links");
  const auto file = dir / "creds.bin";
  const auto victim = dir / "victim";
  const std::string theirs = "not yours";
  write_file(victim, as_bytes(theirs));
  const byte_vector victim_bytes(as_bytes(theirs).begin(), as_bytes(theirs).end());
  // The old fixed temporary name, as a link to another file: never opened.
  fs::create_symlink(victim, dir / "creds.bin.tmp");
  {
    auto s = credential_store::open(file, storage_key(), t0);
    REQUIRE(s);
    REQUIRE(s->put(make(1)));
  }
  CHECK(read_file(victim) == victim_bytes);
  CHECK(fs::is_regular_file(fs::symlink_status(file)));
  CHECK((fs::status(file).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(temporaries(file) == 1);  // the planted link alone
  // The store file itself as a link: refused, nothing written through it.
  fs::remove(file);
  fs::create_symlink(victim, file);
  CHECK(credential_store::open(file, storage_key(), t0).error() == errc::io_error);
  CHECK(read_file(victim) == victim_bytes);
  // The lock file as a link: refused too.
  fs::remove(file);
  fs::remove(dir / "creds.bin.lock");
  fs::create_symlink(victim, dir / "creds.bin.lock");
  CHECK(credential_store::open(file, storage_key(), t0).error() == errc::io_error);
  CHECK(read_file(victim) == victim_bytes);
  fs::remove_all(dir);
}

TEST_CASE("store: two writer processes and a reader lose nothing and see no torn file", "[credential][store]") {
  const auto dir = fresh_dir("concurrent");
  const auto file = dir / "creds.bin";
  constexpr int per_writer = 60;
  // Each writer puts its own credentials and records, per put, whether it succeeded.
  auto writer = [&](int base, const fs::path& log) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      std::ofstream out(log);
      auto s = credential_store::open(file, storage_key(), t0);
      if (!s) ::_exit(2);
      for (int i = 0; i < per_writer; ++i) out << (base + i) << ' ' << (s->put(make(base + i)) ? 1 : 0) << '\n';
      out.close();
      ::_exit(0);
    }
    return child;
  };
  const pid_t a = writer(1000, dir / "a.log"), b = writer(2000, dir / "b.log");
  const pid_t reader = ::fork();
  REQUIRE(reader >= 0);
  if (reader == 0) {
    int bad = 0;
    for (int i = 0; i < 200; ++i) {
      auto s = credential_store::open(file, storage_key(), t0);
      bad += !s;
    }
    ::_exit(bad == 0 ? 0 : 1);
  }
  for (pid_t p : {a, b, reader}) {
    int status = 0;
    REQUIRE(::waitpid(p, &status, 0) == p);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  auto s = credential_store::open(file, storage_key(), t0);
  REQUIRE(s);
  std::size_t succeeded = 0, failed = 0;
  for (const char* log : {"a.log", "b.log"}) {
    std::ifstream in(dir / log);
    int id = 0, ok = 0;
    while (in >> id >> ok) {
      const bool there = s->find(*credential_id::parse("12-k" + std::to_string(id) + "@issuer.example.com")) != nullptr;
      CHECK(there == (ok == 1));
      (ok ? succeeded : failed) += 1;
    }
  }
  CHECK(succeeded + failed == 2 * per_writer);
  CHECK(s->size() == succeeded);
  WARN("store: two writers, " << succeeded << " puts succeeded and all survived; " << failed << " failed");
  fs::remove_all(dir);
}

TEST_CASE("store: a file belongs to its store's name; version 1 files are still read", "[credential][store]") {
  const auto dir = fresh_dir("bound");
  const auto first = dir / "first.bin", second = dir / "second.bin";
  {
    auto a = credential_store::open(first, storage_key(), t0);
    REQUIRE(a->put(make(1)));
    auto b = credential_store::open(second, storage_key(), t0);
    REQUIRE(b->put(make(2)));
  }
  // The first store's file put in place of the second's, under the same storage key: refused.
  const auto second_bytes = read_file(second);
  write_file(second, read_file(first));
  CHECK(credential_store::open(second, storage_key(), t0).error() == errc::corrupted);
  write_file(second, second_bytes);
  CHECK(on_disk(second).size() == 1);

  // A version 1 file (the header alone authenticated), written here by hand.
  std::map<std::string, symmetric_credential> records;
  records.insert_or_assign(make(7).id().str(), make(7));
  byte_vector plain(store_format::write_records(records, {}));
  (void)store_format::write_records(records, plain);
  byte_vector v1(store_format::header_size + plain.size() + store_format::aead::tag_size);
  std::copy(std::begin(store_format::magic), std::end(store_format::magic), v1.begin());
  v1[8] = 1;
  v1[9] = store_format::aead_xchacha20_poly1305;
  for (std::size_t i = 10; i < store_format::header_size; ++i) v1[i] = static_cast<byte>(i);
  auto aead = store_format::aead::create(storage_key().expose());
  REQUIRE(aead);
  REQUIRE(aead->seal(mutable_bytes(v1).subspan(store_format::header_size),
                     bytes_view(v1).subspan(10, store_format::aead::nonce_size),
                     bytes_view(v1).first(store_format::header_size), plain));
  const auto old = dir / "old.bin";
  write_file(old, v1);
  auto s = credential_store::open(old, storage_key(), t0);
  REQUIRE(s);
  CHECK(s->find(make(7).id()) != nullptr);
  REQUIRE(s->put(make(8)));
  CHECK(read_file(old)[8] == store_format::version);  // rewritten, bound to its name
  CHECK(on_disk(old).size() == 2);
  fs::remove_all(dir);
}
