// What the MEF's and the MAF's load benchmarks share: one client connection over
// loopback, N client threads doing M operations each, and the figures printed.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>

#include "../tests/enrolment/sockets.hpp"
#include "m2msec/channel/profiles.hpp"
#include "m2msec/enrolment/http_binding.hpp"

namespace load {

using namespace m2msec;
using namespace std::chrono_literals;
using channel = tls::channel<>;
using steady = std::chrono::steady_clock;
inline const system_clock clk{};

inline std::string hex_key(int b) {
  std::string s;
  char buf[3];
  for (int i = 0; i < 32; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", (b + i) & 0xFF);
    s += buf;
  }
  return s;
}

// One connection to an MEF or a MAF (`Handshake`) named `host`: the handshake,
// then the request `make` gives (it may read the channel's exporter first), if any.
struct outcome {
  bool ok = false;
  std::optional<mef::response> response;
};
template <class Handshake>
outcome session(unsigned short port, const std::string& host, const symmetric_credential& cred, const entity_id& self,
                const std::function<std::optional<mef::request>(channel&)>& make) {
  outcome out;
  auto psk = sa::bound<secret>::create(*cred.key().clone(), {self, cred.id()}, cred, requested_lifetime::session(1h), {}, clk);
  auto sock = test_sockets::connect_to(port, false);
  if (!psk || sock.fd < 0) return out;
  auto ch = tls::connect<Handshake>({tls::transport::stream, host}, *Handshake::identity_type::parse(cred.id().value()),
                                    *psk, clk);
  if (!ch) return out;
  auto& c = **ch;
  if (!test_sockets::drive<channel>({{&c, sock.fd}}, [&] { return c.active() || c.closed(); }, 30s) || !c.active())
    return out;
  if (auto req = make(c)) {
    if (!c.send(as_bytes(mef::http::write_request(*req, host)))) return out;
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
inline pass_result run(int clients, int per_client, const std::function<bool(int, int)>& op) {
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

inline void print(const char* name, const pass_result& r) {
  std::printf("%-12s %6zu ok %4zu failed  %8.1f /s   p50 %7.2f ms   p99 %7.2f ms\n", name, r.done, r.failed, r.rate(),
              r.pct(0.50), r.pct(0.99));
}

}  // namespace load
