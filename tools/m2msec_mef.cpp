// m2msec-mef: an M2M Enrolment Function (TS-0003 §8.3.2.1) on TCP (TLS 1.2) and
// UDP (DTLS 1.2), a thin program over enrolment/mef.hpp. One JSON file configures
// it (see docs/mef.md); it logs every handshake and request with the identities
// involved, never a key, and stops cleanly on SIGTERM.
//
// usage: m2msec-mef <config.json>
// On start it prints "listening tcp <addr>:<port>" and "listening udp <addr>:<port>"
// on stdout, one line each. Exit codes: 0 stopped by a signal, 1 bad configuration,
// 2 a store or socket that cannot be opened.
#include "function_daemon.hpp"
#include "m2msec/enrolment/sqlite_mef_store.hpp"
#if M2MSEC_WITH_POSTGRES
#include "m2msec/enrolment/postgres_mef_store.hpp"
#endif

using namespace m2msec;
using namespace m2msec::tools;

namespace {

template <class Store>
void configure(mef::server<Store>& m, const json& cfg) {
  for (const auto& k : cfg.value("kpm", json::array())) {
    auto [cred, who] = symmetric_key(k, credential_id_type::kpm_id, suid::preprovisioned_mef, "kpm");
    const std::string id(cred.id().value());
    if (auto r = m.add_kpm(std::move(cred), std::move(who)); !r) bad_config("kpm " + id + ": " + std::string(to_string(r.error())));
  }
  // TS-0003 §10.1.2: Enrolees by raw public key, on the certificate listeners.
  for (const auto& k : cfg.value("raw_keys", json::array())) {
    const auto path = str(k, "public_key");
    const auto text = file_text(path, "raw_keys " + path);
    const auto holder = need(mef::parse_entity(str(k, "holder")), "raw_keys " + path + " holder");
    auto key = need(raw_public_key::parse(as_bytes(text),
                                          need(validity::make(timestamp(k, "not_before"), timestamp(k, "not_after")),
                                               "raw_keys " + path + " lifetime"),
                                          suid::certificate_mef),
                    "raw_keys " + path);
    if (auto r = m.add_raw_key(std::move(key), bound_of(holder)); !r)
      bad_config("raw_keys " + path + ": " + std::string(to_string(r.error())));
  }
  for (const auto& e : cfg.value("enrolees", json::array())) {
    const auto who = need(mef::parse_entity(str(e, "id")), "enrolee id");
    mef::enrolee_profile p;
    for (const auto& t : e.at("targets")) p.targets.push_back(need(mef::parse_entity(str(t)), "target"));
    p.expiry = timestamp(e, "expiry");
    if (e.contains("certificate_uri")) p.certificate_uri = str(e, "certificate_uri");
    if (e.contains("management_uri")) p.management_uri = str(e, "management_uri");
    if (e.contains("node")) p.node = need(node_id::parse(str(e, "node")), "enrolee node");
    if (e.contains("maf")) {
      const auto& j = e["maf"];
      p.maf = mef::maf_instruction{suid::rspf_maf, str(j, "key_registration_uri"),
                                   str(j, "key_retrieval_uri"), str(j, "client_registration_uri", ""),
                                   std::nullopt, std::nullopt};
      if (j.contains("lifetime_s")) p.maf->lifetime = std::chrono::seconds(j["lifetime_s"].get<std::uint32_t>());
    }
    m.instruct(who, std::move(p));
  }
}

template <class Store>
int serve(Store& store, const json& cfg) {
  typename mef::server<Store>::config c{need(fqdn::parse(str(cfg, "fqdn")), "fqdn")};
  if (cfg.contains("ke_lifetime_s")) c.ke_lifetime = std::chrono::seconds(cfg["ke_lifetime_s"].get<std::uint32_t>());
  static const system_clock clk{};
  mef::server<Store> m(std::move(c), store, clk);
  configure(m, cfg);
  // TS-0001 §11.2.1: the M2M Service Subscriptions whose Nodes may enrol.
  subscription_registry subscriptions;
  for (const auto& j : cfg.value("subscriptions", json::array())) {
    service_subscription sub(need(sub_id::parse(str(j, "id")), "subscription id"));
    for (const auto& n : j.value("nodes", json::array())) sub.enrol(need(node_id::parse(str(n)), "node"));
    subscriptions.add(std::move(sub));
  }
  m.authorize_against(subscriptions);
  const auto s = read_settings(cfg);
  return run(m, s, [&m, &s](tls::transport kind, bool certificate) -> std::unique_ptr<channel> {
    // TS-0003 §8.3.2.1 (Kpm) or §8.3.2.2 (certificates: the MEF's FQDN certificate;
    // an Enrolee's raw key the MEF was given, or its AE-ID certificate, accepted
    // when the MEF has its profile).
    const channel::options o{kind, m.settings().domain.str(), {}, usage_scope::mef};
    const auto session = requested_lifetime::session(std::chrono::minutes(10));
    static const system_clock clk{};
    auto c = certificate ? channel::certificate_server(o, m.settings().domain, *s.own, *s.anchors, m.enrolees(), session, {}, clk)
                         : channel::psk_server(o, m.settings().domain, m.resolver(), session, {}, clk);
    if (!c) log("cannot make a channel: " + std::string(to_string(c.error())));
    return c ? std::move(*c) : nullptr;
  });
}

}  // namespace

int main(int argc, char** argv) {
  tools::program = "m2msec-mef";
  if (argc != 2 || std::string_view(argv[1]) == "--help") {
    std::fprintf(stderr, "usage: m2msec-mef <config.json>\n");
    return argc == 2 ? 0 : 1;
  }
  const auto text = secret_file(argv[1], "config");
  json cfg;
  try {
    cfg = json::parse(text_of(text));
    const auto store = cfg.value("store", json::object());
    const auto kind = str(store, "kind", "memory");
    if (kind == "memory") {
      memory_mef_store s;
      return serve(s, cfg);
    }
    const auto key = store_key(store);
#if M2MSEC_WITH_POSTGRES
    if (kind == "postgres") {
      auto s = opened(postgres_mef_store::open(str(store, "conninfo"), key,
                                              str(store, "table", "m2msec_enrolment")));
      return serve(s, cfg);
    }
#endif
    if (kind != "sqlite") bad_config("store.kind is memory, sqlite or (built with libpq) postgres");
    auto s = opened(sqlite_mef_store::open(str(store, "path"), key));
    return serve(s, cfg);
  } catch (const json::exception& e) {
    bad_config(e.what());
  }
}
