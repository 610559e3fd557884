// m2msec-maf: an M2M Authentication Function (TS-0003 §8.8) on TCP (TLS 1.2) and
// UDP (DTLS 1.2), a thin program over enrolment/maf.hpp. One JSON file configures
// it (see docs/maf.md); it logs every handshake and request with the identities
// involved, never a key, and stops cleanly on SIGTERM.
//
// usage: m2msec-maf <config.json>
// On start it prints "listening tcp <addr>:<port>" and "listening udp <addr>:<port>"
// on stdout, one line each, then "ready". Exit codes: 0 stopped by a signal, 1 bad
// configuration, 2 a store or socket that cannot be opened.
#include "function_daemon.hpp"

using namespace m2msec;
using namespace m2msec::tools;

namespace {

template <class Store>
void configure(maf::server<Store>& m, const json& cfg) {
  // TS-0003 §8.8.2.2: the clients' pre-provisioned Km (SUID 11).
  for (const auto& k : cfg.value("km", json::array())) {
    auto [cred, who] = symmetric_key(k, credential_id_type::km_id, suid::preprovisioned_maf, "km");
    const std::string id(cred.id().value());
    if (auto r = m.add_km(std::move(cred), std::move(who)); !r) bad_config("km " + id + ": " + std::string(to_string(r.error())));
  }
}

template <class Store>
int serve(Store& store, const json& cfg) {
  typename maf::server<Store>::config c{need(fqdn::parse(str(cfg, "fqdn")), "fqdn"), need(sp_id::parse(str(cfg, "sp")), "sp")};
  if (cfg.contains("max_key_lifetime_s"))
    c.max_key_lifetime = std::chrono::seconds(cfg["max_key_lifetime_s"].get<std::uint32_t>());
  static const system_clock clk{};
  maf::server<Store> m(std::move(c), store, clk);
  configure(m, cfg);
  const auto s = read_settings(cfg);
  if (!s.tcp_cert.empty() || !s.udp_cert.empty()) bad_config("listen: the certificate MAF handshake is not served yet");
  return run(m, s, [&m](tls::transport kind, bool) -> std::unique_ptr<channel> {
    // TS-0003 §8.8.2.2: the MAF Handshake, psk_identity = KmID, psk = Km.
    const channel::options o{kind, m.settings().domain.str(), {}, usage_scope::maf};
    auto ch = channel::psk_server(o, m.settings().domain, m.resolver(), requested_lifetime::session(std::chrono::minutes(10)),
                                  {}, clk);
    if (!ch) log("cannot make a channel: " + std::string(to_string(ch.error())));
    return ch ? std::move(*ch) : nullptr;
  });
}

}  // namespace

int main(int argc, char** argv) {
  tools::program = "m2msec-maf";
  if (argc != 2 || std::string_view(argv[1]) == "--help") {
    std::fprintf(stderr, "usage: m2msec-maf <config.json>\n");
    return argc == 2 ? 0 : 1;
  }
  const auto text = secret_file(argv[1], "config");
  try {
    const auto cfg = json::parse(text_of(text));
    const auto kind = str(cfg.value("store", json::object()), "kind", "memory");
    if (kind != "memory") bad_config("store.kind: the MAF keeps its state in memory only, so far");
    memory_maf_store store;
    return serve(store, cfg);
  } catch (const json::exception& e) {
    bad_config(e.what());
  }
}
