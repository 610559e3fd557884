// The secure channel in memory: every profile, both transports, SA binding.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <optional>

using namespace m2msec;
using namespace std::chrono_literals;
using tls::transport;

namespace {

const time_point t0 = time_point(std::chrono::seconds(1798761600));  // 2027-01-01

symmetric_credential kpsa_credential(time_point nb = t0 - 1h, time_point na = t0 + 24h,
                                     suid usage = suid::preprovisioned_saef) {
  byte k[32];
  for (int i = 0; i < 32; ++i) k[i] = static_cast<byte>(0xA0 + i);
  return *symmetric_credential::make(*secret::copy_of(k), *credential_id::parse("12-ae1@issuer.example.com"), usage,
                                     *ae_id::parse("/in-cse/C0042"), *validity::make(nb, na));
}

// The client's PSK, bound to its association.
sa::bound<secret> bind_psk(const symmetric_credential& cred, duration life, usage_limits limits, const manual_clock& clk) {
  return *sa::bound<secret>::create(*cred.key().clone(), {*ae_id::parse("/in-cse/C0042"), *cse_id::parse("/in-cse")},
                                    cred, requested_lifetime::session(life), limits, clk);
}

// usage_scope of a channel whose keys are provisioned as `usage`.
usage_scope scope(suid usage) { return scope_of(usage); }

struct psk_pair {
  manual_clock clk{t0};
  symmetric_credential server_cred;
  symmetric_credential client_cred;
  sa::bound<secret> client_psk;
  security_association& client_sa;
  std::unique_ptr<tls::channel<manual_clock>> client, server;

  explicit psk_pair(transport kind, usage_limits client_limits = {}, std::string identity = "ae1@issuer.example.com",
                    std::string sni = "in-cse.sp.example.com", suid usage = suid::preprovisioned_saef)
      : server_cred(kpsa_credential(t0 - 1h, t0 + 24h, usage)),
        client_cred(kpsa_credential(t0 - 1h, t0 + 24h, usage)),
        client_psk(bind_psk(client_cred, 2h, client_limits, clk)),
        client_sa(client_psk.association()) {
    auto resolver = [this](std::string_view id, std::string_view) -> result<tls::psk_entry> {
      if (id != "ae1@issuer.example.com") return fail(errc::not_found);
      return tls::psk_entry{&server_cred, *ae_id::parse("/in-cse/C0042")};
    };
    server = std::move(*tls::channel<manual_clock>::psk_server({kind, "in-cse.sp.example.com", {}, scope(usage)},
                                                                *cse_id::parse("/in-cse"), resolver,
                                                                requested_lifetime::session(1h), {}, clk));
    client = std::move(*tls::channel<manual_clock>::psk_client({kind, sni, {}, scope(usage)}, identity, client_psk, clk));
  }
  bool handshake() { return test_channel::pump(*client, *server) && client->active() && server->active(); }
};

}  // namespace

TEST_CASE("channel: PSK over TLS (0x00AE) and DTLS (0xC0A8), data both ways, exporter agrees", "[channel]") {
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    psk_pair p(kind);
    REQUIRE(p.handshake());
    CHECK(p.client->suite() == (kind == transport::stream ? tls::psk_aes128_cbc_sha256 : tls::psk_aes128_ccm8));
    CHECK(p.server->suite() == p.client->suite());
    CHECK(p.server->peer_identity() == "ae1@issuer.example.com");
    REQUIRE(p.client->send(as_bytes("hello registrar")));
    REQUIRE(test_channel::pump(*p.client, *p.server));
    auto got = p.server->take_received();
    CHECK(std::string(got.begin(), got.end()) == "hello registrar");
    REQUIRE(p.server->send(as_bytes("hello ae")));
    REQUIRE(test_channel::pump(*p.client, *p.server));
    got = p.client->take_received();
    CHECK(std::string(got.begin(), got.end()) == "hello ae");
    // The server's association: bound to the AE, capped by the credential and by the session asked.
    auto* sa = p.server->association();
    REQUIRE(sa != nullptr);
    CHECK(to_string(sa->who().peer) == "/in-cse/C0042");
    CHECK(sa->lifetime().not_after() == t0 + 1h);
    CHECK(originator_rsc(sa, "C0042", t0) == rsc::ok);
    CHECK(originator_rsc(sa, "C0043", t0) == rsc::originator_not_authenticated);
    // Records count toward both associations.
    CHECK(p.client_sa.messages() == 2);
    CHECK(sa->messages() == 2);
    CHECK(sa->bytes() == 15 + 8);
    // A SAEF channel exports nothing: the oneM2M labels belong to the MEF and MAF handshakes.
    for (auto label : {exporter_label::bootstrap, exporter_label::connection, exporter_label::escertke}) {
      CHECK(p.client->export_key(label).error() == errc::wrong_usage);
      CHECK(p.server->export_key(label).error() == errc::wrong_usage);
    }
    CHECK(p.client->export_key("EXPORTER-something-else").error() == errc::invalid_argument);
  }
  // The MEF handshake (Kpm, SUID 10) exports Ke under Bootstrap, the MAF handshake (Km, SUID 11)
  // Kc under Connection; each channel only its own.
  for (auto kind : {transport::stream, transport::datagram}) {
    for (auto [usage, label, other] :
         {std::tuple{suid::preprovisioned_mef, exporter_label::bootstrap, exporter_label::connection},
          std::tuple{suid::preprovisioned_maf, exporter_label::connection, exporter_label::bootstrap}}) {
      psk_pair p(kind, {}, "ae1@issuer.example.com", "in-cse.sp.example.com", usage);
      REQUIRE(p.handshake());
      auto a = p.client->export_key(label), b = p.server->export_key(label);
      REQUIRE(a);
      REQUIRE(b);
      CHECK(a->size() == 48);
      CHECK(*a == *b);
      CHECK(p.client->export_key(other).error() == errc::wrong_usage);
      CHECK(p.server->export_key(other).error() == errc::wrong_usage);
    }
  }
}

TEST_CASE("channel: wrong PSK, unknown identity, wrong SNI, expired credential fail the handshake", "[channel]") {
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    {
      psk_pair p(kind, {}, "someone@issuer.example.com");
      CHECK_FALSE(p.handshake());
      CHECK(p.server->error() == errc::not_found);
      CHECK(p.server->take_received().empty());
      CHECK(p.server->association() == nullptr);
    }
    {
      psk_pair p(kind, {}, "ae1@issuer.example.com", "other.sp.example.com");
      CHECK_FALSE(p.handshake());
      CHECK(p.server->error() == errc::name_mismatch);
    }
    {
      psk_pair p(kind);
      p.server_cred = kpsa_credential(t0 - 2h, t0 - 1h);  // the Registrar's copy has expired
      CHECK_FALSE(p.handshake());
      CHECK(p.server->error() == errc::expired);
    }
    if (kind == transport::stream) {  // DTLS drops bad records silently (no alert): see the DTLS note
      psk_pair p(kind);
      byte other[32] = {1};
      p.server_cred = *symmetric_credential::make(*secret::copy_of(other), p.server_cred.id(), p.server_cred.usage(),
                                                  p.server_cred.holder(), p.server_cred.lifetime());
      CHECK_FALSE(p.handshake());
      CHECK(p.server->error() == errc::auth_failed);
      CHECK(p.client->error().has_value());
    }
  }
}

TEST_CASE("channel: SA expiry in the middle of a session closes the channel", "[channel][sa]") {
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    psk_pair p(kind, {.soft_messages = 2, .hard_messages = 3});
    REQUIRE(p.handshake());
    REQUIRE(p.client->send(as_bytes("one")));
    CHECK_FALSE(p.client->rekey_due());
    REQUIRE(p.client->send(as_bytes("two")));
    CHECK(p.client->rekey_due());  // soft limit: a new handshake is due
    REQUIRE(p.client->send(as_bytes("three")));
    auto r = p.client->send(as_bytes("four"));
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::limit_reached);
    CHECK(p.client->send(as_bytes("five")).error() == errc::limit_reached);
    test_channel::pump(*p.client, *p.server);
    auto got = p.server->take_received();
    CHECK(std::string(got.begin(), got.end()) == "onetwothree");
    CHECK(p.server->closed());  // the close alert arrived

    // Time: the server's SA (1 h) ends while the session is open.
    psk_pair q(kind);
    REQUIRE(q.handshake());
    q.clk.advance(59min);
    REQUIRE(q.client->send(as_bytes("before")));
    REQUIRE(test_channel::pump(*q.client, *q.server));
    CHECK(q.server->take_received().size() == 6);
    q.clk.advance(2min);
    REQUIRE(q.client->send(as_bytes("after")));  // the client's SA lasts 2 h
    (void)test_channel::pump(*q.client, *q.server);
    CHECK(q.server->take_received().empty());  // not delivered
    CHECK(q.server->error() == errc::sa_expired);
    CHECK(q.server->send(as_bytes("x")).error() == errc::sa_expired);
    CHECK(originator_rsc(q.server->association(), "C0042", q.clk.now()) == rsc::originator_not_authenticated);
  }
}

TEST_CASE("channel: the policy offers exactly the TS-0003 suites", "[channel]") {
  using V = Botan::TLS::Protocol_Version;
  auto list = [](transport t, tls::authentication a) {
    tls::onem2m_policy p(t, a);
    auto v = p.ciphersuite_list(t == transport::stream ? V::TLS_V12 : V::DTLS_V12, false);
    std::sort(v.begin(), v.end());
    return v;
  };
  using S = std::vector<std::uint16_t>;
  CHECK(list(transport::stream, tls::authentication::psk) == S{0x00AE, 0xC0A8});
  CHECK(list(transport::datagram, tls::authentication::psk) == S{0x00AE, 0xC0A8});
  CHECK(list(transport::stream, tls::authentication::certificate) == S{0xC023, 0xC0AE});
  CHECK(list(transport::datagram, tls::authentication::certificate) == S{0xC023, 0xC0AE});
  tls::onem2m_policy p(transport::stream, tls::authentication::psk);
  CHECK_FALSE(p.acceptable_protocol_version(V::TLS_V11));
  CHECK_FALSE(p.acceptable_protocol_version(V::DTLS_V12));
}

namespace {

std::string pki(const std::string& name) {
  std::ifstream in(std::string(M2MSEC_SOURCE_DIR "/tests/channel/pki/") + name);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct cert_pair {
  manual_clock clk{t0};
  trust_anchors anchors;
  std::optional<certificate_credential> own;
  std::optional<security_association> client_sa;
  std::unique_ptr<tls::channel<manual_clock>> client, server;

  cert_pair(transport kind, const std::string& client_stem, expected_name server_expects,
            expected_name client_expects = expected_name::cse(*fqdn::parse("in-cse.sp.example.com")),
            suid usage = suid::certificate_saef) {
    REQUIRE(anchors.add(as_bytes(pki("ca.pem"))));
    // The client's own credential, for its association.
    auto mine = certificate::parse(as_bytes(pki("client.pem")));
    own.emplace(*certificate_credential::verify(std::move(*mine), *expected_name::ae(*ae_id::parse("//sp.example.com/in-cse/C0042")),
                                                 anchors, t0, {}, usage));
    client_sa.emplace(*security_association::create({*ae_id::parse("/in-cse/C0042"), *cse_id::parse("/in-cse")}, *own, requested_lifetime::session(2h), {}, clk));
    server = std::move(*tls::channel<manual_clock>::certificate_server(
        {kind, "in-cse.sp.example.com", {}, scope(usage)}, *cse_id::parse("/in-cse"), {pki("server.pem"), pki("server.key")}, anchors,
        std::move(server_expects), *ae_id::parse("/in-cse/C0042"), requested_lifetime::session(1h), {}, clk));
    client = std::move(*tls::channel<manual_clock>::certificate_client(
        {kind, "in-cse.sp.example.com", {}, scope(usage)}, {pki(client_stem + ".pem"), pki(client_stem + ".key")}, anchors,
        std::move(client_expects), *client_sa, clk));
  }
  bool handshake() { return test_channel::pump(*client, *server) && client->active() && server->active(); }
};
const expected_name ae42 = *expected_name::ae(*ae_id::parse("//sp.example.com/in-cse/C0042"));

}  // namespace

TEST_CASE("channel: certificate SAEF, mutual, exact SAN on both sides", "[channel][certificate]") {
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    cert_pair p(kind, "client", ae42);
    REQUIRE(p.handshake());
    CHECK(p.client->suite() ==
          (kind == transport::stream ? tls::ecdhe_ecdsa_aes128_cbc_sha256 : tls::ecdhe_ecdsa_aes128_ccm8));
    REQUIRE(p.client->send(as_bytes("cert hello")));
    REQUIRE(test_channel::pump(*p.client, *p.server));
    CHECK(p.server->take_received().size() == 10);
    auto* sa = p.server->association();
    REQUIRE(sa);
    CHECK(sa->credential().type() == credential_id_type::tls_ae_id);
    CHECK(originator_rsc(sa, "C0042", t0) == rsc::ok);
    CHECK(p.client->export_key(exporter_label::connection).error() == errc::wrong_usage);
    // The certificate MAF handshake (SUID 41) exports Kc.
    cert_pair m(kind, "client", ae42, expected_name::cse(*fqdn::parse("in-cse.sp.example.com")),
                suid::certificate_maf);
    REQUIRE(m.handshake());
    CHECK(*m.client->export_key(exporter_label::connection) == *m.server->export_key(exporter_label::connection));
  }
}

TEST_CASE("channel: certificate SAEF refuses other names, expired certificates, other servers", "[channel][certificate]") {
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    {
      cert_pair p(kind, "client_other", ae42);  // the client is some other AE
      CHECK_FALSE(p.handshake());
      CHECK(p.server->error() == errc::name_mismatch);
      CHECK(p.server->association() == nullptr);
    }
    {
      cert_pair p(kind, "client_expired", ae42);
      CHECK_FALSE(p.handshake());
      CHECK(p.server->error() == errc::expired);
    }
    {
      cert_pair p(kind, "client", ae42, expected_name::cse(*fqdn::parse("mn-cse.sp.example.com")));
      CHECK_FALSE(p.handshake());
      CHECK(p.client->error() == errc::name_mismatch);
    }
  }
}

#include "m2msec/channel/profiles.hpp"

TEST_CASE("channel profiles: MEF and MAF handshakes give Ke/KeID and Kc/KcID; the router", "[channel]") {
  psk_pair p(transport::stream, {}, "ae1@issuer.example.com", "in-cse.sp.example.com", suid::preprovisioned_mef);
  psk_pair q(transport::stream, {}, "ae1@issuer.example.com", "in-cse.sp.example.com", suid::preprovisioned_maf);
  REQUIRE(p.handshake());
  REQUIRE(q.handshake());
  const auto mef = *fqdn::parse("mef.example.com"), maf = *fqdn::parse("maf.example.com");
  auto a = tls::enrolment_key(*p.client, mef), b = tls::enrolment_key(*p.server, mef);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->id == b->id);
  CHECK(a->key == b->key);
  CHECK(a->key.size() == 32);
  CHECK(a->id.domain() == mef);
  // The split follows A1 on the exporter output itself.
  auto raw = p.client->export_key(exporter_label::bootstrap);
  CHECK(a->id.str().substr(0, 32) == [&] {
    std::string h = hex_encode(raw->expose().first(16));
    for (char& c : h) c = static_cast<char>(std::toupper(c));
    return h;
  }());
  CHECK(ct::equal(a->key.expose(), raw->expose().subspan(16)));
  CHECK(tls::connection_key(*p.client, maf).error() == errc::wrong_usage);
  auto kc = tls::connection_key(*q.client, maf);
  REQUIRE(kc);
  CHECK(kc->id.domain() == maf);
  CHECK_FALSE(kc->key == a->key);

  // Per-request originator check on the channel.
  CHECK(p.server->check_originator("C0042") == rsc::ok);
  CHECK(p.server->check_originator("C0043") == rsc::originator_not_authenticated);

  // Routing: identities naming a MAF go to the MAF's lookup, the rest stay local.
  int local = 0, to_maf = 0;
  tls::psk_router router([&](std::string_view, std::string_view) -> result<tls::psk_entry> {
    ++local;
    return fail(errc::not_found);
  });
  router.route(maf, [&](std::string_view, std::string_view) -> result<tls::psk_entry> {
    ++to_maf;
    return fail(errc::not_found);
  });
  (void)router(kc->id.str(), "in-cse.sp.example.com");
  (void)router("k1@issuer.example.com", "in-cse.sp.example.com");
  (void)router("no-at-sign", "in-cse.sp.example.com");
  (void)router.resolver()("X@MAF.example.com", "");
  CHECK(to_maf == 2);
  CHECK(local == 2);

  // A MAF-SAEF client sends HEX(KcID)@MAF-FQDN as its identity, typed; its Kc is a
  // MAF-distributed SAEF key (SUID 32). A Kc registered for ESPrim (33) keys no channel.
  auto kc_cred = [&](suid usage) {
    return *symmetric_credential::make(*kc->key.clone(), *credential_id::make(credential_id_type::kpsa_or_kc_id, kc->id.str()),
                                       usage, *ae_id::parse("/in-cse/C0042"), *validity::make(t0 - 1h, t0 + 2h));
  };
  auto kc_saef = bind_psk(kc_cred(suid::maf_saef), 1h, {}, p.clk);
  auto c = tls::connect<tls::maf_saef>({transport::stream, "in-cse.sp.example.com"}, kc->id, kc_saef, p.clk);
  REQUIRE(c);
  auto kc_esprim = bind_psk(kc_cred(suid::maf_esprim), 1h, {}, p.clk);
  CHECK(tls::connect<tls::maf_saef>({transport::stream, "in-cse.sp.example.com"}, kc->id, kc_esprim, p.clk).error() ==
        errc::wrong_usage);
}

TEST_CASE("channel: the RNG is a policy (libsodium's behind Botan's interface)", "[channel]") {
  using sodium_channel = tls::channel<manual_clock, tls::sodium_rng>;
  manual_clock clk(t0);
  const auto cred = kpsa_credential();
  auto psk = bind_psk(cred, 1h, {}, clk);
  auto resolver = [&](std::string_view, std::string_view) -> result<tls::psk_entry> {
    return tls::psk_entry{&cred, *ae_id::parse("/in-cse/C0042")};
  };
  for (auto kind : {transport::stream, transport::datagram}) {
    auto server = sodium_channel::psk_server({kind, "in-cse.sp.example.com"}, *cse_id::parse("/in-cse"), resolver,
                                             requested_lifetime::session(1h), {}, clk);
    auto client = sodium_channel::psk_client({kind, "in-cse.sp.example.com"}, "ae1@issuer.example.com", psk, clk);
    REQUIRE(server);
    REQUIRE(client);
    REQUIRE(test_channel::pump(**client, **server));
    CHECK((*client)->active());
    CHECK((*server)->active());
  }
  byte a[32] = {}, b[32] = {};
  tls::sodium_rng::get().randomize(a, sizeof a);
  tls::sodium_rng::get().randomize(b, sizeof b);
  CHECK_FALSE(ct::equal(a, b));
  CHECK(tls::sodium_rng::get().is_seeded());
}

// ---- the channel's keys, reached only through their associations --------------------------

TEST_CASE("channel: a client PSK is refused for another usage, after its SA, after its credential, past its limit",
          "[channel][sa][bound]") {
  using chan = tls::channel<manual_clock>;
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    manual_clock clk(t0);
    const chan::options o{kind, "in-cse.sp.example.com"};
    // A key provisioned for ESPrim (SUID 13) keys no SAEF channel, nor a MEF handshake.
    auto esprim_key = bind_psk(kpsa_credential(t0 - 1h, t0 + 24h, suid::preprovisioned_esprim), 1h, {}, clk);
    CHECK(chan::psk_client(o, "ae1@issuer.example.com", esprim_key, clk).error() == errc::wrong_usage);
    CHECK(chan::psk_client({kind, "in-cse.sp.example.com", {}, usage_scope::mef}, "ae1@issuer.example.com", esprim_key,
                           clk)
              .error() == errc::wrong_usage);
    // The SA's end (1 h), then the credential's (the SA asked for 30 h ends strictly before it).
    auto key = bind_psk(kpsa_credential(), 1h, {}, clk);
    clk.set(t0 + 1h + 1ns);
    CHECK(chan::psk_client(o, "ae1@issuer.example.com", key, clk).error() == errc::sa_expired);
    clk.set(t0);
    auto long_key = bind_psk(kpsa_credential(), 30h, {}, clk);
    clk.set(t0 + 24h);
    CHECK(chan::psk_client(o, "ae1@issuer.example.com", long_key, clk).error() == errc::sa_expired);
    // Closed, and past its hard limit.
    clk.set(t0);
    auto closed = bind_psk(kpsa_credential(), 1h, {}, clk);
    closed.association().close();
    CHECK(chan::psk_client(o, "ae1@issuer.example.com", closed, clk).error() == errc::sa_expired);
    auto spent = bind_psk(kpsa_credential(), 1h, {.hard_messages = 1}, clk);
    REQUIRE(spent.use(usage_scope::saef, clk, 1));
    CHECK_FALSE(spent.use(usage_scope::saef, clk, 1));
    CHECK(chan::psk_client(o, "ae1@issuer.example.com", spent, clk).error() == errc::limit_reached);
  }
}

TEST_CASE("channel: a PSK whose SA ends between connect and the handshake keys nothing", "[channel][sa][bound]") {
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    psk_pair p(kind);
    p.client_sa.close();  // revoked after the client was made
    CHECK_FALSE(p.handshake());
    CHECK(p.client->error() == errc::sa_expired);
    CHECK(p.server->association() == nullptr);
    CHECK(p.server->take_received().empty());
  }
}

TEST_CASE("channel: the Registrar refuses a PSK provisioned for another usage", "[channel][sa][bound]") {
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    psk_pair p(kind);
    // The Registrar's copy of the key says ESPrim (13): it establishes no SAEF association.
    p.server_cred = kpsa_credential(t0 - 1h, t0 + 24h, suid::preprovisioned_esprim);
    CHECK_FALSE(p.handshake());
    CHECK(p.server->error() == errc::wrong_usage);
    CHECK(p.server->association() == nullptr);
    CHECK_FALSE(p.server->export_key(exporter_label::bootstrap));
  }
}

TEST_CASE("channel: the exporter refuses once the SA is over, after the credential, past the limit", "[channel][sa][bound]") {
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    {  // the server's SA (1 h) ends first, the client's (2 h) later, both before the credential (24 h)
      psk_pair p(kind, {}, "ae1@issuer.example.com", "in-cse.sp.example.com", suid::preprovisioned_mef);
      REQUIRE(p.handshake());
      REQUIRE(p.server->export_key(exporter_label::bootstrap));
      p.clk.set(t0 + 1h + 1ns);
      CHECK(p.server->export_key(exporter_label::bootstrap).error() == errc::sa_expired);
      CHECK(tls::enrolment_key(*p.server, *fqdn::parse("mef.example.com")).error() == errc::sa_expired);
      CHECK(p.client->export_key(exporter_label::bootstrap));
      p.clk.set(t0 + 2h + 1ns);
      CHECK(p.client->export_key(exporter_label::bootstrap).error() == errc::sa_expired);
      p.clk.set(t0 + 24h + 1s);  // and after the credential
      CHECK(p.client->export_key(exporter_label::bootstrap).error() == errc::sa_expired);
      CHECK(tls::enrolment_key(*p.client, *fqdn::parse("mef.example.com")).error() == errc::sa_expired);
    }
    {  // past the hard limit
      psk_pair p(kind, {.hard_messages = 1}, "ae1@issuer.example.com", "in-cse.sp.example.com",
                 suid::preprovisioned_maf);
      REQUIRE(p.handshake());
      REQUIRE(p.client->send(as_bytes("one")));
      CHECK(p.client->send(as_bytes("two")).error() == errc::limit_reached);
      CHECK(p.client->export_key(exporter_label::connection).error() == errc::limit_reached);
      CHECK(tls::connection_key(*p.client, *fqdn::parse("maf.example.com")).error() == errc::limit_reached);
    }
    {  // closed: a revoked credential closes the association
      psk_pair p(kind, {}, "ae1@issuer.example.com", "in-cse.sp.example.com", suid::preprovisioned_maf);
      REQUIRE(p.handshake());
      p.server->association()->close();
      CHECK(p.server->export_key(exporter_label::connection).error() == errc::sa_expired);
    }
  }
}
