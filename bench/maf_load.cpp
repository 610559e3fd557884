// Load on m2msec-maf over loopback (issue 16): N concurrent clients, each a thread
// with its own TCP connections. Three passes against one server process:
//   handshakes     the raw TLS-PSK MAF Handshake (connect, handshake, close): the yardstick
//   registrations  a source's handshake + Key Registration of its Kc for one Target
//   retrievals     the Target's handshake + Key Retrieval of one of those keys
// Every pass is bounded in count (N x per-client) and time; nothing may be lost:
// each key registered (2001) is retrieved afterwards, and is the source's Kc.
//
// usage: maf_load <m2msec-maf> [clients=200] [per_client=5] [store=sqlite|memory]
#include <filesystem>
#include <fstream>
#include <random>

#include "load_support.hpp"
#include "m2msec/enrolment/maf.hpp"

using namespace load;

namespace {

const fqdn maf_fqdn = *fqdn::parse("maf.example.com");
const entity_id source = *ae_id::parse("/in-cse/Cload");
const entity_id target = *cse_id::parse("/mn-cse");
const entity_id target_abs = *cse_id::parse("//sp.example.com/mn-cse");

symmetric_credential km(std::string_view name, const entity_id& who, int b) {
  return *symmetric_credential::make(*secret::copy_of(*hex_decode(hex_key(b))),
                                     *credential_id::make(credential_id_type::km_id, std::string(name) + "@maf.example.com"),
                                     suid::preprovisioned_maf, who, *validity::make(clk.now() - 1h, clk.now() + 24h));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: maf_load <m2msec-maf> [clients=200] [per_client=5] [store=sqlite|memory]\n");
    return 2;
  }
  const int clients = argc > 2 ? std::atoi(argv[2]) : 200;
  const int per_client = argc > 3 ? std::atoi(argv[3]) : 5;
  const std::string store = argc > 4 ? argv[4] : "sqlite";
  std::random_device rd;
  const auto dir = std::filesystem::temp_directory_path() / ("m2msec-maf-load-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "store.key") << hex_key(0x77) << "\n";
  const auto ts = [](time_point t) { return "\"" + esprim::to_timestamp(t) + "\""; };
  std::ofstream(dir / "maf.json")
      << "{\"fqdn\":\"maf.example.com\",\"sp\":\"//sp.example.com\",\"listen\":{\"tcp\":\"127.0.0.1:0\"},"
      << "\"max_connections\":" << clients + 50 << ",\"store\":{\"kind\":\"" << store << "\",\"path\":\""
      << (dir / "maf.db").string() << "\",\"key_file\":\"" << (dir / "store.key").string() << "\"},\"km\":["
      << "{\"id\":\"load@maf.example.com\",\"key\":\"" << hex_key(0x10) << "\",\"holder\":\"/in-cse/Cload\",\"not_before\":"
      << ts(clk.now() - 1h) << ",\"not_after\":" << ts(clk.now() + 24h) << "},"
      << "{\"id\":\"mn@maf.example.com\",\"key\":\"" << hex_key(0x20) << "\",\"holder\":\"/mn-cse\",\"not_before\":"
      << ts(clk.now() - 1h) << ",\"not_after\":" << ts(clk.now() + 24h) << "}]}\n";
  int status = 0;
  {
    test_sockets::server_process maf(argv[1], (dir / "maf.json").string(), "/dev/null");
    if (maf.tcp == 0) {
      std::fprintf(stderr, "m2msec-maf did not start\n");
      return 2;
    }
    const auto source_km = km("load", source, 0x10), target_km = km("mn", target, 0x20);
    std::printf("m2msec-maf on loopback, store %s: %d concurrent clients x %d each\n", store.c_str(), clients, per_client);
    // The source's MAF Client Registration, once.
    auto reg = session<tls::maf_handshake>(maf.tcp, "maf.example.com", source_km, source, [](channel&) -> std::optional<mef::request> {
      return maf::registration_request(source, "reg", *fqdn::parse("load.example.com"), clk.now() + 24h);
    });
    if (!reg.ok || !reg.response || reg.response->code != rsc::created) {
      std::fprintf(stderr, "the source could not register\n");
      return 2;
    }
    const auto raw = run(clients, per_client, [&](int, int) {
      return session<tls::maf_handshake>(maf.tcp, "maf.example.com", source_km, source,
                                         [](channel&) -> std::optional<mef::request> { return std::nullopt; })
          .ok;
    });
    std::vector<std::vector<maf::registered_key>> made(static_cast<std::size_t>(clients));
    const auto registrations = run(clients, per_client, [&](int c, int i) {
      std::optional<tls::exported_key<kc_id>> kc;
      auto o = session<tls::maf_handshake>(maf.tcp, "maf.example.com", source_km, source,
                                           [&](channel& ch) -> std::optional<mef::request> {
                                             auto k = tls::connection_key(ch, maf_fqdn);
                                             if (!k) return std::nullopt;
                                             kc = std::move(*k);
                                             return maf::key_registration_request(
                                                 source, "key-" + std::to_string(c) + "-" + std::to_string(i),
                                                 suid::maf_saef, {target_abs}, clk.now() + 1h);
                                           });
      if (!o.ok || !o.response || !kc) return false;
      auto k = maf::read_key_registration(*o.response, source, maf_fqdn, std::move(kc->key), kc->id);
      if (!k) return false;
      made[static_cast<std::size_t>(c)].push_back(std::move(*k));
      return true;
    });
    // Every key registered is retrieved by its Target, and is the source's Kc.
    const auto retrievals = run(clients, per_client, [&](int c, int i) {
      const auto& mine = made[static_cast<std::size_t>(c)];
      if (static_cast<std::size_t>(i) >= mine.size()) return false;
      const auto& k = mine[static_cast<std::size_t>(i)];
      auto o = session<tls::maf_handshake>(maf.tcp, "maf.example.com", target_km, target,
                                           [&](channel&) -> std::optional<mef::request> {
                                             return maf::key_retrieval_request(
                                                 target, "ret-" + std::to_string(c) + "-" + std::to_string(i), k.id);
                                           });
      if (!o.ok || !o.response) return false;
      auto got = maf::read_retrieved(*o.response, k.id);
      return got && got->key() == k.key;
    });
    print("handshakes", raw);
    print("registrations", registrations);
    print("retrievals", retrievals);
    const double ratio = raw.rate() > 0 ? registrations.rate() / raw.rate() : 0;
    std::printf("registration rate / handshake rate = %.2f, retrieval rate / handshake rate = %.2f\n", ratio,
                raw.rate() > 0 ? retrievals.rate() / raw.rate() : 0);
    const std::size_t total = static_cast<std::size_t>(clients) * static_cast<std::size_t>(per_client);
    if (raw.done != total || registrations.done != total || retrievals.done != total) {
      std::printf("LOST: not every operation completed\n");
      status = 1;
    }
    maf.stop();
  }
  std::filesystem::remove_all(dir);
  return status;
}
