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

#include "m2msec/jose/jwe.hpp"
#include "m2msec/jose/jwk.hpp"
#include "m2msec/jose/jws.hpp"
#include "support/policies.hpp"

namespace {
std::atomic<std::size_t> allocations{0};

// The freed-memory scan: while `scanning`, every block freed is searched for the
// needles (a private key member as base64url and as bytes) before it goes back.
std::atomic<bool> scanning{false};
std::array<std::string_view, 2> needles;
std::atomic<std::size_t> left_behind{0};
}  // namespace

// Heap bytes in use (as malloc_usable_size counts them), and the most since the
// last reset: what an operation costs at its peak.
std::atomic<std::size_t> live{0}, peak{0};
void grew(void* p) {
  if (p == nullptr) return;
  const std::size_t now = live += malloc_usable_size(p);
  std::size_t was = peak.load(std::memory_order_relaxed);
  while (now > was && !peak.compare_exchange_weak(was, now)) {
  }
}
void shrank(void* p) {
  if (p != nullptr) live -= malloc_usable_size(p);
}

extern "C" {
void* __libc_malloc(std::size_t);
void __libc_free(void*);
void free(void* p) {
  if (p != nullptr && scanning.load(std::memory_order_relaxed)) {
    const std::size_t n = malloc_usable_size(p);
    for (auto needle : needles)
      if (!needle.empty() && ::memmem(p, n, needle.data(), needle.size()) != nullptr) ++left_behind;
  }
  shrank(p);
  __libc_free(p);
}
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* malloc(std::size_t n) {
  ++allocations;
  void* p = __libc_malloc(n);
  grew(p);
  return p;
}
void* calloc(std::size_t n, std::size_t s) {
  ++allocations;
  void* p = __libc_calloc(n, s);
  grew(p);
  return p;
}
void* realloc(void* p, std::size_t n) {
  ++allocations;
  shrank(p);
  void* q = __libc_realloc(p, n);
  grew(q != nullptr ? q : (n == 0 ? nullptr : p));
  return q;
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

TEST_CASE("A JSON-serialized JWE or JWS costs a small multiple of its size, read or refused (issue 13 item 13)",
          "[jose][alloc]") {
  using namespace m2msec::jose;
  const std::size_t size = std::size_t{15} << 20;  // under the 16 MiB bound
  // What parsing `text` costs at its peak, beyond what was in use before.
  auto cost = [](const std::string& text, auto parse) {
    const std::size_t before = live.load();
    peak = before;
    parse(text);
    return peak.load() - before;
  };
  const std::string prot = "eyJhbGciOiJIUzI1NiJ9";
  // Read: a large payload, one signature.
  const std::string big = "{\"payload\":\"" + std::string(size, 'A') + "\",\"signatures\":[{\"protected\":\"" + prot +
                          "\",\"signature\":\"AAAA\"}]}";
  const std::size_t read = cost(big, [](const std::string& t) { (void)parse_jws(t); });
  // The text's payload as nlohmann's string, the signing input, the decoded payload.
  CHECK(read < 4 * big.size());
  WARN("JSON JWS of " << big.size() << " bytes read at a peak of " << read << " bytes ("
                      << static_cast<double>(read) / static_cast<double>(big.size()) << "x)");
  // Refused: the same size of small JSON values in an unprotected header, or
  // anywhere a string belongs, in a JWS and in a JWE. nlohmann-json alone would
  // build a document of some 16 bytes per value (over 100 MiB) before any check.
  std::string values;
  values.reserve(size);
  while (values.size() < size) values += "1,";
  values += "1";
  const std::vector<std::string> refused = {
      "{\"payload\":\"\",\"signatures\":[{\"protected\":\"" + prot + "\",\"header\":{\"x\":[" + values +
          "]},\"signature\":\"AAAA\"}]}",
      "{\"payload\":[" + values + "],\"protected\":\"" + prot + "\",\"signature\":\"AAAA\"}",
      "{\"protected\":\"eyJlbmMiOiJBMTI4R0NNIn0\",\"unprotected\":{\"x\":[" + values +
          "]},\"iv\":\"AAAA\",\"ciphertext\":\"AAAA\",\"tag\":\"AAAA\"}",
  };
  for (const auto& text : refused) {
    const std::size_t jws_cost = cost(text, [](const std::string& t) { CHECK_FALSE(parse_jws(t)); });
    const std::size_t jwe_cost = cost(text, [](const std::string& t) { CHECK_FALSE(parse_jwe(t)); });
    CHECK(jws_cost < text.size() / 4);
    CHECK(jwe_cost < text.size() / 4);
    WARN("refused " << text.size() << " bytes at a peak of " << jws_cost << " (JWS) and " << jwe_cost << " (JWE) bytes");
  }
}
