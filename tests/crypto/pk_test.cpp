// Key agreement, signatures, RSA-OAEP and random bytes: conformance over every
// backend, and cross-backend checks where both have the algorithm.
#include "m2msec/backend/key_agreement.hpp"
#include "m2msec/backend/public_random.hpp"
#include "m2msec/backend/random.hpp"
#include "m2msec/backend/signature.hpp"
#include "m2msec/core/encoding.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <sys/wait.h>
#include <unistd.h>

#include "support/policies.hpp"

using namespace m2msec;
using policies::random_bytes;

TEMPLATE_LIST_TEST_CASE("key agreement: both sides agree; bad keys are errors", "[ka][conformance]",
                        policies::key_agreements) {
  STATIC_REQUIRE(crypto::key_agreement_policy<TestType>);
  auto a = TestType::generate();
  auto b = TestType::generate();
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(a->public_key.size() == TestType::public_key_size);
  REQUIRE(a->private_key.size() == TestType::private_key_size);
  byte_vector sa(TestType::shared_size), sb(TestType::shared_size), pk(TestType::public_key_size);
  REQUIRE(TestType::agree(a->private_key.expose(), b->public_key, sa));
  REQUIRE(TestType::agree(b->private_key.expose(), a->public_key, sb));
  REQUIRE(sa == sb);
  REQUIRE(!ct::is_zero(sa));
  REQUIRE(TestType::public_key(a->private_key.expose(), pk));
  REQUIRE(pk == a->public_key);

  auto bad = b->public_key;
  bad.pop_back();
  REQUIRE(TestType::agree(a->private_key.expose(), bad, sa).error() == errc::invalid_key);
  byte_vector small(TestType::shared_size - 1);
  REQUIRE(TestType::agree(a->private_key.expose(), b->public_key, small).error() == errc::buffer_too_small);
  if constexpr (TestType::public_key_size != 32) {  // NIST curves: a point off the curve
    bad = b->public_key;
    bad.back() ^= 1;
    REQUIRE(TestType::agree(a->private_key.expose(), bad, sa).error() == errc::invalid_key);
    const byte_vector zero(TestType::private_key_size, 0);
    REQUIRE(TestType::agree(zero, b->public_key, sa).error() == errc::invalid_key);
  } else {  // X25519: a low-order point gives an all-zero secret
    byte_vector order1(32, 0);
    order1[0] = 1;
    REQUIRE(TestType::agree(a->private_key.expose(), order1, sa).error() == errc::weak_shared_secret);
  }
}

TEST_CASE("key agreement: X25519 on libsodium and Botan give the same keys and secrets", "[ka][differential]") {
  using S = crypto::key_agreement<crypto::x25519, backend::sodium>;
  using B = crypto::key_agreement<crypto::x25519, backend::botan>;
  for (int i = 0; i < 100; ++i) {
    auto a = S::generate();
    auto b = B::generate();
    byte_vector pa(32), pb(32), s1(32), s2(32);
    REQUIRE(B::public_key(a->private_key.expose(), pa));
    REQUIRE(S::public_key(b->private_key.expose(), pb));
    REQUIRE(pa == a->public_key);
    REQUIRE(pb == b->public_key);
    REQUIRE(S::agree(a->private_key.expose(), b->public_key, s1));
    REQUIRE(B::agree(a->private_key.expose(), b->public_key, s2));
    REQUIRE(s1 == s2);
  }
}

TEST_CASE("key agreement: SubjectPublicKeyInfo import checks the curve", "[ka]") {
  // A P-256 SPKI (Wycheproof ecdh_secp256r1 tcId 1)
  const auto der = *hex_decode(
      "3059301306072a8648ce3d020106082a8648ce3d0301070342000462d5bd3372af75fe85a040715d0f502428e07046868b0"
      "bfdfa61d731afe44f26ac333a93a9e70a81cd5a95b5bf8d13990eb741c8c38872b4a07d275a014e30cf");
  auto p = crypto::ec_public_key_from_spki<crypto::ecdh_p256>(der);
  REQUIRE(p);
  REQUIRE(p->size() == 65);
  REQUIRE(crypto::ec_public_key_from_spki<crypto::ecdh_p384>(der).error() == errc::invalid_key);
  REQUIRE(!crypto::ec_public_key_from_spki<crypto::ecdh_p256>(bytes_view(der).first(40)));
}

TEMPLATE_LIST_TEST_CASE("signature: sign and verify; any change is rejected", "[sig][conformance]",
                        policies::signatures) {
  STATIC_REQUIRE(crypto::signature_policy<TestType>);
  static auto keys = TestType::generate();  // RSA key generation is slow: once per policy
  REQUIRE(keys);
  for (std::size_t n : {0u, 1u, 100u, 5000u}) {
    const auto msg = random_bytes(n);
    byte_vector sig(TestType::max_signature_size);
    auto len = TestType::sign(keys->private_key.expose(), msg, sig);
    REQUIRE(len);
    sig.resize(*len);
    REQUIRE(TestType::verify(keys->public_key, msg, sig));
    for (std::size_t bit = 0; bit < sig.size() * 8; bit += 7) {
      auto s = sig;
      s[bit / 8] ^= static_cast<byte>(1u << (bit % 8));
      INFO("signature bit " << bit);
      REQUIRE(TestType::verify(keys->public_key, msg, s).error() == errc::auth_failed);
    }
    auto m = msg;
    m.push_back(0);
    REQUIRE(!TestType::verify(keys->public_key, m, sig));
    REQUIRE(!TestType::verify(keys->public_key, msg, bytes_view(sig).first(sig.size() - 1)));
  }
  REQUIRE(!TestType::verify(bytes_view(keys->public_key).first(10), {}, byte_vector(10)));
  byte_vector small(4);
  REQUIRE(!TestType::sign(keys->private_key.expose(), {}, small));
}

TEMPLATE_LIST_TEST_CASE("signature: a signer and a verifier made once serve many messages", "[sig][conformance]",
                        policies::signatures) {
  static auto keys = TestType::generate();
  REQUIRE(keys);
  auto signer = TestType::signer::create(keys->private_key.expose());
  const auto verifier = TestType::verifier::create(keys->public_key);
  REQUIRE(signer);
  REQUIRE(verifier);
  for (int i = 0; i < 20; ++i) {
    const auto msg = random_bytes(static_cast<std::size_t>(i * 17));
    byte_vector sig(TestType::max_signature_size);
    auto n = signer->sign(msg, sig);
    REQUIRE(n);
    sig.resize(*n);
    REQUIRE(verifier->verify(msg, sig));
    REQUIRE(TestType::verify(keys->public_key, msg, sig));  // the one-shot form agrees
    sig[0] ^= 0x40;
    REQUIRE(verifier->verify(msg, sig).error() == errc::auth_failed);
  }
  REQUIRE(!TestType::signer::create(bytes_view(keys->private_key.expose()).first(5)));
  REQUIRE(TestType::verifier::create(bytes_view(keys->public_key).first(5)).error() == errc::invalid_key);
}

TEST_CASE("signature: Ed25519 on libsodium and Botan are the same function", "[sig][differential]") {
  using S = crypto::signature<crypto::ed25519, backend::sodium>;
  using B = crypto::signature<crypto::ed25519, backend::botan>;
  for (int i = 0; i < 50; ++i) {
    auto k = (i % 2 == 0) ? S::generate() : B::generate();
    REQUIRE(k);
    const auto msg = random_bytes(static_cast<std::size_t>(i * 31));
    byte_vector s1(64), s2(64), pk(32);
    REQUIRE(S::sign(k->private_key.expose(), msg, s1));
    REQUIRE(B::sign(k->private_key.expose(), msg, s2));
    REQUIRE(s1 == s2);  // Ed25519 is deterministic
    REQUIRE(B::public_key(k->private_key.expose(), pk));
    REQUIRE(pk == k->public_key);
    REQUIRE(S::verify(k->public_key, msg, s2));
    REQUIRE(B::verify(k->public_key, msg, s1));
  }
}

TEST_CASE("key encryption: RSA-OAEP-256 round trip, labels, tampering", "[kem][conformance]") {
  using E = crypto::key_encryption<crypto::rsa_oaep_sha256, backend::botan>;
  STATIC_REQUIRE(crypto::key_encryption_policy<E>);
  auto k = E::generate();
  REQUIRE(k);
  const auto cek = random_bytes(32);
  const auto label = as_bytes("oneM2M");
  byte_vector ct(E::max_ciphertext_size), pt(E::max_ciphertext_size);
  auto n = E::encrypt(k->public_key, label, cek, ct);
  REQUIRE(n == 256);
  ct.resize(*n);
  REQUIRE(E::decrypt(k->private_key.expose(), label, ct, pt) == cek.size());
  REQUIRE(std::equal(cek.begin(), cek.end(), pt.begin()));
  REQUIRE(E::decrypt(k->private_key.expose(), {}, ct, pt).error() == errc::auth_failed);
  ct[100] ^= 1;
  REQUIRE(E::decrypt(k->private_key.expose(), label, ct, pt).error() == errc::auth_failed);
  REQUIRE(E::encrypt(k->public_key, as_bytes("a,b"), cek, ct).error() == errc::unsupported);
  // made once, used many times
  auto enc = E::encryptor::create(k->public_key, label);
  auto dec = E::decryptor::create(k->private_key.expose(), label);
  REQUIRE(enc);
  REQUIRE(dec);
  for (int i = 0; i < 5; ++i) {
    byte_vector c(E::max_ciphertext_size), p(E::max_ciphertext_size);
    auto m = enc->encrypt(cek, c);
    REQUIRE(m == 256);
    c.resize(*m);
    REQUIRE(dec->decrypt(c, p) == cek.size());
    c[i] ^= 1;
    REQUIRE(dec->decrypt(c, p).error() == errc::auth_failed);
  }
  // A ciphertext >= n (Botan throws another exception type for it) is the same failure.
  byte_vector too_big(256, 0xFF), sink(256);
  REQUIRE(dec->decrypt(too_big, sink).error() == errc::auth_failed);
  REQUIRE(E::decryptor::create(bytes_view(k->private_key.expose()).first(30)).error() == errc::invalid_key);
  REQUIRE(E::encrypt(k->public_key, {}, random_bytes(300), ct).error() == errc::message_too_long);
}

TEMPLATE_LIST_TEST_CASE("random: fills the whole span with fresh bytes", "[random]", policies::rngs) {
  STATIC_REQUIRE(crypto::random_policy<TestType>);
  byte_vector a(64), b(64);
  REQUIRE(TestType::fill(a));
  REQUIRE(TestType::fill(b));
  REQUIRE(a != b);
  REQUIRE(!ct::is_zero(bytes_view(a).last(8)));
  REQUIRE(TestType::fill({}));
}

TEST_CASE("public random: each byte once, across refills and after fork", "[random]") {
  // 4,000 IVs span several refills of the 4 KiB buffer: no two alike.
  std::set<byte_vector> seen;
  for (int i = 0; i < 4000; ++i) {
    byte_vector iv(12);
    REQUIRE(crypto::public_random::fill(iv));
    REQUIRE(seen.insert(iv).second);
  }
  // Larger draws bypass the buffer and are still random.
  byte_vector big(2048), again(2048);
  REQUIRE(crypto::public_random::fill(big));
  REQUIRE(crypto::public_random::fill(again));
  REQUIRE(big != again);
  // A forked child must not hand out the bytes its parent hands out next.
  byte_vector primed(12);
  REQUIRE(crypto::public_random::fill(primed));
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    byte_vector mine(64);
    const bool ok = static_cast<bool>(crypto::public_random::fill(mine)) &&
                    ::write(fds[1], mine.data(), mine.size()) == static_cast<ssize_t>(mine.size());
    ::_exit(ok ? 0 : 1);
  }
  byte_vector parent(64), theirs(64);
  REQUIRE(crypto::public_random::fill(parent));
  REQUIRE(::read(fds[0], theirs.data(), theirs.size()) == static_cast<ssize_t>(theirs.size()));
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  ::close(fds[0]);
  ::close(fds[1]);
  REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK(parent != theirs);
}
