// The TS-0003 §10.3 key schedule against values computed independently by
// key_schedule_vectors.py (Python hmac/hashlib), on both HMAC backends.
#include "m2msec/kdf/ke2e.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

using namespace m2msec;
using json = nlohmann::json;

static const json& vectors() {
  static const json v = [] {
    std::ifstream in(M2MSEC_SOURCE_DIR "/tests/kdf/key_schedule.json");
    REQUIRE(in);
    return json::parse(in);
  }();
  return v;
}
static byte_vector unhex(const json& j) { return *hex_decode(j.get<std::string>()); }
static std::string hex(bytes_view b) { return hex_encode(b); }

TEMPLATE_TEST_CASE("key schedule: Km, Kpsa, usage-constrained keys", "[sa][kdf]", backend::sodium, backend::botan) {
  std::size_t n = 0;
  byte out[32];
  for (const auto& t : vectors()["km"]) {
    REQUIRE(derive_km<TestType>(unhex(t["ke"]), t["maf_id"].get<std::string>(), out));
    CHECK(hex(out) == t["km"]);
    ++n;
  }
  for (const auto& t : vectors()["kpsa"]) {
    REQUIRE(derive_kpsa<TestType>(unhex(t["ke"]), t["enrolee_b_id"].get<std::string>(), out));
    CHECK(hex(out) == t["kpsa"]);
    ++n;
  }
  for (const auto& t : vectors()["usage_constrained"]) {
    const auto s = suid_from_int(t["suid"].get<int>());
    REQUIRE(s);
    REQUIRE(derive_usage_constrained<TestType>(unhex(t["ke"]), *s, t["target"].get<std::string>(), out));
    CHECK(hex(out) == t["key"]);
    ++n;
  }
  CHECK(n == 6 + 9 + 63);
  WARN(n << " Km/Kpsa/usage-constrained vectors");
}

TEST_CASE("key schedule: the digest's reference values through the typed interface", "[sa][kdf]") {
  byte raw[32];
  for (int i = 0; i < 32; ++i) raw[i] = static_cast<byte>(i);
  auto ke = *secret::copy_of(raw);
  auto km = derive_km(ke, *fqdn::parse("maf.example.com"));
  REQUIRE(km);
  CHECK(hex(km->expose()) == "3055bf32dd9c95586aaffa2ae2e165dfeffd0803566e16bdd343171457da8a5e");
  auto kpsa = derive_kpsa(ke, *cse_id::parse("//sp.example.com/CSE123"));
  REQUIRE(kpsa);
  CHECK(hex(kpsa->expose()) == "bc303966a973cfd72ccccfb0ceeea0b6187fc350e5af7030716ff78ce84fd717");
  // Enrolee-B-ID must be absolute.
  auto rel = derive_kpsa(ke, *cse_id::parse("/CSE123"));
  REQUIRE_FALSE(rel);
  CHECK(rel.error() == errc::invalid_argument);
  // The digest writes the target with upper case; the raw interface reproduces it...
  byte out[32];
  REQUIRE(derive_usage_constrained(raw, suid::rspf_saef, "CSE123.in-cse.sp.example.com", out));
  CHECK(hex(out) == "73eee960b997ca44f6eda064b18a248bf278266ab104b94710392c21b7c54dfa");
  // ...and an fqdn is lower case, so the typed interface gives the lower-case value.
  auto typed = derive_usage_constrained(ke, suid::rspf_saef, *fqdn::parse("CSE123.in-cse.sp.example.com"));
  REQUIRE(typed);
  REQUIRE(derive_usage_constrained(raw, suid::rspf_saef, "cse123.in-cse.sp.example.com", out));
  CHECK(ct::equal(typed->expose(), out));
}

TEST_CASE("key schedule: keys and outputs of the wrong size are refused", "[sa][kdf]") {
  byte key[32] = {}, out[32], short_out[16];
  CHECK(derive_km(bytes_view(key, 16), "maf.example.com", out).error() == errc::invalid_key_size);
  CHECK(derive_kpsa(key, "x", short_out).error() == errc::invalid_argument);
  CHECK(derive_usage_constrained(bytes_view(key, 31), suid::rspf_saef, "a.b", out).error() == errc::invalid_key_size);
  CHECK(split_exporter(bytes_view(key, 32)).error() == errc::invalid_argument);
}

template <class Hash, class Backend>
static std::size_t check_ke2e(std::string_view name) {
  std::size_t n = 0;
  using chain = ke2e_chain<Hash, Backend>;
  for (const auto& t : vectors()["ke2e"]) {
    if (t["hash"] != name) continue;
    byte_vector out(chain::output_size);
    REQUIRE(chain::derive(unhex(t["salt"]), unhex(t["kpsa"]), out));
    for (std::size_t i = 0; i < 5; ++i)
      CHECK(hex(bytes_view(out).subspan(i * chain::key_size, chain::key_size)) == t["keys"][i]);
    auto s = chain::derive(unhex(t["salt"]), *secret::copy_of(unhex(t["kpsa"])));
    REQUIRE(s);
    CHECK(hex(chain::key(*s, chain::att_conf)) == t["keys"][4]);
    ++n;
  }
  return n;
}

TEST_CASE("key schedule: the Ke2e chain with SHA-256, SHA-384 and SHA-512", "[sa][kdf]") {
  using namespace crypto;
  std::size_t n = check_ke2e<sha256, backend::sodium>("sha256") + check_ke2e<sha256, backend::botan>("sha256") +
                  check_ke2e<sha384, backend::botan>("sha384") + check_ke2e<sha512, backend::sodium>("sha512") +
                  check_ke2e<sha512, backend::botan>("sha512");
  CHECK(n == 5 * 6);
  WARN(n << " Ke2e chain vectors (5 hash/backend pairs)");
}

static esprim_rand_object rand_object(const json& j) {
  esprim_rand_object o;
  o.id = j["id"];
  auto v = unhex(j["value"]);
  std::copy(v.begin(), v.end(), o.value.begin());
  o.expiry = time_point(std::chrono::seconds(j["expiry"].get<std::int64_t>()));
  for (int x : j["esk"]) o.key_gen_alg_ids.push_back(static_cast<std::uint8_t>(x));
  for (int x : j["espa"]) o.protocol_and_alg_ids.push_back(static_cast<std::uint8_t>(x));
  return o;
}

TEMPLATE_TEST_CASE("key schedule: sessionESPrimKey over the A6 rand-object encoding", "[sa][kdf]", backend::sodium,
                   backend::botan) {
  std::set<std::string> keys;
  for (const auto& t : vectors()["session_esprim"]) {
    const auto r = rand_object(t["receiver"]), o = rand_object(t["originator"]);
    CHECK(hex(*encode_rand_object(r)) == t["receiver_bytes"]);
    byte out[32];
    REQUIRE(derive_session_esprim_key<TestType>(unhex(t["pairwise"]), r, o, out));
    CHECK(hex(out) == t["key"]);
    keys.insert(hex(out));
  }
  // Every change of a field gave another key.
  CHECK(keys.size() == vectors()["session_esprim"].size());
  esprim_rand_object empty_id;
  CHECK(encode_rand_object(empty_id).error() == errc::invalid_argument);
}

TEST_CASE("key schedule: MAF pairwiseESPrimKey (A7) and the exporter split (A1)", "[sa][kdf]") {
  for (const auto& t : vectors()["maf_esprim"]) {
    auto kc = *secret::copy_of(unhex(t["kc"]));
    auto id = kc_id::parse(t["kc_id"].get<std::string>());
    REQUIRE(id);
    auto k = derive_maf_pairwise_esprim_key(kc, *id);
    REQUIRE(k);
    CHECK(hex(k->expose()) == t["key"]);
  }
  for (const auto& t : vectors()["exporter"]) {
    auto p = split_exporter(unhex(t["out"]));
    REQUIRE(p);
    CHECK(hex(p->relative_id) == t["relative_id"]);
    CHECK(hex(p->key.expose()) == t["key"]);
    CHECK(ke_id::from_bytes(p->relative_id, *fqdn::parse("mef.example.com")).str() == t["ke_id"]);
  }
  CHECK(exporter_label::bootstrap == "EXPORTER-oneM2M-Bootstrap");
  CHECK(exporter_label::connection == "EXPORTER-oneM2M-Connection");
}
