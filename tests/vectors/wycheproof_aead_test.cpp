// Wycheproof AEAD vectors (AES-GCM, AES-CCM, ChaCha20-Poly1305, XChaCha20-Poly1305)
// on every backend that has the algorithm. Each valid vector is opened and sealed.
#include "m2msec/backend/aead.hpp"

#include "support/wycheproof.hpp"

namespace {

using namespace m2msec;
using namespace m2msec::crypto;
using wycheproof::json;
using wycheproof::outcome;

template <class P>
outcome run_one(const json& t) {
  const auto key = wycheproof::hex(t["key"]), iv = wycheproof::hex(t["iv"]), aad = wycheproof::hex(t["aad"]);
  const auto msg = wycheproof::hex(t["msg"]), ct = wycheproof::hex(t["ct"]), tag = wycheproof::hex(t["tag"]);
  auto a = P::create(key);
  if (!a && a.error() == errc::unsupported) return outcome::skip("backend unavailable on this CPU");
  if (!a) return outcome::reject();
  byte_vector sealed = ct;
  sealed.insert(sealed.end(), tag.begin(), tag.end());
  byte_vector out(ct.size());
  auto r = a->open(out, iv, aad, sealed);
  if (!r && r.error() == errc::invalid_nonce_size)
    return outcome::skip("ivSize " + std::to_string(iv.size() * 8) + " bits: the policy takes " +
                         std::to_string(P::nonce_size * 8));
  if (!r) return outcome::reject();
  bool matches = *r == msg.size() && out == msg;
  byte_vector resealed(P::sealed_size(msg.size()));
  auto s = a->seal(resealed, iv, aad, msg);
  matches = matches && s && *s == sealed.size() && resealed == sealed;
  return outcome::accept(matches);
}

template <class... P>
outcome run(const json& g, const json& t) {
  const std::size_t ks = g["keySize"], iv = g["ivSize"], ts = g["tagSize"];
  std::optional<outcome> o;
  // The policy whose key, nonce and tag sizes all fit; else one whose key and tag
  // sizes fit, which must refuse the nonce.
  ((!o && P::key_size * 8 == ks && P::tag_size * 8 == ts && P::nonce_size * 8 == iv ? (o = run_one<P>(t), 0) : 0), ...);
  ((!o && P::key_size * 8 == ks && P::tag_size * 8 == ts ? (o = run_one<P>(t), 0) : 0), ...);
  if (o) return *o;
  return outcome::skip("no m2msec policy for keySize " + std::to_string(ks) + ", tagSize " + std::to_string(ts));
}

template <class... P>
void run_file(const std::string& file, std::string_view backend) {
  const json j = wycheproof::load(file);
  wycheproof::tally tally(file, std::string(backend));
  for (const auto& g : j["testGroups"])
    for (const auto& t : g["tests"]) tally.record(t, run<P...>(g, t));
  tally.finish(j);
  CHECK(tally.valid_passed() > 0);
}

template <class... P>
void run_file(const std::string& file, std::string_view backend, std::tuple<P...>*) {
  run_file<P...>(file, backend);
}

}  // namespace

// Every CCM parameter set SP 800-38C allows: each nonce size with 16-byte tags,
// each tag size with 12-byte nonces.
template <class... T> struct cat;
template <class T> struct cat<T> { using type = T; };
template <class... A, class... B, class... R>
struct cat<std::tuple<A...>, std::tuple<B...>, R...> : cat<std::tuple<A..., B...>, R...> {};
template <std::size_t K, std::size_t... N>
using ccm_by_nonce = std::tuple<aead<aes_ccm<K, 16, N>, backend::botan>...>;
template <std::size_t K, std::size_t... T>
using ccm_by_tag = std::tuple<aead<aes_ccm<K, T, 12>, backend::botan>...>;
template <std::size_t K>
using ccm_all = typename cat<ccm_by_nonce<K, 7, 8, 9, 10, 11, 12, 13>, ccm_by_tag<K, 4, 6, 8, 10, 12, 14>>::type;

TEST_CASE("wycheproof aes_gcm_test.json on Botan", "[wycheproof][aead][botan]") {
  run_file<aead<aes128_gcm, backend::botan>, aead<aes192_gcm, backend::botan>, aead<aes256_gcm, backend::botan>>(
      "aes_gcm_test.json", backend::botan::name);
}
TEST_CASE("wycheproof aes_gcm_test.json on libsodium", "[wycheproof][aead][sodium]") {
  REQUIRE(aead<aes256_gcm, backend::sodium>::available());  // AES-NI: see toolchain notes; fails loudly, never skips
  run_file<aead<aes256_gcm, backend::sodium>>("aes_gcm_test.json", backend::sodium::name);
}
TEST_CASE("wycheproof aes_ccm_test.json on Botan", "[wycheproof][aead][botan]") {
  using all = cat<ccm_all<16>, ccm_all<24>, ccm_all<32>>::type;
  run_file("aes_ccm_test.json", backend::botan::name, static_cast<all*>(nullptr));
}
TEST_CASE("wycheproof chacha20_poly1305_test.json on libsodium", "[wycheproof][aead][sodium]") {
  run_file<aead<chacha20_poly1305, backend::sodium>>("chacha20_poly1305_test.json", backend::sodium::name);
}
TEST_CASE("wycheproof chacha20_poly1305_test.json on Botan", "[wycheproof][aead][botan]") {
  run_file<aead<chacha20_poly1305, backend::botan>>("chacha20_poly1305_test.json", backend::botan::name);
}
TEST_CASE("wycheproof xchacha20_poly1305_test.json on libsodium", "[wycheproof][aead][sodium]") {
  run_file<aead<xchacha20_poly1305, backend::sodium>>("xchacha20_poly1305_test.json", backend::sodium::name);
}
TEST_CASE("wycheproof xchacha20_poly1305_test.json on Botan", "[wycheproof][aead][botan]") {
  run_file<aead<xchacha20_poly1305, backend::botan>>("xchacha20_poly1305_test.json", backend::botan::name);
}
