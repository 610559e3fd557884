// MAC and HKDF conformance over every backend, differential tests, and checks
// against Botan's own HKDF as an independent implementation.
#include "m2msec/kdf/hkdf.hpp"
#include "m2msec/backend/mac.hpp"

#include <botan/kdf.h>
#include <catch2/catch.hpp>

#include "support/policies.hpp"

using namespace m2msec;
using policies::random_bytes;

TEMPLATE_LIST_TEST_CASE("mac: incremental equals one-shot, verify is strict", "[mac][conformance]", policies::macs) {
  STATIC_REQUIRE(crypto::mac_policy<TestType>);
  for (std::size_t key_len : {0u, 16u, 32u, 64u, 129u, 200u}) {
    auto m = TestType::create(random_bytes(key_len));
    REQUIRE(m);
    const auto msg = random_bytes(1000);
    byte_vector one(TestType::tag_size), inc(TestType::tag_size);
    REQUIRE(m->compute(msg, one));
    for (std::size_t off = 0; off < msg.size(); off += 77)
      REQUIRE(m->update(bytes_view(msg).subspan(off, std::min<std::size_t>(77, msg.size() - off))));
    REQUIRE(m->finish(inc));
    REQUIRE(one == inc);
    REQUIRE(m->verify(msg, one));
    for (std::size_t bit = 0; bit < one.size() * 8; ++bit) {
      auto t = one;
      t[bit / 8] ^= static_cast<byte>(1u << (bit % 8));
      REQUIRE(m->verify(msg, t).error() == errc::auth_failed);
    }
    REQUIRE(!m->verify(msg, bytes_view(one).first(one.size() - 1)));  // truncated tags are refused
    auto other = msg;
    other[500] ^= 1;
    REQUIRE(!m->verify(other, one));
    byte_vector small(TestType::tag_size - 1);
    REQUIRE(m->compute(msg, small).error() == errc::buffer_too_small);
  }
}

TEMPLATE_LIST_TEST_CASE("mac: both backends give identical tags", "[mac][differential]", policies::mac_pairs) {
  using A = typename TestType::first;
  using B = typename TestType::second;
  for (int round = 0; round < 300; ++round) {
    const auto key = random_bytes(static_cast<std::size_t>(round % 150)), msg = random_bytes(static_cast<std::size_t>(round * 13));
    auto a = A::create(key);
    auto b = B::create(key);
    byte_vector ta(A::tag_size), tb(B::tag_size);
    REQUIRE(a->compute(msg, ta));
    REQUIRE(b->compute(msg, tb));
    REQUIRE(ta == tb);
  }
}

TEMPLATE_LIST_TEST_CASE("hkdf: extract then expand equals derive, and matches Botan's HKDF", "[kdf][conformance]",
                        policies::kdfs) {
  STATIC_REQUIRE(crypto::kdf_policy<TestType>);
  using hash = typename TestType::hash;
  auto reference = Botan::KDF::create_or_throw("HKDF(" + std::string(hash::name) + ")");
  for (int round = 0; round < 100; ++round) {
    const auto ikm = random_bytes(static_cast<std::size_t>(1 + round % 80));
    const auto salt = random_bytes(static_cast<std::size_t>(round % 3 == 0 ? 0 : round % 70));
    const auto info = random_bytes(static_cast<std::size_t>(round % 50));
    const std::size_t len = static_cast<std::size_t>(1 + round * 37 % TestType::max_output);
    byte_vector okm(len), prk(TestType::prk_size), okm2(len);
    REQUIRE(TestType::derive(salt, ikm, info, okm));
    REQUIRE(TestType::extract(salt, ikm, prk));
    REQUIRE(TestType::expand(prk, info, okm2));
    REQUIRE(okm == okm2);
    const auto expected = reference->derive_key(len, ikm.data(), ikm.size(), salt.data(), salt.size(), info.data(),
                                                info.size());
    REQUIRE(byte_vector(expected.begin(), expected.end()) == okm);
  }
  byte_vector too_long(TestType::max_output + 1), prk(TestType::prk_size);
  REQUIRE(TestType::derive({}, random_bytes(16), {}, too_long).error() == errc::invalid_argument);
  byte_vector long_prk(TestType::prk_size + 1);
  REQUIRE(TestType::extract({}, random_bytes(16), long_prk).error() == errc::invalid_argument);
  REQUIRE(TestType::expand(bytes_view(prk).first(TestType::prk_size - 1), {}, prk).error() == errc::invalid_key_size);
  byte_vector max(TestType::max_output);
  REQUIRE(TestType::derive({}, random_bytes(16), {}, max));
}
