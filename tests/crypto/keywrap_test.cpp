// AES key wrap: the RFC 3394 §4 vectors, Botan's own rfc3394_keywrap as an
// independent implementation, and tamper checks.
#include "m2msec/backend/keywrap.hpp"
#include "m2msec/core/encoding.hpp"

#include <botan/rfc3394.h>
#include <catch2/catch.hpp>

#include "support/policies.hpp"

using namespace m2msec;
using policies::random_bytes;

namespace {
byte_vector hex(std::string_view s) { return *hex_decode(s); }

template <class W>
void rfc3394(std::string_view kek, std::string_view data, std::string_view wrapped) {
  auto w = W::create(hex(kek));
  REQUIRE(w);
  byte_vector out(data.size() / 2 + W::overhead), back(data.size() / 2);
  REQUIRE(w->wrap(out, hex(data)) == out.size());
  CHECK(hex_encode(out) == wrapped);
  REQUIRE(w->unwrap(back, out) == back.size());
  CHECK(back == hex(data));
}
}  // namespace

TEST_CASE("keywrap: RFC 3394 section 4 vectors", "[keywrap]") {
  using namespace m2msec::crypto;
  using b = backend::botan;
  const auto k128 = "000102030405060708090a0b0c0d0e0f", k192 = "000102030405060708090a0b0c0d0e0f1011121314151617",
             k256 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  // §4.1 .. §4.6
  rfc3394<keywrap<aes128_kw, b>>(k128, "00112233445566778899aabbccddeeff", "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5");
  rfc3394<keywrap<aes192_kw, b>>(k192, "00112233445566778899aabbccddeeff", "96778b25ae6ca435f92b5b97c050aed2468ab8a17ad84e5d");
  rfc3394<keywrap<aes256_kw, b>>(k256, "00112233445566778899aabbccddeeff", "64e8c3f9ce0f5ba263e9777905818a2a93c8191e7d6e8ae7");
  rfc3394<keywrap<aes192_kw, b>>(k192, "00112233445566778899aabbccddeeff0001020304050607",
                                 "031d33264e15d33268f24ec260743edce1c6c7ddee725a936ba814915c6762d2");
  rfc3394<keywrap<aes256_kw, b>>(k256, "00112233445566778899aabbccddeeff0001020304050607",
                                 "a8f9bc1612c68b3ff6e6f4fbe30e71e4769c8b80a32cb8958cd5d17d6b254da1");
  rfc3394<keywrap<aes256_kw, b>>(k256, "00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f",
                                 "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21");
}

TEMPLATE_LIST_TEST_CASE("keywrap: matches Botan's rfc3394_keywrap and rejects tampering", "[keywrap][conformance]",
                        policies::keywraps) {
  STATIC_REQUIRE(crypto::keywrap_policy<TestType>);
  for (std::size_t n = 16; n <= 64; n += 8) {
    const auto kek = random_bytes(TestType::key_size), data = random_bytes(n);
    auto w = TestType::create(kek);
    REQUIRE(w);
    byte_vector out(n + TestType::overhead), back(n, 0xAA);
    REQUIRE(w->wrap(out, data));
    const auto reference = Botan::rfc3394_keywrap(Botan::secure_vector<byte>(data.begin(), data.end()),
                                                  Botan::SymmetricKey(kek.data(), kek.size()));
    REQUIRE(byte_vector(reference.begin(), reference.end()) == out);
    for (std::size_t bit = 0; bit < out.size() * 8; bit += 3) {
      auto t = out;
      t[bit / 8] ^= static_cast<byte>(1u << (bit % 8));
      REQUIRE(w->unwrap(back, t).error() == errc::auth_failed);
      REQUIRE(ct::is_zero(back));
    }
    REQUIRE(w->unwrap(back, out) == n);
    REQUIRE(back == data);
  }
  auto w = TestType::create(random_bytes(TestType::key_size));
  byte_vector out(64);
  REQUIRE(w->wrap(out, random_bytes(8)).error() == errc::invalid_argument);   // RFC 3394: two blocks at least
  REQUIRE(w->wrap(out, random_bytes(20)).error() == errc::invalid_argument);  // not a multiple of 8
  REQUIRE(w->unwrap(out, random_bytes(16)).error() == errc::invalid_argument);
  byte_vector small(23);
  REQUIRE(w->wrap(small, random_bytes(16)).error() == errc::buffer_too_small);
  REQUIRE(TestType::create(random_bytes(TestType::key_size - 1)).error() == errc::invalid_key_size);
}
