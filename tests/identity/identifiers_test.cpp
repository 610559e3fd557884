// Identifiers: the spec's examples parse and print back unchanged; malformed text is an errc.
#include "m2msec/identity.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace m2msec;

template <class T>
static std::string round_trip(std::string_view s) {
  auto v = T::parse(s);
  REQUIRE(v);
  return v->str();
}
template <class T>
static void rejects(std::initializer_list<std::string_view> bad) {
  for (auto s : bad) {
    INFO("input: '" << s << "'");
    auto v = T::parse(s);
    REQUIRE_FALSE(v);
    CHECK(v.error() == errc::invalid_encoding);
  }
}

TEST_CASE("fqdn: RFC 1123 labels, lower case, no wildcard or address", "[identity]") {
  CHECK(round_trip<fqdn>("mef.example.com") == "mef.example.com");
  CHECK(round_trip<fqdn>("M2M.ThingsCompany.COM") == "m2m.thingscompany.com");
  CHECK(round_trip<fqdn>("a-1.b2.c") == "a-1.b2.c");
  CHECK(*fqdn::parse("Mef.Example.com") == *fqdn::parse("mef.example.COM"));
  const std::string label63(63, 'a');
  CHECK(fqdn::parse(label63 + ".com"));
  std::string long_name;
  while (long_name.size() < 251) long_name += label63.substr(0, 9) + ".";
  long_name += "com";
  rejects<fqdn>({"", "localhost", "example.com.", ".example.com", "a..com", "*.example.com", "-a.example.com",
                 "a-.example.com", "a_b.example.com", "10.0.0.1", "exa mple.com", "example.com/x", "ex@mple.com"});
  rejects<fqdn>({label63 + "a.com"});
  REQUIRE(long_name.size() > fqdn::max_size);
  rejects<fqdn>({long_name});
  CHECK(fqdn::parse(long_name.substr(10)));
}

TEST_CASE("M2M-SP-ID and CSE-ID: the forms of TS-0001 Table 7.2-1", "[identity]") {
  CHECK(round_trip<sp_id>("//www.m2mprovider.com") == "//www.m2mprovider.com");
  rejects<sp_id>({"www.m2mprovider.com", "/www.m2mprovider.com", "//", "//www.m2mprovider.com/"});

  auto rel = cse_id::parse("/CSE090112");
  REQUIRE(rel);
  CHECK_FALSE(rel->is_absolute());
  CHECK(rel->name() == "CSE090112");
  CHECK(rel->str() == "/CSE090112");
  CHECK(round_trip<cse_id>("/3ace4fd3") == "/3ace4fd3");

  auto abs = cse_id::parse("//m2m.thingscompany.com/ab3f124a");
  REQUIRE(abs);
  CHECK(abs->is_absolute());
  CHECK(abs->sp()->domain().str() == "m2m.thingscompany.com");
  CHECK(abs->str() == "//m2m.thingscompany.com/ab3f124a");
  CHECK(abs->sp_relative() == *cse_id::parse("/ab3f124a"));
  CHECK(cse_id::parse("/ab3f124a")->absolute(*sp_id::parse("//m2m.thingscompany.com")) == *abs);
  CHECK(*rel != *abs);
  rejects<cse_id>({"", "/", "CSE090112", "//m2m.thingscompany.com", "//m2m.thingscompany.com/",
                   "/CSE/090112", "/CSE 1", "/CSE%20", "//bad_host.com/CSE1", "/CSE1?x", "/CSE1#"});
}

TEST_CASE("Identifiers: parts are bounded, and absolute forms of valid parts parse", "[identity]") {
  const std::string name(255, 'c');
  auto rel = cse_id::parse("/" + name);
  REQUIRE(rel);
  CHECK_FALSE(cse_id::parse("/" + name + "c"));
  const std::string label(63, 'a');
  auto sp = sp_id::parse("//" + label + "." + label + "." + label + "." + label.substr(0, 61));
  REQUIRE(sp);
  const auto abs = rel->absolute(*sp);
  CHECK(abs.str().size() > 500);
  CHECK(cse_id::parse(abs.str()));  // found by the fuzzer: the whole text once had the part's bound
  auto ae = ae_id::parse("/" + name + "/C" + name.substr(1));
  REQUIRE(ae);
  CHECK(ae_id::parse(ae->absolute(*sp).str()));
  CHECK_FALSE(cse_id::parse(std::string(2000, '/')));
}

TEST_CASE("AE-ID and AE-ID-Stem: C and S stems, SP-relative and absolute", "[identity]") {
  auto c = ae_id_stem::parse("C190XX7T");
  REQUIRE(c);
  CHECK(c->type() == ae_id_stem::kind::registrar_assigned);
  CHECK(ae_id_stem::parse("S190XX7T")->type() == ae_id_stem::kind::sp_assigned);
  rejects<ae_id_stem>({"", "C", "X190", "c190", "C19/0", "C19 0"});

  auto rel_c = ae_id::parse("/CSE090112/C190XX7T");
  REQUIRE(rel_c);
  CHECK(rel_c->registrar()->str() == "/CSE090112");
  CHECK(rel_c->stem().str() == "C190XX7T");
  CHECK(rel_c->str() == "/CSE090112/C190XX7T");
  auto rel_s = ae_id::parse("/S190XX7T");
  REQUIRE(rel_s);
  CHECK_FALSE(rel_s->registrar());
  CHECK(round_trip<ae_id>("//m2m.prov.com/CSE3219/C9886") == "//m2m.prov.com/CSE3219/C9886");
  CHECK(round_trip<ae_id>("//m2m.things.com/S98821") == "//m2m.things.com/S98821");
  auto abs = ae_id::parse("//m2m.prov.com/CSE3219/C9886");
  CHECK(abs->sp_relative() == *ae_id::parse("/CSE3219/C9886"));
  CHECK(ae_id::parse("/CSE3219/C9886")->absolute(*sp_id::parse("//m2m.prov.com")) == *abs);
  // A C stem needs its Registrar CSE-ID; an S stem must not have one.
  rejects<ae_id>({"/C190XX7T", "/CSE090112/S190XX7T", "C190XX7T", "/CSE090112/", "/CSE090112/C1/x",
                  "//m2m.prov.com", "//m2m.prov.com/", "/CSE090112/X190", "/S1 9"});
}

TEST_CASE("App-ID: registered R.. and non-registered N..", "[identity]") {
  auto r = app_id::parse("Ra01.com.company.smartcity");
  REQUIRE(r);
  CHECK(r->type() == app_id::kind::registered);
  CHECK(app_id::parse("ra01.com.company.smartcity")->type() == app_id::kind::registered);
  auto n = app_id::parse("Nk836-t071-fc022");
  REQUIRE(n);
  CHECK(n->type() == app_id::kind::non_registered);
  CHECK(n->str() == "Nk836-t071-fc022");
  rejects<app_id>({"", "R", "N", "Ra01", "R.com.x", "Ra01.", "Ra01..x", "Xa01.com", "Nk836/t", "Nk 8"});
}

TEST_CASE("M2M-Node-ID: OID, IMEI with Luhn digit, other", "[identity]") {
  auto oid = node_id::parse("0.2.481.1.100.3030.10011");
  REQUIRE(oid);
  CHECK(oid->type() == node_id::kind::oid);
  CHECK(node_id::parse("2.999.1")->type() == node_id::kind::oid);
  auto imei = node_id::parse("490154203237518");  // a well-known valid IMEI
  REQUIRE(imei);
  CHECK(imei->type() == node_id::kind::imei);
  CHECK(node_id::parse("CSE090112")->type() == node_id::kind::other);
  rejects<node_id>({"", "490154203237519", "0.", ".1", "0..1", "3.1", "0.40", "1.01", "00.1", "a b"});
}

template <class T>
concept has_str = requires(const T& x) { x.str(); };

TEST_CASE("M2M-Sub-ID: only reveal() gives the text", "[identity]") {
  auto s = sub_id::parse("sub-0042");
  REQUIRE(s);
  CHECK(s->reveal() == "sub-0042");
  CHECK(sub_id::redacted().find("0042") == std::string_view::npos);
  STATIC_REQUIRE_FALSE(has_str<sub_id>);
  STATIC_REQUIRE(has_str<cse_id>);
  rejects<sub_id>({"", "a b", "tab\t", std::string_view("nul\0x", 5)});
}

TEST_CASE("CSE public domain name: IN and MN forms", "[identity]") {
  auto in = public_domain_name(*cse_id::parse("/in-cse"), *fqdn::parse("sp.example.com"));
  REQUIRE(in);
  CHECK(in->str() == "in-cse.sp.example.com");
  auto mn = public_domain_name(*cse_id::parse("/CSE123"), *in);
  REQUIRE(mn);
  CHECK(mn->str() == "cse123.in-cse.sp.example.com");
  auto bad = public_domain_name(*cse_id::parse("/cse_1"), *fqdn::parse("sp.example.com"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == errc::invalid_encoding);
}

TEST_CASE("SUID: every code, its type and scope, two digits", "[identity]") {
  std::set<int> seen;
  for (suid s : all_suids) {
    seen.insert(static_cast<int>(s));
    auto back = parse_suid(to_string(s));
    REQUIRE(back);
    CHECK(*back == s);
  }
  CHECK(seen.size() == 21);
  CHECK(type_of(suid::rspf_saef) == credential_type::rspf_symmetric);
  CHECK(scope_of(suid::rspf_saef) == usage_scope::saef);
  CHECK(type_of(suid::certificate_esdata_signature) == credential_type::certificate);
  CHECK(scope_of(suid::maf_esprim) == usage_scope::esprim);
  CHECK_FALSE(is_symmetric(suid::certificate_mef));
  CHECK(is_symmetric(suid::preprovisioned_mef));
  for (auto bad : {"", "1", "16", "20", "31", "36", "46", "99", "2a", "022", " 2"}) {
    INFO(bad);
    CHECK_FALSE(parse_suid(bad));
  }
}

TEST_CASE("Credential-ID: <type>-<value> with every type code", "[identity]") {
  auto c = credential_id::parse("10-thiskey@mymef.com");
  REQUIRE(c);
  CHECK(c->type() == credential_id_type::kpm_id);
  CHECK(c->value() == "thiskey@mymef.com");
  CHECK(c->str() == "10-thiskey@mymef.com");
  int valid = 0;
  for (int t = 0; t < 100; ++t) {
    std::string s = t < 10 ? "0" : "";
    s += std::to_string(t);
    s += "-k1";
    if (auto id = credential_id::parse(s)) {
      ++valid;
      CHECK(id->str() == s);
    }
  }
  CHECK(valid == 7 + 5 + 5 + 5);
  rejects<credential_id>({"", "10", "10-", "1-key", "10_key", "17-key", "10-key/x", "10-ke y", "10-key:1", "a0-key"});
}

TEST_CASE("Key identifiers: KpsaID, KmID (case-insensitive), KeID and KcID from hex", "[identity]") {
  auto kpsa = kpsa_id::parse("k123@issuer.example.com");
  REQUIRE(kpsa);
  CHECK(kpsa->relative() == "k123");
  CHECK(kpsa->domain().str() == "issuer.example.com");
  CHECK(*kpsa != *kpsa_id::parse("K123@issuer.example.com"));

  auto km = km_id::parse("Maf_Rel.1@maf.example.com");
  REQUIRE(km);
  CHECK(*km == *km_id::parse("maf_rel.1@MAF.example.com"));
  CHECK(*km != *km_id::parse("maf_rel.2@maf.example.com"));
  CHECK(km->str() == "Maf_Rel.1@maf.example.com");

  byte rel[16];
  for (int i = 0; i < 16; ++i) rel[i] = static_cast<byte>(0x40 + i);
  auto ke = ke_id::from_bytes(rel, *fqdn::parse("mef.example.com"));
  CHECK(ke.str() == "404142434445464748494A4B4C4D4E4F@mef.example.com");
  auto back = ke_id::parse(ke.str());
  REQUIRE(back);
  CHECK(*back == ke);
  CHECK(std::equal(std::begin(rel), std::end(rel), back->bytes().begin()));
  // Upper case only (decision A5), exactly 16 bytes.
  rejects<ke_id>({"404142434445464748494a4b4c4d4e4f@mef.example.com", "4041@mef.example.com",
                  "404142434445464748494A4B4C4D4E4F4F@mef.example.com"});
  rejects<kc_id>({"404142434445464748494A4B4C4D4E4G@maf.example.com"});
  rejects<kpsa_id>({"", "k123", "@issuer.example.com", "k123@", "k 1@issuer.example.com", "k1@issuer",
                    "k/1@issuer.example.com", "k1@@issuer.example.com"});
}

TEST_CASE("Identifiers are ASCII, where NFKC changes nothing; what NFKC would fold is refused", "[identity]") {
  // TS-0003 §3.2 normalises key-derivation inputs with NFKC. The identifier
  // grammars m2msec parses are ASCII, on which NFKC is the identity: a string
  // that NFKC would change (full-width letters, composed accents, ligatures) is
  // not an identifier at all (docs/decisions.md).
  for (const char* s : {"\xef\xbd\x85xample.com",  // full-width 'e'
                        "b\xc3\xbc" "cher.example", "\xef\xac\x81le.example"})  // ü, the "fi" ligature
    CHECK(fqdn::parse(s).error() == errc::invalid_encoding);
  CHECK(fqdn::parse("xn--bcher-kva.example"));  // the IDNA form is how such a name is written
  for (const char* s : {"/cse\xc3\xa9", "C\xc3\xa9", "/in-cse/C\xef\xbd\x81"}) {
    CHECK_FALSE(cse_id::parse(s));
    CHECK_FALSE(ae_id::parse(s));
    CHECK_FALSE(ae_id_stem::parse(s));
  }
}
