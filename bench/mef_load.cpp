// Load on m2msec-mef over loopback (issue 15): N concurrent clients, each a
// thread with its own TCP connections. Three passes against one server process:
//   handshakes  the raw TLS-PSK MEF handshake (connect, handshake, close): the yardstick
//   enrolments  handshake + the Enrolment Exchange (Ke recorded in the store)
//   fetches     a Target's handshake + fetchCredentials of one of those KeIDs
// Every pass is bounded in count (N x per-client) and time; nothing may be lost:
// each enrolment answered 2001 is fetched back afterwards.
//
// usage: mef_load <m2msec-mef> [clients=200] [per_client=5] [store=sqlite|memory]
#include <filesystem>
#include <fstream>
#include <random>

#include "load_support.hpp"
#include "m2msec/enrolment/mef.hpp"

using namespace load;

namespace {

const fqdn mef_fqdn = *fqdn::parse("mef.example.com");
const entity_id enrolee = *ae_id::parse("/in-cse/Cload");
const entity_id target = *cse_id::parse("/mn-cse");

symmetric_credential kpm(std::string_view name, const entity_id& who, int b) {
  return *symmetric_credential::make(*secret::copy_of(*hex_decode(hex_key(b))),
                                     *credential_id::make(credential_id_type::kpm_id, std::string(name) + "@mef.example.com"),
                                     suid::preprovisioned_mef, who, *validity::make(clk.now() - 1h, clk.now() + 24h));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: mef_load <m2msec-mef> [clients=200] [per_client=5] [store=sqlite|memory]\n");
    return 2;
  }
  const int clients = argc > 2 ? std::atoi(argv[2]) : 200;
  const int per_client = argc > 3 ? std::atoi(argv[3]) : 5;
  const std::string store = argc > 4 ? argv[4] : "sqlite";
  std::random_device rd;
  const auto dir = std::filesystem::temp_directory_path() / ("m2msec-mef-load-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "store.key") << hex_key(0x77) << "\n";
  const auto ts = [](time_point t) { return "\"" + esprim::to_timestamp(t) + "\""; };
  std::ofstream(dir / "mef.json")
      << "{\"fqdn\":\"mef.example.com\",\"listen\":{\"tcp\":\"127.0.0.1:0\"},\"max_connections\":" << clients + 50
      << ",\"store\":{\"kind\":\"" << store << "\",\"path\":\"" << (dir / "mef.db").string() << "\",\"key_file\":\""
      << (dir / "store.key").string() << "\"},\"kpm\":["
      << "{\"id\":\"load@mef.example.com\",\"key\":\"" << hex_key(0x10) << "\",\"holder\":\"/in-cse/Cload\",\"not_before\":"
      << ts(clk.now() - 1h) << ",\"not_after\":" << ts(clk.now() + 24h) << "},"
      << "{\"id\":\"mn@mef.example.com\",\"key\":\"" << hex_key(0x20) << "\",\"holder\":\"/mn-cse\",\"not_before\":"
      << ts(clk.now() - 1h) << ",\"not_after\":" << ts(clk.now() + 24h) << "}],"
      << "\"enrolees\":[{\"id\":\"/in-cse/Cload\",\"targets\":[\"/mn-cse\"],\"expiry\":" << ts(clk.now() + 24h) << "}]}\n";
  int status = 0;
  {
    test_sockets::server_process mef(argv[1], (dir / "mef.json").string(), "/dev/null");
    if (mef.tcp == 0) {
      std::fprintf(stderr, "m2msec-mef did not start\n");
      return 2;
    }
    const auto enrolee_kpm = kpm("load", enrolee, 0x10), target_kpm = kpm("mn", target, 0x20);
    std::printf("m2msec-mef on loopback, store %s: %d concurrent clients x %d each\n", store.c_str(), clients, per_client);

    const auto raw = run(clients, per_client, [&](int, int) {
      return session<tls::mef_handshake>(mef.tcp, "mef.example.com", enrolee_kpm, enrolee,
                                         [](channel&) -> std::optional<mef::request> { return std::nullopt; })
          .ok;
    });
    std::vector<std::vector<mef::enrolment>> made(static_cast<std::size_t>(clients));
    const auto enrolments = run(clients, per_client, [&](int c, int i) {
      std::optional<tls::exported_key<ke_id>> ke;
      auto o = session<tls::mef_handshake>(mef.tcp, "mef.example.com", enrolee_kpm, enrolee,
                                           [&](channel& ch) -> std::optional<mef::request> {
                                             auto k = tls::enrolment_key(ch, mef_fqdn);
                                             if (!k) return std::nullopt;
                                             ke = std::move(*k);
                                             return mef::enrolment_request(enrolee, "load-" + std::to_string(c) + "-" +
                                                                                        std::to_string(i));
                                           });
      if (!o.ok || !o.response || !ke) return false;
      auto e = mef::read_enrolment(*o.response, std::move(*ke), enrolee);
      if (!e) return false;
      made[static_cast<std::size_t>(c)].push_back(std::move(*e));
      return true;
    });
    // Every enrolment answered is fetched back, with the key the Enrolee derives.
    const auto fetches = run(clients, per_client, [&](int c, int i) {
      const auto& mine = made[static_cast<std::size_t>(c)];
      if (static_cast<std::size_t>(i) >= mine.size()) return false;
      const auto& e = mine[static_cast<std::size_t>(i)];
      auto o = session<tls::mef_handshake>(mef.tcp, "mef.example.com", target_kpm, target,
                                           [&](channel&) -> std::optional<mef::request> {
                                             return mef::fetch_request(target, "fetch-" + std::to_string(c) + "-" +
                                                                                   std::to_string(i),
                                                                       e.answer.id, suid::rspf_saef);
                                           });
      if (!o.ok || !o.response) return false;
      auto k = mef::read_released(*o.response, e.answer.id, suid::rspf_saef);
      return k && k->key() == e.key_for(suid::rspf_saef, target, enrolee)->key();
    });
    print("handshakes", raw);
    print("enrolments", enrolments);
    print("fetches", fetches);
    const double ratio = raw.rate() > 0 ? enrolments.rate() / raw.rate() : 0;
    std::printf("enrolment rate / handshake rate = %.2f (target >= 0.50)\n", ratio);
    const std::size_t total = static_cast<std::size_t>(clients) * static_cast<std::size_t>(per_client);
    if (raw.done != total || enrolments.done != total || fetches.done != total) {
      std::printf("LOST: not every operation completed\n");
      status = 1;
    }
    mef.stop();
  }
  std::filesystem::remove_all(dir);
  return status;
}
