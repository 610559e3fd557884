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
      CHECK(p.server->refusal() == errc::not_found);
      // The client is told what a wrong key tells it (issue 13 item 1): over TLS a
      // bad_record_mac, over DTLS nothing; the server's error keeps the reason.
      if (kind == transport::stream) {
        CHECK(p.server->error() == errc::not_found);
        CHECK(p.client->error() == errc::auth_failed);
        // Each channel keeps its own failure's detail (issue 17 item 3).
        CHECK(p.client->failure().where == "TLS alert received");
        CHECK(p.client->failure().what == "bad_record_mac");
        CHECK(p.server->failure().what == "the server refused the client's PSK identity");
      } else {
        CHECK_FALSE(p.client->error());
      }
      CHECK(p.server->peer_identity().empty());
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
      CHECK(p.server->refusal() == errc::expired);
      if (kind == transport::stream) CHECK(p.client->error() == errc::auth_failed);
    }
    if (kind == transport::stream) {  // DTLS drops bad records silently (no alert): see the DTLS note
      psk_pair p(kind);
      byte other[32] = {1};
      p.server_cred = *symmetric_credential::make(*secret::copy_of(other), p.server_cred.id(), p.server_cred.usage(),
                                                  p.server_cred.holder(), p.server_cred.lifetime());
      CHECK_FALSE(p.handshake());
      CHECK(p.server->error() == errc::auth_failed);
      CHECK_FALSE(p.server->refusal());
      CHECK(p.client->error() == errc::auth_failed);
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
        std::move(server_expects), requested_lifetime::session(1h), {}, clk));
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
    CHECK(p.server->refusal() == errc::wrong_usage);
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

// ---- Issue 13, items 1-6: what the outside review found in the channel ----

namespace {

// TLS records of a stream, one by one (the record header says each one's length).
std::vector<byte_vector> records_of(bytes_view stream) {
  std::vector<byte_vector> out;
  for (std::size_t at = 0; at + 5 <= stream.size();) {
    const std::size_t end = at + 5 + ((std::size_t{stream[at + 3]} << 8) | stream[at + 4]);
    REQUIRE(end <= stream.size());
    out.emplace_back(stream.begin() + static_cast<std::ptrdiff_t>(at), stream.begin() + static_cast<std::ptrdiff_t>(end));
    at = end;
  }
  return out;
}
std::string as_string(bytes_view b) { return std::string(b.begin(), b.end()); }
byte_vector joined(const std::vector<byte_vector>& parts) {
  byte_vector out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

TEST_CASE("channel: records counted before a failure are delivered, in one segment or many (item 2)", "[channel][sa]") {
  for (bool one_segment : {true, false}) {
    INFO((one_segment ? "five records in one feed" : "one record per feed"));
    psk_pair p(transport::stream);
    // The Registrar's associations allow three messages.
    p.server = std::move(*tls::channel<manual_clock>::psk_server(
        {transport::stream, "in-cse.sp.example.com"}, *cse_id::parse("/in-cse"),
        [&](std::string_view, std::string_view) -> result<tls::psk_entry> {
          return tls::psk_entry{&p.server_cred, *ae_id::parse("/in-cse/C0042")};
        },
        requested_lifetime::session(1h), {.hard_messages = 3}, p.clk));
    REQUIRE(p.handshake());
    for (const char* m : {"1", "2", "3", "4", "5"}) REQUIRE(p.client->send(as_bytes(m)));
    byte_vector wire;
    p.client->drain_outgoing([&](bytes_view d) { wire.insert(wire.end(), d.begin(), d.end()); });
    const auto records = records_of(wire);
    REQUIRE(records.size() == 5);
    if (one_segment) {
      CHECK(p.server->feed(wire).error() == errc::limit_reached);
    } else {
      for (std::size_t i = 0; i < 3; ++i) REQUIRE(p.server->feed(records[i]));
      CHECK(p.server->feed(records[3]).error() == errc::limit_reached);
      CHECK(p.server->feed(records[4]).error() == errc::limit_reached);
    }
    CHECK(as_string(p.server->received()) == "123");
    CHECK(p.server->association()->messages() == 3);
  }
  // A corrupt record after two good ones: the two are delivered, nothing after.
  psk_pair p(transport::stream);
  REQUIRE(p.handshake());
  for (const char* m : {"a", "b", "c"}) REQUIRE(p.client->send(as_bytes(m)));
  byte_vector wire;
  p.client->drain_outgoing([&](bytes_view d) { wire.insert(wire.end(), d.begin(), d.end()); });
  auto records = records_of(wire);
  records[2].back() ^= 1;
  CHECK(p.server->feed(joined(records)).error() == errc::auth_failed);
  CHECK(as_string(p.server->received()) == "ab");
}

TEST_CASE("channel: send() counts records on both sides; a send past the limit sends nothing (item 3)", "[channel][sa]") {
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    psk_pair p(kind);
    REQUIRE(p.handshake());
    const std::uint64_t before = p.client_sa.messages();
    const byte_vector big(1 << 20, 0x5A);
    REQUIRE(p.client->send(big));
    CHECK(p.client_sa.messages() - before == 64);
    std::size_t datagrams = 0;
    byte_vector got;
    for (auto& d : p.client->take_outgoing()) {
      ++datagrams;
      REQUIRE(p.server->feed(d));
      got.insert(got.end(), p.server->received().begin(), p.server->received().end());
      p.server->consume_received();
    }
    CHECK(got == big);
    CHECK(p.server->association()->messages() == 64);
    CHECK(datagrams == 64);
    REQUIRE(p.client->send(bytes_view{}));
    CHECK(p.client_sa.messages() - before == 64);  // nothing sent, nothing counted
  }
  // Three records left under the limit: a four-record send is refused whole.
  psk_pair p(transport::stream, {.hard_messages = 3});
  REQUIRE(p.handshake());
  const byte_vector four(3 * 16384 + 1, 1);
  CHECK(p.client->send(four).error() == errc::limit_reached);
  std::size_t app_records = 0;
  for (auto& r : records_of(joined(p.client->take_outgoing()))) app_records += r[0] == 23;
  CHECK(app_records == 0);
}

TEST_CASE("channel: the transport's end: truncation is an error, close_notify is not (item 4)", "[channel][sa]") {
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    {  // cut mid-record
      psk_pair p(kind);
      REQUIRE(p.handshake());
      REQUIRE(p.client->send(as_bytes("request")));
      auto out = p.client->take_outgoing();
      REQUIRE(out.size() == 1);
      if (kind == transport::stream) REQUIRE(p.server->feed(bytes_view(out[0]).first(out[0].size() / 2)));
      CHECK(p.server->check_originator("C0042") == rsc::ok);
      CHECK(p.server->transport_closed().error() == errc::truncated);
      CHECK_FALSE(p.server->active());
      CHECK(p.server->closed());
      CHECK(p.server->error() == errc::truncated);
      CHECK(p.server->received().empty());
      CHECK(p.server->check_originator("C0042") == rsc::originator_not_authenticated);
      CHECK(p.server->feed(out[0]).error() == errc::truncated);
    }
    {  // the peer's close_notify, then the end
      psk_pair p(kind);
      REQUIRE(p.handshake());
      p.client->close();
      REQUIRE(test_channel::pump(*p.client, *p.server));
      REQUIRE(p.server->transport_closed());
      CHECK_FALSE(p.server->error());
      CHECK_FALSE(p.server->active());
      CHECK(p.server->check_originator("C0042") == rsc::originator_not_authenticated);
      // and our own close, then the end
      REQUIRE(p.client->transport_closed());
      CHECK_FALSE(p.client->error());
    }
  }
}

TEST_CASE("channel: bound only to an identity the credential or certificate vouches for (item 5)", "[channel][certificate]") {
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    {  // the resolver names an AE the credential does not belong to
      psk_pair p(kind);
      p.server = std::move(*tls::channel<manual_clock>::psk_server(
          {kind, "in-cse.sp.example.com"}, *cse_id::parse("/in-cse"),
          [&](std::string_view, std::string_view) -> result<tls::psk_entry> {
            return tls::psk_entry{&p.server_cred, *ae_id::parse("/in-cse/C0099")};
          },
          requested_lifetime::session(1h), {}, p.clk));
      CHECK_FALSE(p.handshake());
      CHECK(p.server->refusal() == errc::name_mismatch);
      CHECK(p.server->association() == nullptr);
      CHECK(p.server->peer_identity().empty());
    }
    {  // its Credential-ID is vouched for; the identity is known once the Finished verified
      psk_pair p(kind);
      p.server = std::move(*tls::channel<manual_clock>::psk_server(
          {kind, "in-cse.sp.example.com"}, *cse_id::parse("/in-cse"),
          [&](std::string_view, std::string_view) -> result<tls::psk_entry> {
            return tls::psk_entry{&p.server_cred, p.server_cred.id()};
          },
          requested_lifetime::session(1h), {}, p.clk));
      for (auto& d : p.client->take_outgoing()) REQUIRE(p.server->feed(d));
      CHECK(p.server->peer_identity().empty());
      REQUIRE(p.handshake());
      CHECK(p.server->peer_identity() == "ae1@issuer.example.com");
      CHECK(std::get<credential_id>(p.server->association()->who().peer).str() == p.server_cred.id().str());
    }
    {  // a certificate server binds to the AE-ID the certificate names
      cert_pair p(kind, "client", ae42);
      REQUIRE(p.handshake());
      CHECK(std::get<ae_id>(p.server->association()->who().peer).str() == "//sp.example.com/in-cse/C0042");
    }
    // Any registered AE: the Registrar names none in advance.
    for (bool registered : {true, false}) {
      INFO((registered ? "registered" : "not registered"));
      std::vector<std::string> asked;
      tls::registered_ae known = [&](const ae_id& id) {
        asked.push_back(id.str());
        return registered;
      };
      cert_pair p(kind, "client", ae42);
      p.server = std::move(*tls::channel<manual_clock>::certificate_server(
          {kind, "in-cse.sp.example.com"}, *cse_id::parse("/in-cse"), {pki("server.pem"), pki("server.key")},
          p.anchors, known, requested_lifetime::session(1h), {}, p.clk));
      CHECK(p.handshake() == registered);
      CHECK(asked == std::vector<std::string>{"//sp.example.com/in-cse/C0042"});
      if (registered) {
        CHECK(std::get<ae_id>(p.server->association()->who().peer).str() == "//sp.example.com/in-cse/C0042");
      } else {
        CHECK(p.server->error() == errc::name_mismatch);
        CHECK(p.server->association() == nullptr);
      }
    }
  }
}

// TS-0003 §10.1.2: a raw public key, carried as m2msec's self-signed carrier and
// found by its Credential-ID; the association is bound to the identity the server
// was configured with and ends strictly before the key's configured lifetime.
TEST_CASE("channel: a raw public key the server knows: bound as configured, inside the key's lifetime", "[channel][certificate]") {
  using chan = tls::channel<manual_clock>;
  const auto in_cse = *cse_id::parse("/in-cse");
  const auto raw_ae = *ae_id::parse("/in-cse/Craw");
  trust_anchors anchors;
  REQUIRE(anchors.add(as_bytes(pki("ca.pem"))));
  const auto life = *validity::make(t0 - 1h, t0 + 30min);
  const auto client_cert = certificate::parse(as_bytes(pki("client.pem")));
  REQUIRE(client_cert);
  const auto spki = client_cert->spki();
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    for (auto usage : {suid::certificate_saef, suid::certificate_esprim}) {
      manual_clock clk(t0);
      auto key = raw_public_key::parse(spki, life, usage);
      REQUIRE(key);
      std::vector<std::string> asked;
      tls::registered_peers peers{[](const ae_id&) { return false; },
                                  [&](const credential_id& id) -> result<tls::raw_key_entry> {
                                    asked.emplace_back(id.str());
                                    if (id != key->id()) return fail(errc::not_found);
                                    return tls::raw_key_entry{&*key, raw_ae};
                                  }};
      // The client's own view of its key lasts a day; the server was given 30 minutes.
      const auto own_life = *validity::make(t0 - 1h, t0 + 24h);
      auto own = raw_public_key::parse(spki, own_life);
      auto sa = security_association::create({raw_ae, in_cse}, *own, requested_lifetime::session(2h), {}, clk);
      REQUIRE(sa);
      auto carrier = chan::raw_key_carrier(pki("client.key"), own_life);
      REQUIRE(carrier);
      const usage_scope saef = scope(suid::certificate_saef);
      auto server = std::move(*chan::certificate_server({kind, "in-cse.sp.example.com", {}, saef}, in_cse,
                                                        {pki("server.pem"), pki("server.key")}, anchors, peers,
                                                        requested_lifetime::session(1h), {}, clk));
      auto client = std::move(*chan::certificate_client({kind, "in-cse.sp.example.com", {}, saef}, *carrier, anchors,
                                                        expected_name::cse(*fqdn::parse("in-cse.sp.example.com")), *sa, clk));
      const bool up = test_channel::pump(*client, *server) && server->active();
      CHECK(asked == std::vector<std::string>{key->id().str()});
      if (usage != suid::certificate_saef) {  // the key is trusted for ESPrim only
        CHECK_FALSE(up);
        CHECK(server->error() == errc::wrong_usage);
        continue;
      }
      REQUIRE(up);
      auto* made = server->association();
      REQUIRE(made);
      CHECK(std::get<ae_id>(made->who().peer) == raw_ae);
      CHECK(made->credential() == key->id());
      CHECK(made->credential().type() == credential_id_type::tls_raw_key);
      CHECK(made->lifetime().not_after() < life.not_after());
      // Past the lifetime the server gave the key, the same key gets no handshake.
      clk.advance(31min);
      auto later_sa = security_association::create({raw_ae, in_cse}, *own, requested_lifetime::session(2h), {}, clk);
      REQUIRE(later_sa);
      auto later = std::move(*chan::certificate_server({kind, "in-cse.sp.example.com", {}, saef}, in_cse,
                                                       {pki("server.pem"), pki("server.key")}, anchors, peers,
                                                       requested_lifetime::session(1h), {}, clk));
      auto later_client = std::move(*chan::certificate_client({kind, "in-cse.sp.example.com", {}, saef}, *carrier, anchors,
                                                              expected_name::cse(*fqdn::parse("in-cse.sp.example.com")),
                                                              *later_sa, clk));
      CHECK_FALSE((test_channel::pump(*later_client, *later) && later->active()));
      CHECK(later->error() == errc::expired);
      CHECK(later->association() == nullptr);
    }
  }
  // A key the server does not know, under a resolver and no certificate predicate: name_mismatch.
  manual_clock clk(t0);
  tls::registered_peers none{{}, [](const credential_id&) -> result<tls::raw_key_entry> { return fail(errc::not_found); }};
  auto own = raw_public_key::parse(spki, life);
  auto sa = security_association::create({raw_ae, in_cse}, *own, requested_lifetime::session(2h), {}, clk);
  auto server = std::move(*chan::certificate_server({transport::stream, "in-cse.sp.example.com"}, in_cse,
                                                    {pki("server.pem"), pki("server.key")}, anchors, none,
                                                    requested_lifetime::session(1h), {}, clk));
  auto client = std::move(*chan::certificate_client({transport::stream, "in-cse.sp.example.com"},
                                                    *chan::raw_key_carrier(pki("client.key"), life), anchors,
                                                    expected_name::cse(*fqdn::parse("in-cse.sp.example.com")), *sa, clk));
  CHECK_FALSE((test_channel::pump(*client, *server) && server->active()));
  CHECK(server->association() == nullptr);
}

TEST_CASE("channel: names, lifetimes, identities and failures checked where they belong (item 6)", "[channel]") {
  using chan = tls::channel<manual_clock>;
  manual_clock clk(t0);
  auto cred = kpsa_credential();
  auto psk = bind_psk(cred, 1h, {}, clk);
  auto resolver = [&](std::string_view, std::string_view) -> result<tls::psk_entry> {
    return tls::psk_entry{&cred, *ae_id::parse("/in-cse/C0042")};
  };
  // Refused at creation: no SNI, an SNI that is not an FQDN, a server with no name or no lifetime.
  CHECK(chan::psk_client({transport::stream, ""}, "ae1@issuer.example.com", psk, clk).error() == errc::invalid_argument);
  CHECK(chan::psk_client({transport::stream, "not a name"}, "ae1@issuer.example.com", psk, clk).error() ==
        errc::invalid_argument);
  CHECK(chan::psk_server({transport::stream, ""}, *cse_id::parse("/in-cse"), resolver, requested_lifetime::session(1h),
                         {}, clk)
            .error() == errc::invalid_argument);
  CHECK(chan::psk_server({transport::stream, "in-cse.sp.example.com"}, *cse_id::parse("/in-cse"), resolver,
                         requested_lifetime::session(0s), {}, clk)
            .error() == errc::invalid_validity);

  // PSK identities: printable ASCII, 1 to 512 bytes, or refused like an unknown one.
  CHECK(tls::acceptable_psk_identity(std::string(512, 'a')));
  CHECK_FALSE(tls::acceptable_psk_identity(std::string(513, 'a')));
  CHECK_FALSE(tls::acceptable_psk_identity(""));
  CHECK_FALSE(tls::acceptable_psk_identity("ae1 @issuer.example.com"));
  CHECK_FALSE(tls::acceptable_psk_identity(std::string("ae1\0@x", 6)));
  for (const std::string& bad : {std::string(513, 'a'), std::string("ae1\x01@issuer.example.com")}) {
    int resolved = 0;
    psk_pair p(transport::stream, {}, bad);
    p.server = std::move(*chan::psk_server({transport::stream, "in-cse.sp.example.com"}, *cse_id::parse("/in-cse"),
                                           [&](std::string_view, std::string_view) -> result<tls::psk_entry> {
                                             ++resolved;
                                             return fail(errc::not_found);
                                           },
                                           requested_lifetime::session(1h), {}, p.clk));
    CHECK_FALSE(p.handshake());
    CHECK(p.server->refusal() == errc::invalid_encoding);
    CHECK(p.client->error() == errc::auth_failed);
    CHECK(resolved == 0);
  }

  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    {  // the certificate client's association ends strictly before the server's certificate (12 h)
      cert_pair p(kind, "client", ae42);
      p.client_sa.emplace(*security_association::create({*ae_id::parse("/in-cse/C0042"), *cse_id::parse("/in-cse")},
                                                        *p.own, requested_lifetime::session(24h), {}, p.clk));
      p.server = std::move(*chan::certificate_server({kind, "in-cse.sp.example.com"}, *cse_id::parse("/in-cse"),
                                                     {pki("server_soon.pem"), pki("server_soon.key")}, p.anchors, ae42,
                                                     requested_lifetime::session(1h), {}, p.clk));
      p.client = std::move(*chan::certificate_client({kind, "in-cse.sp.example.com"},
                                                     {pki("client.pem"), pki("client.key")}, p.anchors,
                                                     expected_name::cse(*fqdn::parse("in-cse.sp.example.com")),
                                                     *p.client_sa, p.clk));
      REQUIRE(p.handshake());
      CHECK(p.client_sa->lifetime().not_after() < t0 + 12h);
      CHECK(p.client_sa->lifetime().not_after() >= t0 + 12h - 1s);
    }
    {  // the association cannot be made: its reason, on both sides, not invalid_encoding
      cert_pair p(kind, "client", ae42);
      p.server = std::move(*chan::certificate_server(
          {kind, "in-cse.sp.example.com"}, *cse_id::parse("/in-cse"), {pki("server.pem"), pki("server.key")},
          p.anchors, ae42, requested_lifetime::data(*validity::make(t0 - 2h, t0 - 1h)), {}, p.clk));
      CHECK_FALSE(p.handshake());
      CHECK(p.server->error() == errc::expired);
      CHECK(p.client->error() == errc::expired);
    }
  }

  // consume_received forgets from the front without moving what is left.
  psk_pair p(transport::stream);
  REQUIRE(p.handshake());
  std::string expect;
  for (int i = 0; i < 200; ++i) {
    const std::string m = std::to_string(i) + ";";
    REQUIRE(p.client->send(as_bytes(m)));
    REQUIRE(test_channel::pump(*p.client, *p.server));
    expect += m;
    const std::size_t n = std::min<std::size_t>(3, expect.size());
    CHECK(as_string(p.server->received()) == expect);
    p.server->consume_received(n);
    expect.erase(0, n);
  }
  CHECK(as_string(p.server->take_received()) == expect);
  CHECK(p.server->received().empty());
}

TEST_CASE("channel: the ClientHello reader counts every host_name; the router limits what unknown identities cost",
          "[channel]") {
  // A ClientHello body: version, random, session_id, [cookie], suites, compression, extensions.
  auto hello = [](bool datagram, std::vector<std::string> names) {
    byte_vector b = {3, 3};
    b.insert(b.end(), 32, 7);
    b.push_back(0);
    if (datagram) b.push_back(0);
    b.insert(b.end(), {0, 2, 0x00, 0xAE, 1, 0});
    byte_vector list;
    for (const auto& n : names) {
      list.insert(list.end(), {0, static_cast<byte>(n.size() >> 8), static_cast<byte>(n.size())});
      list.insert(list.end(), n.begin(), n.end());
    }
    const std::size_t ext = list.size() + 2;
    byte_vector exts = {0, 0, static_cast<byte>(ext >> 8), static_cast<byte>(ext), static_cast<byte>(list.size() >> 8),
                        static_cast<byte>(list.size())};
    exts.insert(exts.end(), list.begin(), list.end());
    b.insert(b.end(), {static_cast<byte>(exts.size() >> 8), static_cast<byte>(exts.size())});
    b.insert(b.end(), exts.begin(), exts.end());
    return b;
  };
  CHECK(tls::hello_detail::host_names(hello(false, {"a.example.com"}), false) == 1);
  CHECK(tls::hello_detail::host_names(hello(false, {"a.example.com", "b.example.com"}), false) == 2);
  CHECK(tls::hello_detail::host_names(hello(true, {"a.example.com", "b.example.com"}), true) == 2);
  // Over TLS, a ClientHello in two records and three reads.
  auto record = [](bytes_view body) {
    byte_vector r = {22, 3, 3, static_cast<byte>((body.size() + 4) >> 8), static_cast<byte>(body.size() + 4), 1, 0,
                     static_cast<byte>(body.size() >> 8), static_cast<byte>(body.size())};
    r.insert(r.end(), body.begin(), body.end());
    return r;
  };
  for (std::size_t names : {1, 2}) {
    const auto body = hello(false, names == 1 ? std::vector<std::string>{"a.example.com"}
                                              : std::vector<std::string>{"a.example.com", "b.example.com"});
    const auto one = record(body);
    // Split the handshake message across two records: header and the rest.
    byte_vector two(25);
    const byte first_header[5] = {22, 3, 3, 0, 20};
    std::copy(std::begin(first_header), std::end(first_header), two.begin());
    std::copy(one.begin() + 5, one.begin() + 25, two.begin() + 5);
    const std::size_t rest = one.size() - 25;
    two.insert(two.end(), {22, 3, 3, static_cast<byte>(rest >> 8), static_cast<byte>(rest)});
    two.insert(two.end(), one.begin() + 25, one.end());
    tls::client_hello_reader r(false);
    CHECK(r.feed(bytes_view(two).first(3)) == tls::hello_verdict::more);
    CHECK(r.feed(bytes_view(two).subspan(3, 20)) == tls::hello_verdict::more);
    CHECK(r.feed(bytes_view(two).subspan(23)) ==
          (names == 1 ? tls::hello_verdict::done : tls::hello_verdict::refused));
  }
  // Over DTLS, a ClientHello in fragments is refused (docs/decisions.md).
  byte_vector frag = {22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12 + 10, 1, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 10};
  frag.insert(frag.end(), 10, 3);
  CHECK(tls::client_hello_reader(true).feed(frag) == tls::hello_verdict::refused);

  // The router: one unknown identity costs the MAF one fetch; a flood of new ones is rate-limited.
  manual_clock clk(t0);
  int fetched = 0;
  tls::psk_router<manual_clock> router(
      [](std::string_view, std::string_view) -> result<tls::psk_entry> { return fail(errc::not_found); }, clk,
      {.negative_entries = 100, .negative_for = 60s, .burst = 10, .per_second = 2});
  router.route(*fqdn::parse("maf.example.com"), [&](std::string_view, std::string_view) -> result<tls::psk_entry> {
    ++fetched;
    return fail(errc::not_found);
  });
  for (int i = 0; i < 1000; ++i) CHECK(router("ab@maf.example.com", "").error() == errc::not_found);
  CHECK(fetched == 1);
  auto name = [](int i) { return std::string("x").append(std::to_string(i)).append("@maf.example.com"); };
  for (int i = 0; i < 1000; ++i) CHECK(router(name(i), "").error() == errc::not_found);
  CHECK(fetched == 10);  // the burst
  clk.advance(5s);
  for (int i = 1000; i < 1100; ++i) (void)router(name(i), "");
  CHECK(fetched == 20);  // 5 s at 2 per second
  CHECK(router.fetches() == 20);
  CHECK(router.refused() == 999 + 991 + 90);
  clk.advance(61s);  // the remembered identity is asked again once its time is over
  CHECK(router("ab@maf.example.com", "").error() == errc::not_found);
  CHECK(fetched == 21);
}

TEST_CASE("channel observer: hello, identity, established; a refused identity and its alerts; never a key",
          "[channel][observer]") {
  struct seen {
    std::vector<std::string> lines;
    tls::channel_observer observer() {
      return [this](const tls::channel_event& e) {
        lines.push_back(std::string(to_string(e.stage)) + ":" + std::string(e.text) + ":" + std::to_string(e.code));
      };
    }
    [[nodiscard]] bool has(const std::string& line) const {
      return std::find(lines.begin(), lines.end(), line) != lines.end();
    }
  };
  const std::string key_hex = hex_encode(kpsa_credential().key().expose());
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    for (const std::string identity : {"ae1@issuer.example.com", "ae9@issuer.example.com"}) {
      const bool known = identity == "ae1@issuer.example.com";
      INFO(identity);
      manual_clock clk{t0};
      auto server_cred = kpsa_credential(), client_cred = kpsa_credential();
      auto psk = bind_psk(client_cred, 2h, {}, clk);
      seen client_seen, server_seen;
      auto resolver = [&](std::string_view id, std::string_view) -> result<tls::psk_entry> {
        if (id != "ae1@issuer.example.com") return fail(errc::not_found);
        return tls::psk_entry{&server_cred, *ae_id::parse("/in-cse/C0042")};
      };
      auto server = std::move(*tls::channel<manual_clock>::psk_server(
          {kind, "in-cse.sp.example.com", {}, usage_scope::saef, server_seen.observer()}, *cse_id::parse("/in-cse"),
          resolver, requested_lifetime::session(1h), {}, clk));
      auto client = std::move(*tls::channel<manual_clock>::psk_client(
          {kind, "in-cse.sp.example.com", {}, usage_scope::saef, client_seen.observer()}, identity, psk, clk));
      const bool ok = test_channel::pump(*client, *server) && client->active() && server->active();
      CHECK(ok == known);
      const std::string suite = std::to_string(kind == transport::stream ? 0x00AE : 0xC0A8);
      CHECK(client_seen.has("hello:in-cse.sp.example.com:0"));
      CHECK(server_seen.has("hello:in-cse.sp.example.com:0"));
      CHECK(client_seen.has("identity:" + identity + ":0"));
      CHECK(server_seen.has("identity:" + identity + ":0"));
      if (known) {
        CHECK(client_seen.has("established:/in-cse:" + suite));
        CHECK(server_seen.has("established:/in-cse/C0042:" + suite));
        client->close();
        (void)test_channel::pump(*client, *server);
        CHECK(client_seen.has("alert sent:close_notify:0"));
        CHECK(server_seen.has("alert received:close_notify:0"));
      } else {
        // The server knows why; the client sees only bad_record_mac (20), as for a wrong key.
        // Over DTLS the refusal is silence (RFC 6347 §4.1.2.7): no alert at all.
        CHECK(server_seen.has("refused:not found:0"));
        if (kind == transport::stream) {
          CHECK(server_seen.has("alert sent:bad_record_mac:20"));
          CHECK(client_seen.has("alert received:bad_record_mac:20"));
        }
        for (const auto& l : client_seen.lines) CHECK(l.rfind("established", 0) != 0);
      }
      // Never a key: neither the PSK nor anything shaped like one.
      for (const auto* s : {&client_seen, &server_seen})
        for (const auto& l : s->lines) {
          CHECK(l.find(key_hex) == std::string::npos);
          CHECK(l.size() < 80);
        }
    }
  }
  // No observer: the default options are as before.
  psk_pair p(transport::stream);
  CHECK(p.handshake());
}
