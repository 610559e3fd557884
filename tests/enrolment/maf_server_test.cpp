// m2msec-maf, the program, over real loopback sockets (issue 16's acceptance): A
// registers Kc for B, B retrieves it and the two complete MAF-SAEF over TLS/TCP
// and DTLS/UDP; after expirationTime B fails the handshake until a new MAF round;
// refusals as a client sees them; and the MAF Handshake against openssl s_client.
#include "function_client.hpp"
#include "../channel/openssl_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "m2msec/e2e/esdata.hpp"
#include "m2msec/e2e/esprim.hpp"
#include "m2msec/enrolment/maf.hpp"
#include "m2msec/enrolment/mef.hpp"
#include "m2msec/enrolment/sqlite_maf_store.hpp"
#if M2MSEC_WITH_POSTGRES
#include "m2msec/enrolment/postgres_maf_store.hpp"
#endif

using namespace m2msec;
using namespace std::chrono_literals;
using test_sockets::channel;
using test_sockets::clk;
using test_sockets::drive;
using test_sockets::fd_guard;
using maf_client = test_sockets::function_client<tls::maf_handshake>;

namespace {

const fqdn maf_fqdn = *fqdn::parse("maf.example.com");
const entity_id alpha = *ae_id::parse("/in-cse/Calpha");
const entity_id mn_cse = *cse_id::parse("/mn-cse");
const entity_id other_cse = *cse_id::parse("/other-cse");
const entity_id mn_abs = *cse_id::parse("//sp.example.com/mn-cse");
const entity_id other_abs = *cse_id::parse("//sp.example.com/other-cse");

std::string program() { return test_sockets::program_named("M2MSEC_MAF"); }
using test_sockets::bound_of;
using test_sockets::hex_key;
using test_sockets::pki;
// A Km (SUID 11) as the client holds it.
symmetric_credential km(std::string_view name, const entity_id& who, byte b) {
  return *symmetric_credential::make(*hex_decode_secret(hex_key(b)),
                                     *credential_id::make(credential_id_type::km_id, std::string(name) + "@maf.example.com"),
                                     suid::preprovisioned_maf, who, *validity::make(clk.now() - 1h, clk.now() + 24h));
}

// A configuration and a log in a folder of their own.
struct setup {
  std::filesystem::path dir;
  std::string table;  // PostgreSQL: this setup's own table, or a shared one

  explicit setup(std::string_view store = "memory", std::string shared_table = {}, std::string extra = {}) {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() / ("m2msec-maf-srv-" + std::to_string(rd()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "store.key") << hex_key(0x77) << "\n";
    table = shared_table.empty() ? "maf_" + std::to_string(rd()) : shared_table;
    const char* pg = std::getenv("M2MSEC_PG");
    const auto ts = [](time_point t) { return "\"" + esprim::to_timestamp(t) + "\""; };
    auto entry = [&](std::string_view id, std::string_view holder, byte b) {
      return "{\"id\":\"" + std::string(id) + "@maf.example.com\",\"key\":\"" + hex_key(b) + "\",\"holder\":\"" +
             std::string(holder) + "\",\"not_before\":" + ts(clk.now() - 1h) + ",\"not_after\":" + ts(clk.now() + 90 * 24h) + "}";
    };
    std::ofstream(dir / "maf.json") << "{\"fqdn\":\"maf.example.com\",\"sp\":\"//sp.example.com\"," << extra
                                    << "\"store\":{\"kind\":\"" << store << "\",\"path\":\"" << (dir / "maf.db").string()
                                    << "\",\"key_file\":\"" << (dir / "store.key").string() << "\",\"table\":\"" << table
                                    << "\",\"conninfo\":\"" << (pg ? pg : "") << "\"},"
                                    << "\"listen\":{\"tcp\":\"127.0.0.1:0\",\"udp\":\"127.0.0.1:0\","
                                    << "\"tcp_certificate\":\"127.0.0.1:0\",\"udp_certificate\":\"127.0.0.1:0\"},"
                                    << "\"certificate\":{\"chain\":\"" << pki("maf.pem") << "\",\"key\":\"" << pki("maf.key")
                                    << "\",\"anchors\":\"" << pki("ca.pem") << "\"},\"km\":["
                                    << entry("alpha", "/in-cse/Calpha", 0x10) << "," << entry("mn", "/mn-cse", 0x20) << ","
                                    << entry("other", "/other-cse", 0x30) << "]}\n";
  }
  ~setup() { std::filesystem::remove_all(dir); }
  [[nodiscard]] std::string config() const { return (dir / "maf.json").string(); }
  [[nodiscard]] std::string log_path() const { return (dir / "maf.log").string(); }
  [[nodiscard]] std::string log() const {
    std::ifstream in(log_path());
    return {std::istreambuf_iterator<char>(in), {}};
  }
};

maf_client connect(unsigned short port, bool datagram, std::string_view name, const entity_id& who, byte b) {
  return maf_client(port, datagram, km(name, who, b), who, "maf.example.com");
}
// A's MAF round: handshake, Client Registration, Key Registration of Kc for `targets`.
result<maf::registered_key> register_kc(unsigned short port, bool datagram, std::vector<entity_id> targets,
                                        time_point end, suid usage = suid::maf_saef) {
  auto a = connect(port, datagram, "alpha", alpha, 0x10);
  if (!a.handshake()) return fail(errc::auth_failed);
  auto reg = a.call(maf::registration_request(alpha, "reg-1", *fqdn::parse("alpha.example.com"), clk.now() + 24h));
  if (!reg || reg->code != rsc::created) return fail(errc::not_authorized);
  auto kc = tls::connection_key(*a.ch, maf_fqdn);
  if (!kc) return fail(kc.error());
  auto r = a.call(maf::key_registration_request(alpha, "key-1", usage, std::move(targets), end));
  if (!r) return fail(errc::io_error);
  return maf::read_key_registration(*r, alpha, maf_fqdn, std::move(kc->key), kc->id);
}
std::optional<mef::response> retrieve(unsigned short port, bool datagram, std::string_view name, const entity_id& who,
                                      byte b, const kc_id& id) {
  auto c = connect(port, datagram, name, who, b);
  if (!c.handshake()) return std::nullopt;
  return c.call(maf::key_retrieval_request(who, "ret-1", id));
}

// B (/mn-cse) routes identities naming the MAF to `port`; A completes MAF-SAEF
// with it over a loopback socket pair with its key. Whether the handshake completed.
bool saef(const maf::registered_key& k, unsigned short port, bool datagram, bool check = true) {
  std::map<std::string, symmetric_credential> fetched;
  tls::psk_router router([](std::string_view, std::string_view) -> result<tls::psk_entry> { return fail(errc::not_found); });
  router.route(maf_fqdn, [&](std::string_view identity, std::string_view) -> result<tls::psk_entry> {
    auto id = kc_id::parse(identity);
    if (!id) return fail(errc::not_found);
    auto r = retrieve(port, datagram, "mn", mn_cse, 0x20, *id);
    if (!r) return fail(errc::io_error);
    auto cred = maf::read_retrieved(*r, *id);
    if (!cred) return fail(errc::not_found);
    auto who = bound_of(cred->holder());
    auto& held = fetched.insert_or_assign(id->str(), std::move(*cred)).first->second;
    return tls::psk_entry{&held, who};
  });
  // A's own credential; when not checking, one that claims a longer life (a stale A).
  auto cred = check ? *k.credential(alpha)
                    : *symmetric_credential::make(*k.key.clone(), *credential_id::make(credential_id_type::kpsa_or_kc_id, k.id.str()),
                                                  suid::maf_saef, alpha, *validity::make(clk.now() - 1h, clk.now() + 1h));
  auto psk = sa::bound<secret>::create(*cred.key().clone(), {alpha, bound_of(mn_cse)}, cred,
                                       requested_lifetime::session(24h), {}, clk);
  REQUIRE(psk);
  const auto kind = datagram ? tls::transport::datagram : tls::transport::stream;
  auto client = tls::connect<tls::maf_saef>({kind, "mn-cse.sp.example.com"}, k.id, *psk, clk);
  auto server = channel::psk_server({kind, "mn-cse.sp.example.com"}, mn_cse, router.resolver(),
                                    requested_lifetime::session(24h), {}, clk);
  REQUIRE(client);
  REQUIRE(server);
  auto [a, b] = test_sockets::socket_pair(datagram);
  auto& c = **client;
  auto& t = **server;
  drive<channel>({{&c, a.fd}, {&t, b.fd}}, [&] { return (c.active() && t.active()) || c.closed() || t.closed(); }, 5s);
  if (!(c.active() && t.active())) return false;
  CHECK(router.fetches() == 1);
  // B binds to the identity the MAF supplied, strictly before expirationTime.
  auto* sa = t.association();
  REQUIRE(sa);
  CHECK(to_string(sa->who().peer) == "/in-cse/Calpha");
  CHECK(sa->lifetime().not_after() < k.answer.lifetime.not_after());
  const std::string request = "GET /mn-cse X-M2M-Origin: Calpha";
  REQUIRE(c.send(as_bytes(request)));
  REQUIRE(drive<channel>({{&c, a.fd}, {&t, b.fd}}, [&] { return t.received().size() == request.size(); }));
  CHECK(t.check_originator("Calpha") == rsc::ok);
  return true;
}

}  // namespace

TEST_CASE("m2msec-maf: A registers Kc, B retrieves it, MAF-SAEF over TLS/TCP and DTLS/UDP; after expirationTime a new round",
          "[maf][server]") {
  setup s;
  test_sockets::server_process maf(program(), s.config(), s.log_path());
  REQUIRE(maf.tcp != 0);
  REQUIRE(maf.udp != 0);
  for (bool datagram : {false, true}) {
    INFO((datagram ? "DTLS/UDP" : "TLS/TCP"));
    const auto port = datagram ? maf.udp : maf.tcp;
    const time_point end = std::chrono::floor<std::chrono::seconds>(clk.now()) + 3s;
    auto k = register_kc(port, datagram, {mn_abs}, end);
    REQUIRE(k);
    CHECK(k->answer.lifetime.not_after() <= end);
    REQUIRE(saef(*k, port, datagram));
    // Past expirationTime: B gets no key, the handshake fails even for an A that
    // thinks its key still good. A new MAF round gives a new key, and it works.
    std::this_thread::sleep_until(std::chrono::system_clock::time_point(end) + 1100ms);
    CHECK_FALSE(saef(*k, port, datagram, false));
    auto fresh = register_kc(port, datagram, {mn_abs}, clk.now() + 1h);
    REQUIRE(fresh);
    CHECK_FALSE(fresh->id == k->id);
    CHECK(saef(*fresh, port, datagram));
  }
  CHECK(maf.stop(SIGTERM) == 0);
  const auto log = s.log();
  INFO(log);
  CHECK(log.find("handshake tcp:") != std::string::npos);
  CHECK(log.find("handshake udp:") != std::string::npos);
  CHECK(log.find("peer=/in-cse/Calpha kmid=alpha@maf.example.com kcid=") != std::string::npos);
  CHECK(log.find("to=maf/keyReg from=/in-cse/Calpha") != std::string::npos);
  CHECK(log.find("stopped") != std::string::npos);
  for (byte b : {byte{0x10}, byte{0x20}}) CHECK(log.find(hex_key(b).substr(0, 16)) == std::string::npos);
}

TEST_CASE("m2msec-maf: refused with their RSC and no key: not a target, unknown, expired, de-registered, unregistered",
          "[maf][server]") {
  setup s;
  test_sockets::server_process maf(program(), s.config(), s.log_path());
  REQUIRE(maf.tcp != 0);
  auto body = [](const mef::response& r) { return std::string(r.body.data(), r.body.size()); };
  auto k = register_kc(maf.tcp, false, {mn_abs}, std::chrono::floor<std::chrono::seconds>(clk.now()) + 2s);
  REQUIRE(k);
  auto not_target = retrieve(maf.udp, true, "other", other_cse, 0x30, k->id);
  byte rel[16] = {0xEE};
  auto unknown = retrieve(maf.tcp, false, "mn", mn_cse, 0x20, kc_id::from_bytes(rel, maf_fqdn));
  REQUIRE(not_target);
  REQUIRE(unknown);
  CHECK(not_target->code == rsc::originator_has_no_privilege);
  CHECK(body(*not_target) == body(*unknown));
  CHECK(body(*unknown).find("\"key\"") == std::string::npos);
  REQUIRE(retrieve(maf.tcp, false, "mn", mn_cse, 0x20, k->id)->code == rsc::ok);
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(k->answer.lifetime.not_after()) + 1100ms);
  auto expired = retrieve(maf.tcp, false, "mn", mn_cse, 0x20, k->id);
  REQUIRE(expired);
  CHECK(body(*expired) == body(*unknown));

  // De-registered: as unknown.
  auto k2 = register_kc(maf.tcp, false, {mn_abs}, clk.now() + 1h);
  REQUIRE(k2);
  auto a = connect(maf.tcp, false, "alpha", alpha, 0x10);
  REQUIRE(a.handshake());
  auto del = a.call(maf::key_deregistration_request(alpha, "d1", k2->id));
  REQUIRE(del);
  CHECK(del->code == rsc::deleted);
  auto gone = retrieve(maf.tcp, false, "mn", mn_cse, 0x20, k2->id);
  REQUIRE(gone);
  CHECK(body(*gone) == body(*unknown));

  // A client that never registered; two targets for SAEF; a wrong Km.
  auto other = connect(maf.tcp, false, "other", other_cse, 0x30);
  REQUIRE(other.handshake());
  const auto value = *hex_decode_secret(hex_key(0x44));
  auto unregistered = other.call(maf::key_registration_request(other_cse, "k1", suid::maf_saef, {mn_abs}, clk.now() + 1h, &value));
  REQUIRE(unregistered);
  CHECK(unregistered->code == rsc::originator_has_no_privilege);
  auto two = a.call(maf::key_registration_request(alpha, "k2", suid::maf_saef, {mn_abs, other_abs}, clk.now() + 1h, &value));
  REQUIRE(two);
  CHECK(two->code == rsc::bad_request);
  for (bool datagram : {false, true}) {
    maf_client wrong(datagram ? maf.udp : maf.tcp, datagram, km("alpha", alpha, 0x11), alpha, "maf.example.com");
    CHECK_FALSE(wrong.handshake(2s));
  }
  CHECK(maf.stop() == 0);
  const auto log = s.log();
  INFO(log);
  CHECK(log.find("why=not authorized") != std::string::npos);  // not a target
  CHECK(log.find("why=not found") != std::string::npos);       // unknown, de-registered, unregistered
  CHECK(log.find("why=expired") != std::string::npos);
  CHECK(log.find("why=invalid argument") != std::string::npos);  // two targets
}

TEST_CASE("m2msec-maf: the MAF handshake with openssl s_client -psk: KcID and Kc are OpenSSL's EXPORTER-oneM2M-Connection",
          "[maf][server][interop]") {
  setup s;
  test_sockets::server_process maf(program(), s.config(), s.log_path());
  REQUIRE(maf.tcp != 0);
  for (bool datagram : {false, true}) {
    INFO((datagram ? "DTLS" : "TLS"));
    const auto port = datagram ? maf.udp : maf.tcp;
    openssl_test::process client({"s_client", "-connect", "127.0.0.1:" + std::to_string(port),
                                  datagram ? "-dtls1_2" : "-tls1_2", "-cipher",
                                  datagram ? "PSK-AES128-CCM8" : "PSK-AES128-CBC-SHA256", "-psk", hex_key(0x10),
                                  "-psk_identity", "alpha@maf.example.com", "-servername", "maf.example.com",
                                  "-keymatexport", "EXPORTER-oneM2M-Connection", "-keymatexportlen", "48", "-ign_eof"});
    REQUIRE(client.wait_for("Keying material: "));
    const std::string keying = client.keying_material();
    REQUIRE(keying.size() == 96);
    // Client Registration, then Key Registration of Kc, typed into s_client.
    client.write(mef::http::write_request(maf::registration_request(alpha, "ossl-1", *fqdn::parse("alpha.example.com"),
                                                                    clk.now() + 24h), "maf.example.com"));
    REQUIRE(client.wait_for("X-M2M-RSC: 2001"));
    client.write(mef::http::write_request(maf::key_registration_request(alpha, "ossl-2", suid::maf_saef, {mn_abs},
                                                                        clk.now() + 1h), "maf.example.com"));
    REQUIRE(client.wait_for("{\"m2msec:kreg\""));
    REQUIRE(client.wait_for("]}}"));
    const auto out = client.output();
    const auto at = out.find("{\"m2msec:kreg\"");
    auto answer = maf::parse_key_answer(out.substr(at, out.find("]}}", at) + 3 - at));
    REQUIRE(answer);
    // RelativeKeyID = hexBinary(KcID), the first 16 bytes (decisions A1, A5, A8).
    CHECK(answer->relative_id == keying.substr(0, 32));
    // Kc = the last 32: what B retrieves is OpenSSL's.
    const auto id = *kc_id::parse(answer->relative_id + "@maf.example.com");
    auto r = retrieve(maf.tcp, false, "mn", mn_cse, 0x20, id);
    REQUIRE(r);
    auto got = maf::read_retrieved(*r, id);
    REQUIRE(got);
    CHECK(got->key() == *hex_decode_secret(keying.substr(32)));
  }
  CHECK(maf.stop() == 0);
}

// TS-0003 §8.8.2.3, remote case: an Enrolee provisioned by m2msec-mef (its
// Enrolment Targets include the MAF) registers with m2msec-maf using the SUID 21
// key it derives from Ke, its KeID as KmID; the MAF fetches the same key from the MEF.
TEST_CASE("m2msec-maf: an Enrolee provisioned by m2msec-mef registers with m2msec-maf using the SUID 21 key",
          "[maf][server][mef]") {
  const char* mef_program = std::getenv("M2MSEC_MEF");
  REQUIRE(mef_program != nullptr);  // set by meson
  setup s;
  const auto ts = [](time_point t) { return "\"" + esprim::to_timestamp(t) + "\""; };
  const auto nb = ts(clk.now() - 1h), na = ts(clk.now() + 90 * 24h);
  const auto expiry = std::chrono::floor<std::chrono::seconds>(clk.now()) + 7 * 24h;
  std::ofstream(s.dir / "mef.json")
      << "{\"fqdn\":\"mef.example.com\",\"listen\":{\"tcp\":\"127.0.0.1:0\"},\"kpm\":["
      << "{\"id\":\"node@mef.example.com\",\"key\":\"" << hex_key(0x50) << "\",\"holder\":\"/in-cse/Cnode\",\"not_before\":"
      << nb << ",\"not_after\":" << na << "},"
      << "{\"id\":\"maf@mef.example.com\",\"key\":\"" << hex_key(0x60) << "\",\"holder\":\"maf.example.com\",\"not_before\":"
      << nb << ",\"not_after\":" << na << "}],"
      << "\"enrolees\":[{\"id\":\"/in-cse/Cnode\",\"targets\":[\"maf.example.com\"],\"expiry\":" << ts(expiry) << "}]}\n";
  test_sockets::server_process mef(mef_program, (s.dir / "mef.json").string(), (s.dir / "mef.log").string());
  REQUIRE(mef.tcp != 0);
  std::ofstream(s.dir / "maf.json")
      << "{\"fqdn\":\"maf.example.com\",\"sp\":\"//sp.example.com\",\"listen\":{\"tcp\":\"127.0.0.1:0\",\"udp\":\"127.0.0.1:0\"},"
      << "\"mef\":{\"address\":\"127.0.0.1:" << mef.tcp << "\",\"fqdn\":\"mef.example.com\",\"kpm\":{\"id\":\"maf@mef.example.com\","
      << "\"key\":\"" << hex_key(0x60) << "\",\"holder\":\"maf.example.com\",\"not_before\":" << nb << ",\"not_after\":" << na
      << "}},\"km\":[{\"id\":\"mn@maf.example.com\",\"key\":\"" << hex_key(0x20)
      << "\",\"holder\":\"/mn-cse\",\"not_before\":" << nb << ",\"not_after\":" << na << "}]}\n";
  test_sockets::server_process maf(program(), s.config(), s.log_path());
  REQUIRE(maf.tcp != 0);

  // The Enrolee enrols at the MEF.
  const entity_id node = *ae_id::parse("/in-cse/Cnode");
  auto kpm = *symmetric_credential::make(*hex_decode_secret(hex_key(0x50)),
                                         *credential_id::make(credential_id_type::kpm_id, "node@mef.example.com"),
                                         suid::preprovisioned_mef, node, *validity::make(clk.now() - 1h, clk.now() + 24h));
  test_sockets::function_client<tls::mef_handshake> enrolee(mef.tcp, false, std::move(kpm), node);
  REQUIRE(enrolee.handshake());
  auto ke = tls::enrolment_key(*enrolee.ch, *fqdn::parse("mef.example.com"));
  REQUIRE(ke);
  auto answer = enrolee.call(mef::enrolment_request(node, "enrol-1"));
  REQUIRE(answer);
  auto e = mef::read_enrolment(*answer, std::move(*ke), node);
  REQUIRE(e);

  for (bool datagram : {false, true}) {
    INFO((datagram ? "DTLS/UDP" : "TLS/TCP"));
    // Km = the usage-constrained key for the MAF (SUID 21), named by the KeID.
    auto km21 = e->key_for(suid::rspf_maf, entity_id{maf_fqdn}, node);
    REQUIRE(km21);
    maf_client c(datagram ? maf.udp : maf.tcp, datagram, std::move(*km21), node, "maf.example.com");
    REQUIRE(c.handshake());
    auto reg = c.call(maf::registration_request(node, "reg-1", *fqdn::parse("node.example.com"), clk.now() + 24h));
    REQUIRE(reg);
    CHECK(reg->code == rsc::created);
    // assignedSymmKeyID: the KmID it used, its KeID.
    CHECK(std::string(reg->body.data(), reg->body.size()).find("\"asid\":\"" + e->answer.id.str() + "\"") != std::string::npos);
    const auto value = *hex_decode_secret(hex_key(0x70));
    auto k = c.call(maf::key_registration_request(node, "key-1", suid::maf_esdata_encryption, {mn_abs}, clk.now() + 1h, &value));
    REQUIRE(k);
    CHECK(k->code == rsc::created);
  }
  // A key the MEF never released gets no handshake: a KeID it does not know.
  byte rel[16] = {0xAB};
  auto forged = *symmetric_credential::make(*hex_decode_secret(hex_key(0x50)),
                                            *credential_id::make(credential_id_type::kpsa_or_kc_id,
                                                                 ke_id::from_bytes(rel, *fqdn::parse("mef.example.com")).str()),
                                            suid::rspf_maf, node, *validity::make(clk.now() - 1h, clk.now() + 1h));
  maf_client stranger(maf.tcp, false, std::move(forged), node, "maf.example.com");
  CHECK_FALSE(stranger.handshake(3s));
  CHECK(maf.stop() == 0);
  CHECK(mef.stop() == 0);
  const auto log = s.log();
  INFO(log);
  CHECK(log.find("mef: fetched " + e->answer.id.str() + " rsc=2000 for /in-cse/Cnode") != std::string::npos);
  CHECK(log.find("rsc=4103") != std::string::npos);  // the forged KeID
}

TEST_CASE("m2msec-maf: SIGKILL at random points during 100 key registrations; every acknowledged one survives (SQLite)",
          "[maf][server][crash]") {
  setup s("sqlite");
  std::mt19937 rng(20261129);
  std::vector<maf::registered_key> acked;
  int kills = 0, attempts = 0;
  auto server = std::make_unique<test_sockets::server_process>(program(), s.config(), s.log_path());
  while (acked.size() < 100) {
    REQUIRE(server->tcp != 0);
    ++attempts;
    REQUIRE(attempts < 400);
    if (rng() % 8 == 0) {
      // Kill while a registration is in flight: after a random delay of 0-3 ms.
      std::thread killer([&, delay = rng() % 3000] {
        std::this_thread::sleep_for(std::chrono::microseconds(delay));
        server->stop(SIGKILL);
      });
      auto k = register_kc(server->tcp, false, {mn_abs}, clk.now() + 1h);
      killer.join();
      if (k) acked.push_back(std::move(*k));  // acknowledged before the kill
      ++kills;
      server = std::make_unique<test_sockets::server_process>(program(), s.config(), s.log_path());
      continue;
    }
    auto k = register_kc(server->tcp, false, {mn_abs}, clk.now() + 1h);
    REQUIRE(k);
    acked.push_back(std::move(*k));
  }
  INFO("kills " << kills << ", attempts " << attempts);
  CHECK(kills >= 8);
  // After the last restart, B retrieves keys registered before the kills.
  for (std::size_t i : {std::size_t{0}, acked.size() / 2, acked.size() - 1}) {
    auto r = retrieve(server->tcp, false, "mn", mn_cse, 0x20, acked[i].id);
    REQUIRE(r);
    auto got = maf::read_retrieved(*r, acked[i].id);
    REQUIRE(got);
    CHECK(got->key() == acked[i].key);
  }
  CHECK(server->stop(SIGKILL) == 128 + SIGKILL);
  // Every acknowledged key is in the store, whole: it opens under the store key.
  auto store = sqlite_maf_store::open(s.dir / "maf.db", *hex_decode_secret(hex_key(0x77)));
  REQUIRE(store);
  int found = 0;
  for (const auto& k : acked) {
    auto rec = store->find_key(k.id.relative(), clk.now());
    if (rec && rec->key == k.key && to_string(rec->source) == "/in-cse/Calpha") ++found;
  }
  CHECK(found == static_cast<int>(acked.size()));
}

#if M2MSEC_WITH_POSTGRES
TEST_CASE("m2msec-maf: two replicas on one PostgreSQL: a key registered at one is retrieved at the other", "[.postgres]") {
  setup a("postgres");
  setup b("postgres", a.table);  // another process, another folder, the same tables
  test_sockets::server_process one(program(), a.config(), a.log_path()), two(program(), b.config(), b.log_path());
  REQUIRE(one.tcp != 0);
  REQUIRE(two.tcp != 0);
  for (int round = 0; round < 5; ++round) {
    auto at_one = register_kc(one.tcp, false, {mn_abs}, clk.now() + 1h);
    auto at_two = register_kc(two.udp, true, {mn_abs}, clk.now() + 1h);
    REQUIRE(at_one);
    REQUIRE(at_two);
    // Each key is retrieved at the other replica, and is the source's.
    auto r1 = retrieve(two.tcp, false, "mn", mn_cse, 0x20, at_one->id);
    auto r2 = retrieve(one.udp, true, "mn", mn_cse, 0x20, at_two->id);
    REQUIRE(r1);
    REQUIRE(r2);
    CHECK(maf::read_retrieved(*r1, at_one->id)->key() == at_one->key);
    CHECK(maf::read_retrieved(*r2, at_two->id)->key() == at_two->key);
    // MAF-SAEF with a key registered at one replica, the Target fetching at the other.
    if (round == 0) CHECK(saef(*at_one, two.tcp, false));
  }
  // De-registered at one: unknown at the other.
  auto last = register_kc(one.tcp, false, {mn_abs}, clk.now() + 1h);
  REQUIRE(last);
  auto c = connect(one.tcp, false, "alpha", alpha, 0x10);
  REQUIRE(c.handshake());
  REQUIRE(c.call(maf::key_deregistration_request(alpha, "d1", last->id))->code == rsc::deleted);
  CHECK(retrieve(two.tcp, false, "mn", mn_cse, 0x20, last->id)->code == rsc::originator_has_no_privilege);
  CHECK(one.stop() == 0);
  CHECK(two.stop() == 0);
}

TEST_CASE("m2msec-maf on PostgreSQL: SIGKILL during key registrations; nothing acknowledged lost", "[.postgres][crash]") {
  setup s("postgres");
  std::vector<maf::registered_key> acked;
  auto server = std::make_unique<test_sockets::server_process>(program(), s.config(), s.log_path());
  std::mt19937 rng(7);
  for (int i = 0; i < 40; ++i) {
    REQUIRE(server->tcp != 0);
    std::thread killer([&, delay = rng() % 3000, kill = i % 5 == 4] {
      if (!kill) return;
      std::this_thread::sleep_for(std::chrono::microseconds(delay));
      server->stop(SIGKILL);
    });
    auto k = register_kc(server->tcp, false, {mn_abs}, clk.now() + 1h);
    killer.join();
    if (k) acked.push_back(std::move(*k));
    if (!server->running()) server = std::make_unique<test_sockets::server_process>(program(), s.config(), s.log_path());
  }
  CHECK(acked.size() >= 30);
  CHECK(server->stop(SIGKILL) == 128 + SIGKILL);
  auto store = postgres_maf_store::open(std::getenv("M2MSEC_PG"), *hex_decode_secret(hex_key(0x77)), s.table);
  REQUIRE(store);
  int found = 0;
  for (const auto& k : acked) {
    auto rec = store->find_key(k.id.relative(), clk.now());
    if (rec && rec->key == k.key) ++found;
  }
  CHECK(found == static_cast<int>(acked.size()));
}
#endif

namespace {

// One hop-by-hop link (TLS-PSK over a loopback socket pair) from `down` to `up`:
// what a transit CSE sees of the traffic it forwards.
struct hop {
  symmetric_credential cred;
  std::optional<sa::bound<secret>> psk;
  std::unique_ptr<channel> client, server;
  std::pair<fd_guard, fd_guard> fds;

  hop(const entity_id& down, const cse_id& up, std::string_view name, byte b)
      : cred(*symmetric_credential::make(*hex_decode_secret(hex_key(b)),
                                         *credential_id::make(credential_id_type::kpsa_or_kc_id, std::string(name) + "@sp.example.com"),
                                         suid::preprovisioned_saef, down, *validity::make(clk.now() - 1h, clk.now() + 24h))),
        fds(test_sockets::socket_pair(false)) {
    psk.emplace(*sa::bound<secret>::create(*cred.key().clone(), {down, cred.id()}, cred, requested_lifetime::session(1h), {}, clk));
    client = std::move(*channel::psk_client({tls::transport::stream, "hop.sp.example.com"}, cred.id().value(), *psk, clk));
    server = std::move(*channel::psk_server(
        {tls::transport::stream, "hop.sp.example.com"}, up,
        [this](std::string_view, std::string_view) -> result<tls::psk_entry> { return tls::psk_entry{&cred, bound_of(cred.holder())}; },
        requested_lifetime::session(1h), {}, clk));
    REQUIRE(drive<channel>({{client.get(), fds.first.fd}, {server.get(), fds.second.fd}},
                           [&] { return client->active() && server->active(); }));
  }
  // Bytes from one end to the other, as the far end receives them.
  std::string carry(const std::string& bytes, bool upward) {
    channel& from = upward ? *client : *server;
    channel& to = upward ? *server : *client;
    REQUIRE(from.send(as_bytes(bytes)));
    REQUIRE(drive<channel>({{client.get(), fds.first.fd}, {server.get(), fds.second.fd}},
                           [&] { return to.received().size() == bytes.size(); }));
    const auto got = to.received();
    std::string out(reinterpret_cast<const char*>(got.data()), got.size());
    to.consume_received(got.size());
    return out;
  }
};

}  // namespace

TEST_CASE("m2msec-maf: ESPrim between an AE and a CSE through a transit CSE, and ESData for two readers, keys from the MAF",
          "[maf][server][e2e]") {
  setup s;
  test_sockets::server_process maf(program(), s.config(), s.log_path());
  REQUIRE(maf.tcp != 0);
  const cse_id transit = *cse_id::parse("/in-cse");
  const cse_id hosting = std::get<cse_id>(mn_cse);

  // ESPrim: the AE registers Kc for ESPrim (SUID 33) with the Hosting CSE as target;
  // the Hosting CSE retrieves it. Both derive the pairwiseESPrimKey, living as Kc does.
  auto k = register_kc(maf.tcp, false, {mn_abs}, clk.now() + 1h, suid::maf_esprim);
  REQUIRE(k);
  auto r = retrieve(maf.udp, true, "mn", mn_cse, 0x20, k->id);
  REQUIRE(r);
  auto at_receiver = maf::read_retrieved(*r, k->id);
  REQUIRE(at_receiver);
  esprim::receiver rx(hosting);
  auto rx_key = maf::esprim_key(*at_receiver, k->id, mn_cse, "Calpha");
  REQUIRE(rx_key);
  CHECK(rx_key->credential.lifetime() == at_receiver->lifetime());
  CHECK(rx_key->credential.lifetime().not_after() == k->answer.lifetime.not_after());
  REQUIRE(rx.add_pairwise_key(std::move(*rx_key)));
  auto ro = rx.issue_rand_object(30min, true, clk);
  REQUIRE(ro);
  auto own = k->credential(alpha);
  REQUIRE(own);
  auto tx_key = maf::esprim_key(*own, k->id, alpha, "Calpha");
  REQUIRE(tx_key);
  auto orig = esprim::originator::start(*tx_key, alpha, *ro, jose::enc::a256gcm, 30min, clk);
  REQUIRE(orig);
  const std::string request = R"({"op":2,"to":"/mn-cse/meter/la","fr":"Calpha","rqi":"e2e-1","rvi":"4"})";
  auto jwe = orig->protect_request(as_bytes(request), clk);
  REQUIRE(jwe);
  // AE -> transit CSE -> Hosting CSE, hop by hop; the transit sees the JWE only.
  hop ae_to_transit(alpha, transit, "ae-hop", 0x31), transit_to_host(entity_id{transit}, hosting, "cse-hop", 0x32);
  const auto at_transit = ae_to_transit.carry(*jwe, true);
  CHECK(at_transit.find("meter") == std::string::npos);
  CHECK(at_transit.find("Calpha") == std::string::npos);
  const auto at_host = transit_to_host.carry(at_transit, true);
  auto got = rx.unprotect(at_host, clk);
  REQUIRE(got);
  CHECK(got->from == "Calpha");
  CHECK(std::string(got->primitive.begin(), got->primitive.end()) == request);
  auto answer = rx.protect_response(*got, as_bytes(std::string(R"({"rsc":2000,"rqi":"e2e-1","pc":{"m2m:cin":{"con":"21.5"}}})")),
                                    clk);
  REQUIRE(answer);
  const auto back_at_transit = transit_to_host.carry(*answer, false);
  CHECK(back_at_transit.find("21.5") == std::string::npos);
  auto back = orig->unprotect_response(ae_to_transit.carry(back_at_transit, false), clk);
  REQUIRE(back);

  // ESData: the AE registers a Key Value (SUID 34) for two readers; each retrieves
  // it and opens what the AE sealed; a third entity gets no key.
  const auto value = *hex_decode_secret(hex_key(0x5A));
  auto a = connect(maf.tcp, false, "alpha", alpha, 0x10);
  REQUIRE(a.handshake());
  auto reg = a.call(maf::key_registration_request(alpha, "esd-1", suid::maf_esdata_encryption, {mn_abs, other_abs},
                                                  clk.now() + 1h, &value));
  REQUIRE(reg);
  auto esd = maf::read_key_registration(*reg, alpha, maf_fqdn, *value.clone());
  REQUIRE(esd);
  const auto data = *validity::make(clk.now(), clk.now() + 30min);
  auto bind = [&](const secret& key, const symmetric_credential& cred, const entity_id& who) {
    auto jwk = jose::jwk::symmetric(*key.clone(), jose::alg_set{jose::alg::dir}, esd->id.str());
    REQUIRE(jwk);
    auto b = esdata::bind(std::move(*jwk), cred, {who, cred.id()}, data, clk);
    REQUIRE(b);
    return std::move(*b);
  };
  auto source_cred = esd->credential(alpha);
  REQUIRE(source_cred);
  auto sealing = bind(value, *source_cred, alpha);
  esdata::protection how{{{&sealing, jose::alg::dir}}, jose::enc::a256gcm, nullptr, jose::alg::es256,
                         esdata::content_security::jose_compact};
  auto sealed = esdata::protect(as_bytes(std::string(R"({"kWh":17.2})")), "application/json", how, clk);
  REQUIRE(sealed);
  for (auto [name, who, b] : {std::tuple{"mn", mn_cse, byte{0x20}}, std::tuple{"other", other_cse, byte{0x30}}}) {
    INFO(name);
    auto rr = retrieve(maf.tcp, false, name, who, b, esd->id);
    REQUIRE(rr);
    auto cred = maf::read_retrieved(*rr, esd->id);
    REQUIRE(cred);
    auto opening = bind(cred->key(), *cred, who);
    esdata::bound_key* keys[] = {&opening};
    auto opened = esdata::unprotect(sealed->value, sealed->content_info, {keys, {}, true, false, {}}, clk);
    REQUIRE(opened);
    CHECK(std::string(opened->data.begin(), opened->data.end()) == R"({"kWh":17.2})");
  }
  auto third = retrieve(maf.tcp, false, "alpha", alpha, 0x10, esd->id);  // the source is no reader
  REQUIRE(third);
  CHECK(third->code == rsc::originator_has_no_privilege);
  CHECK(maf.stop() == 0);
}

TEST_CASE("m2msec-maf: the certificate MAF Handshake: an AE-ID certificate registers Kc, the Target retrieves it, TLS and DTLS",
          "[maf][server][certificate]") {
  setup s;
  test_sockets::server_process maf(program(), s.config(), s.log_path());
  REQUIRE(maf.tcp_cert != 0);
  REQUIRE(maf.udp_cert != 0);
  trust_anchors anchors;
  REQUIRE(anchors.add(as_bytes(openssl_test::slurp(pki("ca.pem")))));
  const entity_id cert_ae = *ae_id::parse("//sp.example.com/in-cse/Ccert");
  for (bool datagram : {false, true}) {
    INFO((datagram ? "DTLS" : "TLS"));
    auto cred = certificate_credential::verify(*certificate::parse(as_bytes(openssl_test::slurp(pki("enrolee.pem")))),
                                               *expected_name::ae(std::get<ae_id>(cert_ae)), anchors, clk.now(), {},
                                               suid::certificate_maf);
    REQUIRE(cred);
    auto sa = security_association::create({cert_ae, *credential_id::make(credential_id_type::tls_cse_id, "maf.example.com")},
                                           *cred, requested_lifetime::session(1h), {}, clk);
    REQUIRE(sa);
    fd_guard sock = test_sockets::connect_to(datagram ? maf.udp_cert : maf.tcp_cert, datagram);
    auto ch = channel::certificate_client({datagram ? tls::transport::datagram : tls::transport::stream, "maf.example.com",
                                           {}, usage_scope::maf},
                                          {openssl_test::slurp(pki("enrolee.pem")), openssl_test::slurp(pki("enrolee.key"))},
                                          anchors, expected_name::host(maf_fqdn), *sa, clk);
    REQUIRE(ch);
    REQUIRE(drive<channel>({{ch->get(), sock.fd}}, [&] { return (*ch)->active() || (*ch)->closed(); }));
    REQUIRE((*ch)->active());
    auto kc = tls::connection_key(**ch, maf_fqdn);
    REQUIRE(kc);
    mef::http::response_reader reader;
    auto reg = test_sockets::exchange(**ch, sock.fd, reader,
                                      maf::registration_request(cert_ae, "reg-1", *fqdn::parse("cert.example.com"),
                                                                clk.now() + 24h),
                                      "maf.example.com");
    REQUIRE(reg);
    CHECK(reg->code == rsc::created);
    // A certificate client has no assignedSymmKeyID.
    CHECK(std::string(reg->body.data(), reg->body.size()).find("asid") == std::string::npos);
    auto r = test_sockets::exchange(**ch, sock.fd, reader,
                                    maf::key_registration_request(cert_ae, "key-1", suid::maf_saef, {mn_abs}, clk.now() + 1h),
                                    "maf.example.com");
    REQUIRE(r);
    auto k = maf::read_key_registration(*r, cert_ae, maf_fqdn, std::move(kc->key), kc->id);
    REQUIRE(k);
    auto got = retrieve(maf.tcp, false, "mn", mn_cse, 0x20, k->id);
    REQUIRE(got);
    auto at_target = maf::read_retrieved(*got, k->id);
    REQUIRE(at_target);
    CHECK(at_target->key() == k->key);
    CHECK(to_string(at_target->holder()) == "//sp.example.com/in-cse/Ccert");
    // A Km client on the certificate port gets no handshake.
    auto wrong = maf_client(datagram ? maf.udp_cert : maf.tcp_cert, datagram, km("alpha", alpha, 0x10), alpha, "maf.example.com");
    CHECK_FALSE(wrong.handshake(2s));
  }
  CHECK(maf.stop() == 0);
}

TEST_CASE("m2msec-maf: idle, half-open, oversized and garbage clients are cut off; an honest one is served meanwhile",
          "[maf][server]") {
  setup s("memory", {}, "\"handshake_timeout_s\":1,\"idle_timeout_s\":2,\"max_connections\":40,");
  test_sockets::server_process maf(program(), s.config(), s.log_path());
  REQUIRE(maf.tcp != 0);
  // 20 connections that say nothing, 5 that send half a ClientHello.
  std::vector<fd_guard> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(test_sockets::connect_to(maf.tcp, false));
  for (int i = 0; i < 5; ++i) {
    idle.push_back(test_sockets::connect_to(maf.tcp, false));
    const unsigned char half[] = {0x16, 0x03, 0x03, 0x01, 0x00, 0x01, 0x00};
    CHECK(::send(idle.back().fd, half, sizeof half, MSG_NOSIGNAL) == sizeof half);
  }
  // Over its limit, or not HTTP at all: 4000, and the connection closes.
  for (const std::string& bad : {std::string("POST /maf/keyReg HTTP/1.1\r\nHost: m\r\nX-M2M-Origin: /in-cse/Calpha\r\n"
                                            "X-M2M-RI: b\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n"),
                                std::string("\x16\x03\x03 not a request at all\r\n\r\n")}) {
    auto c = connect(maf.tcp, false, "alpha", alpha, 0x10);
    REQUIRE(c.handshake());
    REQUIRE(c.ch->send(as_bytes(bad)));
    std::optional<mef::response> got;
    drive<channel>({{c.ch.get(), c.sock.fd}}, [&] {
      std::size_t used = 0;
      if (auto m = c.reader.read(c.ch->received(), used)) got = m->message;
      c.ch->consume_received(used);
      return c.ch->closed();
    });
    REQUIRE(got);
    CHECK(got->code == rsc::bad_request);
    CHECK(c.ch->closed());
  }
  // Meanwhile an honest source registers a key, at once, and its Target retrieves it.
  const auto t0 = std::chrono::steady_clock::now();
  auto k = register_kc(maf.tcp, false, {mn_abs}, clk.now() + 1h);
  REQUIRE(k);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  REQUIRE(retrieve(maf.udp, true, "mn", mn_cse, 0x20, k->id)->code == rsc::ok);
  // Those that never finished a handshake are closed within the timeouts.
  std::this_thread::sleep_for(2500ms);
  int closed = 0;
  for (auto& f : idle) {
    char b;
    pollfd p{f.fd, POLLIN, 0};
    if (::poll(&p, 1, 1000) == 1 && ::recv(f.fd, &b, 1, 0) <= 0) ++closed;
  }
  CHECK(closed == 25);
  CHECK(maf.stop() == 0);
  const auto log = s.log();
  INFO(log);
  CHECK(log.find("framing error, closed") != std::string::npos);
  CHECK(log.find("timed out") != std::string::npos);
}
