// Provisioning a Node through an MEF (TS-0003 §8.3.2.1), against a running
// m2msec-mef: the Node's AE enrols with its pre-provisioned Kpm and keeps the key
// it derives for its Registrar in a credential store; the Registrar (the
// Enrolment Target) fetches the same key from the MEF when the AE presents its
// KeID; the two then run PSK-SAEF and the AE sends one request.
//
//   build/tools/m2msec-mef examples/mef/mef.json &
//   build/examples/mef_node examples/mef/node.json
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "m2msec/channel/socket_pump.hpp"
#include "m2msec/credential/store.hpp"
#include "m2msec/enrolment/blocking_client.hpp"
#include "m2msec/enrolment/mef.hpp"

#include <sys/socket.h>
#include <unistd.h>

using namespace m2msec;
using namespace std::chrono_literals;
using channel = tls::channel<>;
// The file holds keys: read straight into a secret, parsed into wiped strings.
using json = jose::secret_json;

namespace {

const system_clock clk{};

int fail_with(const char* what, errc e) {
  std::fprintf(stderr, "mef_node: %s: %s\n", what, std::string(to_string(e)).c_str());
  return 1;
}

std::string text(const json& j, const char* name) { return std::string(j.at(name).get_ref<const json::string_t&>()); }
result<secret> key(const json& j, const char* name) {
  return hex_decode_secret(std::string_view(j.at(name).get_ref<const json::string_t&>()));
}

// A pre-provisioned Kpm (SUID 10) from the configuration.
result<symmetric_credential> kpm_of(const json& j, const entity_id& holder) {
  auto k = key(j, "kpm_key");
  auto id = credential_id::make(credential_id_type::kpm_id, text(j, "kpm_id"));
  if (!k || !id) return fail(errc::invalid_argument);
  return symmetric_credential::make(std::move(*k), std::move(*id), suid::preprovisioned_mef, holder,
                                    *validity::make(clk.now() - 1h, clk.now() + 24h));
}

// One MEF connection: the MEF handshake with `kpm`, then `ask` answered. Ke/KeID
// of the handshake go to `ke` when asked for.
result<mef::response> ask_mef(const json& cfg, const symmetric_credential& kpm, const entity_id& self,
                              const std::function<mef::request()>& ask,
                              std::optional<tls::exported_key<ke_id>>* ke = nullptr) {
  const auto mef_fqdn = fqdn::parse(text(cfg.at("mef"), "fqdn"));
  auto psk = sa::bound<secret>::create(*kpm.key().clone(), {self, kpm.id()}, kpm, requested_lifetime::session(10min), {}, clk);
  if (!mef_fqdn || !psk) return fail(errc::invalid_argument);
  auto sock = mef::tcp_socket::connect(text(cfg.at("mef"), "host"), cfg.at("mef").at("port").get<unsigned short>());
  if (!sock) return fail(sock.error());
  auto ch = tls::connect<tls::mef_handshake>({tls::transport::stream, mef_fqdn->str()}, *kpm_id::parse(kpm.id().value()),
                                             *psk, clk);
  if (!ch) return fail(ch.error());
  auto& c = **ch;
  if (!mef::handshake(c, sock->fd())) return fail(c.error().value_or(errc::auth_failed));
  if (ke) *ke = *tls::enrolment_key(c, *mef_fqdn);
  auto got = mef::call(c, sock->fd(), ask(), mef_fqdn->str());
  c.close();
  (void)tls::flush(c, sock->fd());
  return got;
}

int run(const json& cfg) {
  const entity_id node = *mef::parse_entity(text(cfg.at("enrolee"), "id"));
  const entity_id registrar = *mef::parse_entity(text(cfg.at("target"), "id"));
  const auto mef_fqdn = *fqdn::parse(text(cfg.at("mef"), "fqdn"));

  // 1. The Node's AE enrols: MEF handshake with its Kpm, Ke and KeID from the exporter.
  auto node_kpm = kpm_of(cfg.at("enrolee"), node);
  if (!node_kpm) return fail_with("enrolee kpm", node_kpm.error());
  std::optional<tls::exported_key<ke_id>> ke;
  auto answer = ask_mef(cfg, *node_kpm, node, [&] { return mef::enrolment_request(node, "enrol-1"); }, &ke);
  if (!answer) return fail_with("enrolment", answer.error());
  auto enrolled = mef::read_enrolment(*answer, std::move(*ke), node);
  if (!enrolled) return fail_with("enrolment answer", enrolled.error());
  std::printf("enrolled %s: KeID %s until %s\n", to_string(node).c_str(), enrolled->answer.id.str().c_str(),
              esprim::to_timestamp(enrolled->answer.lifetime.not_after()).c_str());

  // Its key for the Registrar (SUID 22), kept in its credential store.
  auto saef = enrolled->key_for(suid::rspf_saef, registrar, node);
  if (!saef) return fail_with("derived key", saef.error());
  auto store_key = key(cfg.at("credential_store"), "key");
  if (!store_key) return fail_with("credential store key", store_key.error());
  auto store = credential_store::open(text(cfg.at("credential_store"), "path"), std::move(*store_key), clk.now());
  if (!store) return fail_with("credential store", store.error());
  if (auto put = store->put(*saef->clone()); !put) return fail_with("credential store", put.error());
  std::printf("stored %s (SUID 22) until %s\n", saef->id().str().c_str(),
              esprim::to_timestamp(saef->lifetime().not_after()).c_str());

  // 2. The Registrar: identities naming the MEF are fetched there (fetchCredentials).
  auto registrar_kpm = kpm_of(cfg.at("target"), registrar);
  if (!registrar_kpm) return fail_with("target kpm", registrar_kpm.error());
  std::map<std::string, symmetric_credential> fetched;
  tls::psk_router router([](std::string_view, std::string_view) -> result<tls::psk_entry> { return fail(errc::not_found); });
  router.route(mef_fqdn, [&](std::string_view identity, std::string_view) -> result<tls::psk_entry> {
    auto id = ke_id::parse(identity);
    if (!id) return fail(errc::not_found);
    auto r = ask_mef(cfg, *registrar_kpm, registrar,
                     [&] { return mef::fetch_request(registrar, "fetch-1", *id, suid::rspf_saef); });
    if (!r) return fail(r.error());
    auto cred = mef::read_released(*r, *id, suid::rspf_saef);
    if (!cred) return fail(cred.error());
    std::printf("the Registrar fetched the key of %s for %s\n", id->str().c_str(), to_string(cred->holder()).c_str());
    const auto* ae = std::get_if<ae_id>(&cred->holder());
    if (ae == nullptr) return fail(errc::not_authorized);
    const ae_id peer = *ae;
    auto& held = fetched.insert_or_assign(id->str(), std::move(*cred)).first->second;
    return tls::psk_entry{&held, peer};
  });

  // 3. PSK-SAEF between them over loopback, psk_identity = KeID, and one request.
  const auto* kept = store->find(saef->id());
  auto psk = sa::bound<secret>::create(*kept->key().clone(), {node, *cse_id::parse(to_string(registrar))}, *kept,
                                       requested_lifetime::session(24h), {}, clk);
  if (!psk) return fail_with("association", psk.error());
  const std::string sni = text(cfg.at("target"), "sni");
  auto ae_side = channel::psk_client({tls::transport::stream, sni}, enrolled->answer.id.str(), *psk, clk);
  auto cse_side = channel::psk_server({tls::transport::stream, sni}, registrar, router.resolver(),
                                      requested_lifetime::session(24h), {}, clk);
  if (!ae_side || !cse_side) return fail_with("channel", (ae_side ? cse_side.error() : ae_side.error()));
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return fail_with("socketpair", errc::io_error);
  auto& a = **ae_side;
  auto& b = **cse_side;
  if (!tls::pump_until<channel>({{&a, sv[0]}, {&b, sv[1]}}, [&] { return (a.active() && b.active()) || a.closed() || b.closed(); }) ||
      !a.active() || !b.active())
    return fail_with("PSK-SAEF", b.error().value_or(a.error().value_or(errc::auth_failed)));
  const auto* sa = b.association();
  std::printf("PSK-SAEF up: the Registrar bound the association to %s until %s\n", to_string(sa->who().peer).c_str(),
              esprim::to_timestamp(sa->lifetime().not_after()).c_str());
  const std::string request = "RETRIEVE /mn-cse From: Cnode1";
  if (!a.send(as_bytes(request)) ||
      !tls::pump_until<channel>({{&a, sv[0]}, {&b, sv[1]}}, [&] { return b.received().size() == request.size(); }))
    return fail_with("request", errc::io_error);
  std::printf("the Registrar got \"%s\": From Cnode1 gives %u\n", request.c_str(),
              static_cast<unsigned>(b.check_originator("Cnode1")));
  ::close(sv[0]);
  ::close(sv[1]);
  return b.check_originator("Cnode1") == rsc::ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: mef_node <node.json>\n");
    return 2;
  }
  const auto file = read_secret_file(argv[1]);
  if (!file) return fail_with(argv[1], file.error());
  const auto cfg = jose::parse_strict<json>({reinterpret_cast<const char*>(file->expose().data()), file->size()},
                                            file->size(), 8);
  if (!cfg) return fail_with(argv[1], cfg.error());
  try {
    return run(*cfg);
  } catch (const json::exception& e) {
    std::fprintf(stderr, "mef_node: %s: %s\n", argv[1], e.what());
    return 2;
  }
}
