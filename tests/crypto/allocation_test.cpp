// seal/open and MAC compute/verify allocate nothing, for any message size, once
// the policy object exists. Every heap allocation of the program is counted:
// operator new, and malloc/calloc/realloc (glibc's __libc_* entry points), which
// is where Botan's secure_vector goes when its locked pool is off
// (BOTAN_MLOCK_POOL_SIZE=0, set by meson for this test).
#include <catch2/catch.hpp>

#include <malloc.h>

#include <array>
#include <atomic>
#include <cstring>
#include <string_view>
#include <cstdlib>
#include <new>

#include <botan/secmem.h>

#include "m2msec/jose/jwk.hpp"
#include "support/policies.hpp"

namespace {
std::atomic<std::size_t> allocations{0};

// The freed-memory scan: while `scanning`, every block freed is searched for the
// needles (a private key member as base64url and as bytes) before it goes back.
std::atomic<bool> scanning{false};
std::array<std::string_view, 2> needles;
std::atomic<std::size_t> left_behind{0};
}  // namespace

extern "C" {
void* __libc_malloc(std::size_t);
void __libc_free(void*);
void free(void* p) {
  if (p != nullptr && scanning.load(std::memory_order_relaxed)) {
    const std::size_t n = malloc_usable_size(p);
    for (auto needle : needles)
      if (!needle.empty() && ::memmem(p, n, needle.data(), needle.size()) != nullptr) ++left_behind;
  }
  __libc_free(p);
}
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* malloc(std::size_t n) {
  ++allocations;
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t s) {
  ++allocations;
  return __libc_calloc(n, s);
}
void* realloc(void* p, std::size_t n) {
  ++allocations;
  return __libc_realloc(p, n);
}
}

void* operator new(std::size_t n) {
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace m2msec;

// Botan's ChaCha::set_iv() takes one 32-byte secure buffer for a 24-byte nonce
// (HChaCha20); that one allocation per call is the documented exception.
template <class P>
constexpr std::size_t allowed_per_call =
    std::is_same_v<P, crypto::aead<crypto::xchacha20_poly1305, backend::botan>> ? 1 : 0;

TEMPLATE_LIST_TEST_CASE("aead: seal and open allocate nothing", "[aead][alloc]", policies::aeads) {
  auto a = TestType::create(policies::random_bytes(TestType::key_size));
  REQUIRE(a);
  const auto nonce = policies::random_bytes(TestType::nonce_size), ad = policies::random_bytes(300);
  const auto big = policies::random_bytes(60000);
  byte_vector sealed(TestType::sealed_size(big.size())), opened(big.size());
  const std::size_t before = allocations.load();
  bool ok = true;
  std::size_t calls = 0;
  for (std::size_t n : {0u, 1u, 64u, 1000u, 1024u, 60000u})
    for (std::size_t d : {0u, 13u, 300u}) {  // AD longer than any before
      const auto pt = bytes_view(big).first(n);
      ok = ok && a->seal(sealed, nonce, bytes_view(ad).first(d), pt).has_value();
      ok = ok && a->open(opened, nonce, bytes_view(ad).first(d), bytes_view(sealed).first(n + TestType::tag_size));
      sealed[0] ^= 1;  // and the failure path
      ok = ok && !a->open(opened, nonce, bytes_view(ad).first(d), bytes_view(sealed).first(n + TestType::tag_size));
      calls += 3;
    }
  const std::size_t after = allocations.load();
  REQUIRE(ok);
  CHECK(after - before == calls * allowed_per_call<TestType>);
}

TEMPLATE_LIST_TEST_CASE("mac: compute and verify allocate nothing", "[mac][alloc]", policies::macs) {
  auto m = TestType::create(policies::random_bytes(32));
  REQUIRE(m);
  const auto msg = policies::random_bytes(5000);
  byte_vector tag(TestType::tag_size);
  const std::size_t before = allocations.load();
  bool ok = true;
  for (std::size_t n : {0u, 64u, 1024u, 5000u}) {
    ok = ok && m->compute(bytes_view(msg).first(n), tag).has_value();
    ok = ok && m->verify(bytes_view(msg).first(n), tag).has_value();
  }
  const std::size_t after = allocations.load();
  REQUIRE(ok);
  CHECK(after - before == 0);
}

TEST_CASE("the allocation counter counts new, malloc and Botan's secure buffers", "[alloc]") {
  REQUIRE(std::getenv("BOTAN_MLOCK_POOL_SIZE") != nullptr);
  std::size_t before = allocations.load();
  int* volatile p = new int(3);  // volatile: the compiler may not elide the pair
  delete p;
  CHECK(allocations.load() - before == 1);
  before = allocations.load();
  {
    Botan::secure_vector<std::uint8_t> v(32);
    CHECK(v.size() == 32);
  }
  CHECK(allocations.load() - before == 1);
}

// The security association's per-use check, and the key schedule's derivations
// on libsodium's HMAC into a caller's span, allocate nothing.
#include "m2msec/kdf/key_schedule.hpp"
#include "m2msec/sa/security_association.hpp"

TEST_CASE("sa: use() and the span derivations allocate nothing", "[sa][alloc]") {
  using namespace std::chrono_literals;
  struct cred {
    credential_id cid = *credential_id::parse("12-k@issuer.example.com");
    validity life = *validity::make(time_point{}, time_point{} + 24h);
    const credential_id& id() const { return cid; }
    const validity& lifetime() const { return life; }
    suid usage() const { return suid::preprovisioned_saef; }
  } c;
  manual_clock clk(time_point{} + 1h);
  auto sa = security_association::create({*cse_id::parse("/a"), *cse_id::parse("/b")}, c,
                                         requested_lifetime::session(1h), {.soft_bytes = 1 << 20, .hard_bytes = 1 << 30}, clk);
  REQUIRE(sa);
  const auto ke = policies::random_bytes(32);
  byte out[32];
  const std::size_t before = allocations.load();
  bool ok = true;
  for (int i = 0; i < 1000; ++i) ok = ok && sa->use(clk, 64).has_value();
  ok = ok && derive_km(ke, "maf.example.com", out).has_value();
  ok = ok && derive_kpsa(ke, "//sp.example.com/CSE123", out).has_value();
  ok = ok && derive_usage_constrained(ke, suid::rspf_saef, "cse123.in-cse.sp.example.com", out).has_value();
  const std::size_t after = allocations.load();
  REQUIRE(ok);
  CHECK(after - before == 0);
}

TEST_CASE("JWK private members leave no copy in freed memory, read or written (issue 13 item 14)", "[jose][alloc]") {
  using namespace m2msec::jose;
  auto control = [] {
    // The scan bites: nlohmann-json's own document and lexer leave the member behind.
    return left_behind.load();
  };
  for (alg a : {alg::hs256, alg::es256, alg::rs256}) {
    INFO(to_string(a));
    auto key = jwk::generate({a}, "k1");
    REQUIRE(key);
    const auto dumped = key->to_json(true).dump();
    const std::string text(dumped.begin(), dumped.end());
    const std::string member = key->type() == kty::oct ? "k" : "d";
    const auto at = text.find("\"" + member + "\":\"") + member.size() + 4;
    const std::string encoded = text.substr(at, 24);
    const auto raw = key->type() == kty::rsa ? std::string() : std::string(reinterpret_cast<const char*>(key->private_part().expose().data()), 16);
    needles = {encoded, raw};
    left_behind = 0;
    scanning = true;
    {
      nlohmann::json j = nlohmann::json::parse(text);
      (void)j;
    }
    scanning = false;
    CHECK(control() > 0);

    left_behind = 0;
    scanning = true;
    {
      auto back = jwk::parse(text);
      (void)back;
    }
    {
      auto j = key->to_json(true);
      (void)j;
    }
    scanning = false;
    CHECK(left_behind == 0);
    needles = {};
    auto back = jwk::parse(text);
    REQUIRE(back);
    CHECK(back->private_part() == key->private_part());
  }
}
