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
#include "m2msec/enrolment/blocking_client.hpp"
#include "m2msec/enrolment/sqlite_maf_store.hpp"
#if M2MSEC_WITH_POSTGRES
#include "m2msec/enrolment/postgres_maf_store.hpp"
#endif

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

// TS-0003 §8.8.2.3 (remote case), §8.3.4.3: a client provisioned by the MEF
// presents its KeID as KmID; the MAF, an Enrolment Target, fetches the SUID 21
// key from the MEF over its own MEF handshake (Kpm). The fetch blocks the daemon
// for its round trip (at most 5 s); fetched keys are kept until they expire.
class mef_fetcher {
 public:
  mef_fetcher(const json& j, fqdn self) : self_(std::move(self)) {
    const auto where = str(j, "address");
    const auto colon = where.rfind(':');
    if (colon == std::string::npos) bad_config("mef.address is not address:port");
    host_ = where.substr(0, colon);
    port_ = static_cast<unsigned short>(std::stoul(where.substr(colon + 1)));
    mef_ = need(fqdn::parse(str(j, "fqdn")), "mef.fqdn");
    auto [kpm, who] = symmetric_key(j.at("kpm"), credential_id_type::kpm_id, suid::preprovisioned_mef, "mef.kpm");
    if (!std::holds_alternative<fqdn>(kpm.holder())) bad_config("mef.kpm: its holder is this MAF's FQDN");
    kpm_.emplace(std::move(kpm));
  }
  [[nodiscard]] const fqdn& mef() const noexcept { return mef_; }

  result<tls::psk_entry> operator()(std::string_view identity, std::string_view) {
    static const system_clock clk{};
    const auto now = clk.now();
    std::erase_if(fetched_, [&](const auto& kv) { return now > kv.second.lifetime().not_after(); });
    auto id = ke_id::parse(identity);
    if (!id) return fail(errc::not_found);
    auto psk = sa::bound<secret>::create(*kpm_->key().clone(), {entity_id{self_}, kpm_->id()}, *kpm_,
                                         requested_lifetime::session(std::chrono::minutes(1)), {}, clk);
    auto sock = mef::tcp_socket::connect(host_, port_);
    if (!psk || !sock) return fail(errc::not_found);
    auto ch = tls::connect<tls::mef_handshake>({tls::transport::stream, mef_.str()}, *kpm_id::parse(kpm_->id().value()),
                                               *psk, clk);
    if (!ch || !mef::handshake(**ch, sock->fd(), std::chrono::seconds(5))) {
      log("mef: no handshake with " + host_ + ":" + std::to_string(port_));
      return fail(errc::not_found);
    }
    auto r = mef::call(**ch, sock->fd(), mef::fetch_request(entity_id{self_}, "maf-" + id->relative(), *id, suid::rspf_maf),
                       mef_.str(), std::chrono::seconds(5));
    (**ch).close();
    (void)tls::flush(**ch, sock->fd());
    if (!r) return fail(errc::not_found);
    auto cred = mef::read_released(*r, *id, suid::rspf_maf);
    log("mef: fetched " + id->str() + " rsc=" + std::to_string(static_cast<unsigned>(r->code)) +
        (cred ? " for " + to_string(cred->holder()) : std::string()));
    if (!cred) return fail(errc::not_found);
    const auto holder = cred->holder();
    if (!std::holds_alternative<cse_id>(holder) && !std::holds_alternative<ae_id>(holder)) return fail(errc::not_found);
    auto& kept = fetched_.insert_or_assign(id->str(), std::move(*cred)).first->second;
    return tls::psk_entry{&kept, bound_of(holder)};
  }

 private:
  fqdn self_, mef_ = *fqdn::parse("mef.invalid");
  std::string host_;
  unsigned short port_ = 0;
  std::optional<symmetric_credential> kpm_;
  std::map<std::string, symmetric_credential> fetched_;
};

template <class Store>
int serve(Store& store, const json& cfg) {
  typename maf::server<Store>::config c{need(fqdn::parse(str(cfg, "fqdn")), "fqdn"), need(sp_id::parse(str(cfg, "sp")), "sp")};
  if (cfg.contains("max_key_lifetime_s"))
    c.max_key_lifetime = std::chrono::seconds(cfg["max_key_lifetime_s"].get<std::uint32_t>());
  static const system_clock clk{};
  maf::server<Store> m(std::move(c), store, clk);
  configure(m, cfg);
  const auto s = read_settings(cfg);
  // KmIDs the MAF holds; KeIDs of its MEF, fetched there.
  tls::psk_router router(m.resolver(), tls::router_limits{});
  std::optional<mef_fetcher> fetcher;
  if (cfg.contains("mef")) {
    fetcher.emplace(cfg["mef"], m.settings().domain);
    router.route(fetcher->mef(), [&fetcher](std::string_view identity, std::string_view sni) { return (*fetcher)(identity, sni); });
  }
  return run(m, s, [&m, &s, &router](tls::transport kind, bool certificate) -> std::unique_ptr<channel> {
    // TS-0003 §8.8.2.2: the MAF Handshake, psk_identity = KmID and psk = Km; or
    // certificates: the MAF's FQDN certificate, a client's AE-ID certificate that
    // chains to the anchors (decisions: "The Mmaf resources").
    const channel::options o{kind, m.settings().domain.str(), {}, usage_scope::maf};
    const auto session = requested_lifetime::session(std::chrono::minutes(10));
    auto ch = certificate
                  ? channel::certificate_server(o, m.settings().domain, *s.own, *s.anchors,
                                                tls::registered_ae([](const ae_id& a) { return a.is_absolute(); }), session,
                                                {}, clk)
                  : channel::psk_server(o, m.settings().domain, router.resolver(), session, {}, clk);
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
    const auto store = cfg.value("store", json::object());
    const auto kind = str(store, "kind", "memory");
    if (kind == "memory") {
      memory_maf_store s;
      return serve(s, cfg);
    }
#if M2MSEC_WITH_POSTGRES
    if (kind == "postgres") {
      auto s = opened(postgres_maf_store::open(str(store, "conninfo"), store_key(store), str(store, "table", "m2msec_maf_key")));
      return serve(s, cfg);
    }
#endif
    if (kind != "sqlite") bad_config("store.kind is memory, sqlite or (built with libpq) postgres");
    auto s = opened(sqlite_maf_store::open(str(store, "path"), store_key(store)));
    return serve(s, cfg);
  } catch (const json::exception& e) {
    bad_config(e.what());
  }
}
