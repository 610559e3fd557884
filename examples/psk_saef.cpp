// An AE and its Registrar CSE in two threads over loopback TCP, with PSK-SAEF
// (TS-0003 §8.2.2.1): TLS 1.2, psk_identity = KpsaID. The Registrar prints the
// identity the association is bound to and its lifetime, checks each request's
// From, and the example shows what happens when the association expires.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include "m2msec/channel/profiles.hpp"

using namespace m2msec;
using namespace std::chrono_literals;

namespace {

// A clock both threads read; the example moves it forward to show expiry.
std::atomic<std::int64_t> offset_ns{0};
struct demo_clock {
  [[nodiscard]] time_point now() const noexcept {
    return std::chrono::system_clock::now() + std::chrono::nanoseconds(offset_ns.load());
  }
};

// Moves bytes between a channel and a socket until `done()` or the socket closes.
template <class Channel, class Done>
bool run(Channel& ch, int fd, Done done) {
  byte buf[16384];
  for (int i = 0; i < 500 && !done(); ++i) {
    ch.drain_outgoing([&](bytes_view d) { (void)::send(fd, d.data(), d.size(), MSG_NOSIGNAL); });
    if (ch.closed()) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    const auto r = ch.feed({buf, static_cast<std::size_t>(n)});
    ch.drain_outgoing([&](bytes_view d) { (void)::send(fd, d.data(), d.size(), MSG_NOSIGNAL); });
    if (!r) return false;
  }
  return done();
}

std::string text(bytes_view b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// The Kpsa both sides hold, provisioned out of band (TS-0001 §11.2.1); an example value.
constexpr std::string_view example_kpsa = "example Kpsa: 32 bytes, no more!";

}  // namespace

int main() {
  demo_clock clk;
  const time_point start = clk.now();
  // The Kpsa both sides were provisioned with (pre-provisioned here), valid 30 days.
  auto provisioned = [&] {
    return *symmetric_credential::make(*secret::copy_of(as_bytes(example_kpsa)), *credential_id::parse("12-C0042@sp.example.com"),
                                       suid::preprovisioned_saef, *ae_id::parse("/in-cse/C0042"),
                                       *validity::make(start - 1h, start + 24h * 30));
  };
  const auto registrar_copy = provisioned();

  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener, 1) != 0) return 1;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::atomic<int> phase{0};  // 1: first request answered, 2: clock moved, 3: done

  std::thread registrar([&] {
    const int fd = ::accept(listener, nullptr, nullptr);
    auto resolve = [&](std::string_view identity, std::string_view) -> result<tls::psk_entry> {
      if (identity != "C0042@sp.example.com") return fail(errc::not_found);
      return tls::psk_entry{&registrar_copy, *ae_id::parse("/in-cse/C0042")};
    };
    // The Registrar asks for 1-hour sessions.
    auto ch = std::move(*tls::channel<demo_clock>::psk_server({tls::transport::stream, "in-cse.sp.example.com"},
                                                               *cse_id::parse("/in-cse"), resolve,
                                                               requested_lifetime::session(1h), {}, clk));
    run(*ch, fd, [&] { return !ch->received().empty(); });
    auto* sa = ch->association();
    std::printf("[registrar] suite 0x%04X, PSK identity %s\n", ch->suite(), ch->peer_identity().c_str());
    std::printf("[registrar] SA bound to %s, lifetime %lld min (credential: %lld days)\n",
                to_string(sa->who().peer).c_str(),
                static_cast<long long>(std::chrono::duration_cast<std::chrono::minutes>(
                    sa->lifetime().not_after() - sa->lifetime().not_before()).count()),
                static_cast<long long>(std::chrono::duration_cast<std::chrono::hours>(
                    registrar_copy.lifetime().not_after() - clk.now()).count() / 24));
    std::printf("[registrar] request '%s', From C0042 -> RSC %d, From C0099 -> RSC %d\n", text(ch->received()).c_str(),
                static_cast<int>(ch->check_originator("C0042")), static_cast<int>(ch->check_originator("C0099")));
    ch->consume_received();
    (void)ch->send(as_bytes("rsc=2000"));
    run(*ch, fd, [&] { return phase.load() >= 1; });
    while (phase.load() < 2) std::this_thread::sleep_for(1ms);
    run(*ch, fd, [&] { return ch->closed(); });
    std::printf("[registrar] after 61 min: %s; received '%s'; From C0042 -> RSC %d\n",
                ch->error() ? to_string(*ch->error()).data() : "open", text(ch->received()).c_str(),
                static_cast<int>(ch->check_originator("C0042")));
    ::close(fd);
  });

  // The AE: its own association with the Registrar, made from its copy of the Kpsa.
  const auto ae_copy = provisioned();
  auto ae_psk = *sa::bound<secret>::create(*ae_copy.key().clone(), {*ae_id::parse("/in-cse/C0042"), *cse_id::parse("/in-cse")},
                                           ae_copy, requested_lifetime::session(8h), {}, clk);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return 1;
  auto ae = std::move(*tls::connect<tls::psk_saef>({tls::transport::stream, "in-cse.sp.example.com"},
                                                    *kpsa_id::parse("C0042@sp.example.com"), ae_psk, clk));
  run(*ae, fd, [&] { return ae->active(); });
  (void)ae->send(as_bytes("op=RETRIEVE fr=C0042 to=/in-cse"));
  run(*ae, fd, [&] { return !ae->received().empty(); });
  std::printf("[ae] response '%s'\n", text(ae->received()).c_str());
  ae->consume_received();
  phase = 1;
  offset_ns = std::chrono::nanoseconds(61min).count();  // an hour and a minute later
  phase = 2;
  const auto r = ae->send(as_bytes("op=RETRIEVE fr=C0042 to=/in-cse"));
  std::printf("[ae] sending after 61 min: %s (the AE's SA lasts 8 h)\n", r ? "sent" : to_string(r.error()).data());
  run(*ae, fd, [&] { return ae->closed(); });
  std::printf("[ae] channel %s: %s\n", ae->closed() ? "closed" : "open",
              ae->error() ? to_string(*ae->error()).data() : "close_notify from the Registrar");
  phase = 3;
  registrar.join();
  ::close(fd);
  ::close(listener);
  return 0;
}
