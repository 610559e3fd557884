// Wycheproof HMAC, HKDF and AES key wrap vectors on every backend that has them.
#include "m2msec/kdf/hkdf.hpp"
#include "m2msec/backend/keywrap.hpp"
#include "m2msec/backend/mac.hpp"

#include "support/wycheproof.hpp"

namespace {

using namespace m2msec;
using namespace m2msec::crypto;
using wycheproof::json;
using wycheproof::outcome;

// Full-length tags go through verify(); Wycheproof's truncated-tag groups are
// compared on the tag's prefix here (m2msec's verify() takes full tags only).
template <class M>
void run_mac(const std::string& file, std::string_view backend) {
  const json j = wycheproof::load(file);
  wycheproof::tally tally(file, std::string(backend));
  for (const auto& g : j["testGroups"]) {
    const std::size_t tag_bytes = g["tagSize"].get<std::size_t>() / 8;
    for (const auto& t : g["tests"]) {
      const auto key = wycheproof::hex(t["key"]), msg = wycheproof::hex(t["msg"]), tag = wycheproof::hex(t["tag"]);
      auto m = M::create(key);
      REQUIRE(m.has_value());
      bool ok = false;
      if (tag_bytes == M::tag_size) {
        ok = m->verify(msg, tag).has_value();
      } else {
        byte full[M::tag_size];
        REQUIRE(m->compute(msg, full).has_value());
        ok = ct::equal(bytes_view(full, std::min(tag_bytes, M::tag_size)), tag);
      }
      tally.record(t, ok ? outcome::accept(true) : outcome::reject());
    }
  }
  tally.finish(j);
}

template <class K>
void run_hkdf(const std::string& file, std::string_view backend) {
  const json j = wycheproof::load(file);
  wycheproof::tally tally(file, std::string(backend));
  for (const auto& g : j["testGroups"])
    for (const auto& t : g["tests"]) {
      const auto ikm = wycheproof::hex(t["ikm"]), salt = wycheproof::hex(t["salt"]), info = wycheproof::hex(t["info"]);
      const auto okm = wycheproof::hex(t["okm"]);
      byte_vector out(t["size"].get<std::size_t>());
      auto r = K::derive(salt, ikm, info, out);
      tally.record(t, r ? outcome::accept(out == okm) : outcome::reject());
    }
  tally.finish(j);
}

template <class... W>
outcome run_keywrap_one(std::size_t key_bits, const json& t) {
  std::optional<outcome> o;
  auto one = [&]<class P>() {
    const auto key = wycheproof::hex(t["key"]), msg = wycheproof::hex(t["msg"]), ct = wycheproof::hex(t["ct"]);
    auto w = P::create(key);
    if (!w) return outcome::reject();
    byte_vector out(ct.size());
    auto r = w->unwrap(out, ct);
    if (!r) return outcome::reject();
    out.resize(*r);
    byte_vector rewrapped(msg.size() + P::overhead);
    auto s = w->wrap(rewrapped, msg);
    return outcome::accept(out == msg && s && rewrapped == ct);
  };
  ((!o && W::key_size * 8 == key_bits ? (o = one.template operator()<W>(), 0) : 0), ...);
  return o ? *o : outcome::skip("no key wrap policy for keySize " + std::to_string(key_bits));
}

}  // namespace

TEST_CASE("wycheproof hmac_sha256_test.json on libsodium", "[wycheproof][mac][sodium]") {
  run_mac<mac<hmac_sha256, backend::sodium>>("hmac_sha256_test.json", backend::sodium::name);
}
TEST_CASE("wycheproof hmac_sha256_test.json on Botan", "[wycheproof][mac][botan]") {
  run_mac<mac<hmac_sha256, backend::botan>>("hmac_sha256_test.json", backend::botan::name);
}
TEST_CASE("wycheproof hmac_sha384_test.json on Botan", "[wycheproof][mac][botan]") {
  run_mac<mac<hmac_sha384, backend::botan>>("hmac_sha384_test.json", backend::botan::name);
}
TEST_CASE("wycheproof hmac_sha512_test.json on libsodium", "[wycheproof][mac][sodium]") {
  run_mac<mac<hmac_sha512, backend::sodium>>("hmac_sha512_test.json", backend::sodium::name);
}
TEST_CASE("wycheproof hmac_sha512_test.json on Botan", "[wycheproof][mac][botan]") {
  run_mac<mac<hmac_sha512, backend::botan>>("hmac_sha512_test.json", backend::botan::name);
}

TEST_CASE("wycheproof hkdf_sha256_test.json on libsodium HMAC", "[wycheproof][kdf][sodium]") {
  run_hkdf<kdf<hkdf_sha256, backend::sodium>>("hkdf_sha256_test.json", backend::sodium::name);
}
TEST_CASE("wycheproof hkdf_sha256_test.json on Botan HMAC", "[wycheproof][kdf][botan]") {
  run_hkdf<kdf<hkdf_sha256, backend::botan>>("hkdf_sha256_test.json", backend::botan::name);
}
TEST_CASE("wycheproof hkdf_sha384_test.json on Botan HMAC", "[wycheproof][kdf][botan]") {
  run_hkdf<kdf<hkdf_sha384, backend::botan>>("hkdf_sha384_test.json", backend::botan::name);
}
TEST_CASE("wycheproof hkdf_sha512_test.json on libsodium HMAC", "[wycheproof][kdf][sodium]") {
  run_hkdf<kdf<hkdf_sha512, backend::sodium>>("hkdf_sha512_test.json", backend::sodium::name);
}
TEST_CASE("wycheproof hkdf_sha512_test.json on Botan HMAC", "[wycheproof][kdf][botan]") {
  run_hkdf<kdf<hkdf_sha512, backend::botan>>("hkdf_sha512_test.json", backend::botan::name);
}

// Acceptable ShortKey vectors (8 bytes of key data) are rejected: RFC 3394 §2
// needs at least two 64-bit blocks (docs/decisions.md).
TEST_CASE("wycheproof aes_wrap_test.json on Botan", "[wycheproof][keywrap][botan]") {
  const json j = wycheproof::load("aes_wrap_test.json");
  wycheproof::tally tally("aes_wrap_test.json", std::string(backend::botan::name));
  for (const auto& g : j["testGroups"])
    for (const auto& t : g["tests"])
      tally.record(t, run_keywrap_one<keywrap<aes128_kw, backend::botan>, keywrap<aes192_kw, backend::botan>,
                                      keywrap<aes256_kw, backend::botan>>(g["keySize"], t));
  tally.finish(j);
  CHECK(tally.acceptable_accepted() == 0);
}
