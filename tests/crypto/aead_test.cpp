// AEAD conformance, run over every AEAD policy of every backend, and a
// differential test where both backends have the algorithm.
#include "m2msec/backend/aead.hpp"
#include "m2msec/backend/ghash.hpp"
#include "m2msec/core/encoding.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/policies.hpp"

using namespace m2msec;
using policies::random_bytes;

TEMPLATE_LIST_TEST_CASE("aead: sizes are static and consistent", "[aead][conformance]", policies::aeads) {
  STATIC_REQUIRE(crypto::aead_policy<TestType>);
  STATIC_REQUIRE(TestType::sealed_size(10) == 10 + TestType::tag_size);
  STATIC_REQUIRE(TestType::tag_size >= 8);
  REQUIRE(TestType::available());
}

TEMPLATE_LIST_TEST_CASE("aead: round trip for every size 0..300 and a large one", "[aead][property]",
                        policies::aeads) {
  auto a = TestType::create(random_bytes(TestType::key_size));
  REQUIRE(a);
  const auto ad = random_bytes(13);
  std::vector<std::size_t> sizes;
  for (std::size_t n = 0; n <= 300; ++n) sizes.push_back(n);
  sizes.push_back(60000);
  for (std::size_t n : sizes) {
    INFO("size " << n);
    const auto pt = random_bytes(n), nonce = random_bytes(TestType::nonce_size);
    byte_vector sealed(TestType::sealed_size(n)), opened(n);
    REQUIRE(a->seal(sealed, nonce, ad, pt) == TestType::sealed_size(n));
    REQUIRE(a->open(opened, nonce, ad, sealed) == n);
    REQUIRE(opened == pt);
  }
}

TEMPLATE_LIST_TEST_CASE("aead: every single-bit flip is rejected and the output zeroed", "[aead][property]",
                        policies::aeads) {
  auto a = TestType::create(random_bytes(TestType::key_size));
  REQUIRE(a);
  const auto pt = random_bytes(37), nonce = random_bytes(TestType::nonce_size), ad = random_bytes(11);
  byte_vector sealed(TestType::sealed_size(pt.size()));
  REQUIRE(a->seal(sealed, nonce, ad, pt));

  auto rejects = [&](bytes_view n, bytes_view d, bytes_view s) {
    byte_vector out(s.size() >= TestType::tag_size ? s.size() - TestType::tag_size : 0, 0xAA);
    auto r = a->open(out, n, d, s);
    const bool zeroed = ct::is_zero(out);
    return !r && r.error() == errc::auth_failed && zeroed;
  };
  // ciphertext and tag
  for (std::size_t bit = 0; bit < sealed.size() * 8; ++bit) {
    auto s = sealed;
    s[bit / 8] ^= static_cast<byte>(1u << (bit % 8));
    INFO("sealed bit " << bit);
    REQUIRE(rejects(nonce, ad, s));
  }
  for (std::size_t bit = 0; bit < nonce.size() * 8; ++bit) {
    auto n = nonce;
    n[bit / 8] ^= static_cast<byte>(1u << (bit % 8));
    INFO("nonce bit " << bit);
    REQUIRE(rejects(n, ad, sealed));
  }
  for (std::size_t bit = 0; bit < ad.size() * 8; ++bit) {
    auto d = ad;
    d[bit / 8] ^= static_cast<byte>(1u << (bit % 8));
    INFO("ad bit " << bit);
    REQUIRE(rejects(nonce, d, sealed));
  }
  // truncation and extension of the sealed message, and of the AD
  for (std::size_t len = 0; len < sealed.size(); ++len) {
    INFO("truncated to " << len);
    REQUIRE(rejects(nonce, ad, bytes_view(sealed).first(len)));
  }
  auto longer = sealed;
  longer.push_back(0);
  REQUIRE(rejects(nonce, ad, longer));
  REQUIRE(rejects(nonce, bytes_view(ad).first(ad.size() - 1), sealed));
  // and the untouched message still opens
  byte_vector out(pt.size());
  REQUIRE(a->open(out, nonce, ad, sealed));
  REQUIRE(out == pt);
}

TEMPLATE_LIST_TEST_CASE("aead: bad arguments are errors, not crashes", "[aead][conformance]", policies::aeads) {
  REQUIRE(TestType::create(random_bytes(TestType::key_size + 1)).error() == errc::invalid_key_size);
  REQUIRE(TestType::create({}).error() == errc::invalid_key_size);
  auto a = TestType::create(random_bytes(TestType::key_size));
  REQUIRE(a);
  const auto pt = random_bytes(20), nonce = random_bytes(TestType::nonce_size);
  byte_vector sealed(TestType::sealed_size(pt.size()));
  REQUIRE(a->seal(mutable_bytes(sealed).first(sealed.size() - 1), nonce, {}, pt).error() == errc::buffer_too_small);
  REQUIRE(a->seal(sealed, random_bytes(TestType::nonce_size - 1), {}, pt).error() == errc::invalid_nonce_size);
  REQUIRE(a->seal(sealed, nonce, {}, pt));
  byte_vector out(pt.size() - 1);
  REQUIRE(a->open(out, nonce, {}, sealed).error() == errc::buffer_too_small);
  REQUIRE(a->open(out, random_bytes(TestType::nonce_size + 1), {}, sealed).error() == errc::invalid_nonce_size);
}

TEMPLATE_LIST_TEST_CASE("aead: sealing and opening in place", "[aead][conformance]", policies::aeads) {
  auto a = TestType::create(random_bytes(TestType::key_size));
  REQUIRE(a);
  const auto pt = random_bytes(100), nonce = random_bytes(TestType::nonce_size);
  byte_vector expected(TestType::sealed_size(pt.size()));
  REQUIRE(a->seal(expected, nonce, {}, pt));
  byte_vector buf(TestType::sealed_size(pt.size()));
  std::copy(pt.begin(), pt.end(), buf.begin());
  REQUIRE(a->seal(buf, nonce, {}, bytes_view(buf).first(pt.size())));
  REQUIRE(buf == expected);
  REQUIRE(a->open(buf, nonce, {}, buf) == pt.size());
  REQUIRE(std::equal(pt.begin(), pt.end(), buf.begin()));
}

TEMPLATE_LIST_TEST_CASE("aead: both backends give identical bytes", "[aead][differential]", policies::aead_pairs) {
  using A = typename TestType::first;
  using B = typename TestType::second;
  STATIC_REQUIRE(A::key_size == B::key_size);
  for (int round = 0; round < 200; ++round) {
    const auto key = random_bytes(A::key_size), nonce = random_bytes(A::nonce_size);
    const auto ad = random_bytes(static_cast<std::size_t>(round % 40));
    const auto pt = random_bytes(static_cast<std::size_t>(round * 7 % 1500));
    auto a = A::create(key);
    auto b = B::create(key);
    REQUIRE(a);
    REQUIRE(b);
    byte_vector sa(A::sealed_size(pt.size())), sb(B::sealed_size(pt.size())), back(pt.size());
    REQUIRE(a->seal(sa, nonce, ad, pt));
    REQUIRE(b->seal(sb, nonce, ad, pt));
    REQUIRE(sa == sb);
    REQUIRE(b->open(back, nonce, ad, sa));
    REQUIRE(back == pt);
    REQUIRE(a->open(back, nonce, ad, sb));
    REQUIRE(back == pt);
  }
}

TEST_CASE("aead: default backends", "[aead]") {
  STATIC_REQUIRE(std::is_same_v<crypto::aead<crypto::chacha20_poly1305>,
                                crypto::aead<crypto::chacha20_poly1305, backend::sodium>>);
  STATIC_REQUIRE(std::is_same_v<crypto::aead<crypto::aes128_gcm>, crypto::aead<crypto::aes128_gcm, backend::botan>>);
  // Tags that no policy is for are not AEADs.
  STATIC_REQUIRE(!crypto::aead_policy<crypto::aead<crypto::aes128_gcm, backend::sodium>>);
}

TEST_CASE("aead: CCM length limits follow L", "[aead]") {
  using ccm13 = crypto::aead<crypto::aes_ccm<16, 8, 13>, backend::botan>;  // L = 2
  auto a = ccm13::create(random_bytes(16));
  REQUIRE(a);
  const auto nonce = random_bytes(13);
  byte_vector big(65536), sealed(ccm13::sealed_size(big.size()));
  REQUIRE(a->seal(sealed, nonce, {}, big).error() == errc::message_too_long);
  REQUIRE(a->seal(sealed, nonce, {}, bytes_view(big).first(65535)));
}

// The fuzz seeds were sealed by Python's cryptography (fuzz/make_seeds.py), an
// implementation independent of m2msec and of both backends' glue.
TEST_CASE("aead: messages sealed by Python's cryptography open on every backend", "[aead][interop]") {
  using namespace m2msec::crypto;
  const std::filesystem::path dir = std::filesystem::path(M2MSEC_SOURCE_DIR) / "fuzz" / "corpus" / "aead_open";
  byte key[32];
  for (int i = 0; i < 32; ++i) key[i] = static_cast<byte>(i);
  std::size_t opened = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("alg", 0) != 0) continue;  // only the seeds make_seeds.py wrote
    std::ifstream in(e.path(), std::ios::binary);
    const byte_vector blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const bool valid = name.find("_valid") != std::string::npos;
    INFO(name);
    auto check = [&]<class P>() {
      const std::size_t ad_len = blob[1];
      const auto nonce = bytes_view(blob).subspan(2, P::nonce_size);
      const auto ad = bytes_view(blob).subspan(2 + P::nonce_size, ad_len);
      const auto sealed = bytes_view(blob).subspan(2 + P::nonce_size + ad_len);
      auto a = P::create(bytes_view(key).first(P::key_size));
      byte_vector out(sealed.size() - P::tag_size);
      REQUIRE(a->open(out, nonce, ad, sealed).has_value() == valid);
      opened += valid ? 1 : 0;
    };
    using b = backend::botan;
    using s = backend::sodium;
    switch (blob[0]) {
      case 0: check.template operator()<aead<chacha20_poly1305, s>>(); check.template operator()<aead<chacha20_poly1305, b>>(); break;
      case 1: check.template operator()<aead<xchacha20_poly1305, s>>(); check.template operator()<aead<xchacha20_poly1305, b>>(); break;
      case 2: check.template operator()<aead<aes256_gcm, s>>(); check.template operator()<aead<aes256_gcm, b>>(); break;
      case 3: check.template operator()<aead<aes128_gcm, b>>(); break;
      case 4: check.template operator()<aead<aes128_ccm8, b>>(); break;
      case 5: check.template operator()<aead<aes_ccm<16, 8, 13>, b>>(); break;
      default: FAIL("unknown selector");
    }
  }
  CHECK(opened == 45);  // 5 messages x 6 algorithms, 3 of them on both backends
}

// GCM's GHASH has two paths (backend/ghash.hpp): the Wycheproof and OpenSSL
// vectors above run the one this processor takes; the other must agree.
TEST_CASE("ghash: the carry-less and the integer paths give the GCM tag of the GCM specification", "[aead][ghash]") {
  // McGrew and Viega, "The Galois/Counter Mode of Operation", test case 2:
  // K = 0^128, IV = 0^96, P = 0^128.
  const auto h = *hex_decode("66e94bd4ef8a2c3b884cfa59ca342b2e");
  const auto mask = *hex_decode("58e2fccefa7e3061367f1d57a4e7455a");  // E(K, J0)
  const auto c = *hex_decode("0388dace60b6a392f328c2b971b2fe78");
  byte key[16];
  std::copy(h.begin(), h.end(), key);
  const crypto::ghash g(key);
  for (bool portable : {false, true}) {
    byte tag[16];
    g.tag(tag, {}, c, mask.data(), portable);
    CHECK(byte_vector(tag, tag + 16) == *hex_decode("ab6e47d42cec13bdf53a67b21257bddf"));
  }
  for (int round = 0; round < 500; ++round) {
    const auto r = random_bytes(32);
    byte k[16];
    std::copy(r.begin(), r.begin() + 16, k);
    const crypto::ghash keyed(k);
    const auto ad = random_bytes(static_cast<std::size_t>(round % 53));
    const auto ct = random_bytes(static_cast<std::size_t>(round * 11 % 700));
    byte a[16], b[16];
    keyed.tag(a, ad, ct, r.data() + 16, false);
    keyed.tag(b, ad, ct, r.data() + 16, true);
    REQUIRE(byte_vector(a, a + 16) == byte_vector(b, b + 16));
  }
}
