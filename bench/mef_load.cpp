// Load on m2msec-mef over loopback (issue 15): N concurrent clients, each a
// thread with its own TCP connections. Three passes against one server process:
//   handshakes  the raw TLS-PSK MEF handshake (connect, handshake, close): the yardstick
//   enrolments  handshake + the Enrolment Exchange (Ke recorded in the store)
//   fetches     a Target's handshake + fetchCredentials of one of those KeIDs
// Every pass is bounded in count (N x per-client) and time; nothing may be lost:
// each enrolment answered 2001 is fetched back afterwards.
//
// usage: mef_load <m2msec-mef> [clients=200] [per_client=5] [store=sqlite|memory]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "../tests/enrolment/sockets.hpp"
#include "m2msec/enrolment/http_binding.hpp"
#include "m2msec/enrolment/mef.hpp"

using namespace m2msec;
using namespace std::chrono_literals;
using channel = tls::channel<>;
using steady = std::chrono::steady_clock;

namespace {

const system_clock clk{};
const fqdn mef_fqdn = *fqdn::parse("mef.example.com");
const entity_id enrolee = *ae_id::parse("/in-cse/Cload");
const entity_id target = *cse_id::parse("/mn-cse");

std::string hex_key(int b) {
  std::string s;
  char buf[3];
  for (int i = 0; i < 32; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", (b + i) & 0xFF);
    s += buf;
  }
  return s;
}
symmetric_credential kpm(std::string_view name, const entity_id& who, int b) {
  return *symmetric_credential::make(*secret::copy_of(*hex_decode(hex_key(b))),
                                     *credential_id::make(credential_id_type::kpm_id, std::string(name) + "@mef.example.com"),
                                     suid::preprovisioned_mef, who, *validity::make(clk.now() - 1h, clk.now() + 24h));
}

// One connection: handshake, then optionally one request. The response, if asked.
struct outcome {
  bool ok = false;
  std::optional<mef::response> response;
  std::optional<tls::exported_key<ke_id>> ke;
};
outcome session(unsigned short port, const symmetric_credential& cred, const entity_id& self,
                const std::function<std::optional<mef::request>(const tls::exported_key<ke_id>&)>& make) {
  outcome out;
  auto psk = sa::bound<secret>::create(*cred.key().clone(), {self, cred.id()}, cred, requested_lifetime::session(1h), {}, clk);
  auto sock = test_sockets::connect_to(port, false);
  if (!psk || sock.fd < 0) return out;
  auto ch = tls::connect<tls::mef_handshake>({tls::transport::stream, "mef.example.com"}, *kpm_id::parse(cred.id().value()),
                                             *psk, clk);
  if (!ch) return out;
  auto& c = **ch;
  if (!test_sockets::drive<channel>({{&c, sock.fd}}, [&] { return c.active() || c.closed(); }, 30s) || !c.active())
    return out;
  auto ke = tls::enrolment_key(c, mef_fqdn);
  if (!ke) return out;
  if (auto req = make(*ke)) {
    if (!c.send(as_bytes(mef::http::write_request(*req, "mef.example.com")))) return out;
    mef::http::response_reader reader;
    test_sockets::drive<channel>({{&c, sock.fd}}, [&] {
      std::size_t used = 0;
      if (auto m = reader.read(c.received(), used)) out.response = m->message;
      c.consume_received(used);
      return out.response.has_value() || c.closed();
    }, 30s);
    if (!out.response) return out;
  }
  c.close();
  (void)test_sockets::flush(c, sock.fd);
  out.ke = std::move(*ke);
  out.ok = true;
  return out;
}

struct pass_result {
  std::size_t done = 0, failed = 0;
  double seconds = 0;
  std::vector<double> latency_ms;
  [[nodiscard]] double rate() const { return seconds > 0 ? static_cast<double>(done) / seconds : 0; }
  [[nodiscard]] double pct(double p) const {
    if (latency_ms.empty()) return 0;
    auto v = latency_ms;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
  }
};

// `clients` threads, each doing `per_client` operations; op(client, i) says whether one succeeded.
pass_result run(int clients, int per_client, const std::function<bool(int, int)>& op) {
  pass_result r;
  std::mutex m;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      while (!go) std::this_thread::yield();
      std::vector<double> lat;
      std::size_t done = 0, failed = 0;
      for (int i = 0; i < per_client; ++i) {
        const auto t0 = steady::now();
        if (op(c, i)) {
          ++done;
          lat.push_back(std::chrono::duration<double, std::milli>(steady::now() - t0).count());
        } else {
          ++failed;
        }
      }
      std::lock_guard lock(m);
      r.done += done;
      r.failed += failed;
      r.latency_ms.insert(r.latency_ms.end(), lat.begin(), lat.end());
    });
  const auto start = steady::now();
  go = true;
  for (auto& t : threads) t.join();
  r.seconds = std::chrono::duration<double>(steady::now() - start).count();
  return r;
}

void print(const char* name, const pass_result& r) {
  std::printf("%-12s %6zu ok %4zu failed  %8.1f /s   p50 %7.2f ms   p99 %7.2f ms\n", name, r.done, r.failed, r.rate(),
              r.pct(0.50), r.pct(0.99));
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
      return session(mef.tcp, enrolee_kpm, enrolee, [](const auto&) { return std::nullopt; }).ok;
    });
    std::vector<std::vector<mef::enrolment>> made(static_cast<std::size_t>(clients));
    const auto enrolments = run(clients, per_client, [&](int c, int i) {
      auto o = session(mef.tcp, enrolee_kpm, enrolee, [&](const auto&) {
        return mef::enrolment_request(enrolee, "load-" + std::to_string(c) + "-" + std::to_string(i));
      });
      if (!o.ok || !o.response) return false;
      auto e = mef::read_enrolment(*o.response, std::move(*o.ke), enrolee);
      if (!e) return false;
      made[static_cast<std::size_t>(c)].push_back(std::move(*e));
      return true;
    });
    // Every enrolment answered is fetched back, with the key the Enrolee derives.
    const auto fetches = run(clients, per_client, [&](int c, int i) {
      const auto& mine = made[static_cast<std::size_t>(c)];
      if (static_cast<std::size_t>(i) >= mine.size()) return false;
      const auto& e = mine[static_cast<std::size_t>(i)];
      auto o = session(mef.tcp, target_kpm, target, [&](const auto&) {
        return mef::fetch_request(target, "fetch-" + std::to_string(c) + "-" + std::to_string(i), e.answer.id, suid::rspf_saef);
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
