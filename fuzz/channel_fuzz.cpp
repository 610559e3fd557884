// Fuzz target: bytes from a peer fed to the channel's client and server engines,
// in every state a real handshake reaches. A real peer plays the first k flights
// (k from the input), then the fuzzer's chunks replace the peer's bytes. Each
// feed either succeeds or ends the channel with an errc; records authenticated
// before a failure may be delivered, nothing after it; a server's refused PSK
// identity never becomes an active channel.
#include <cstdlib>

#include "m2msec/channel/channel.hpp"

namespace {

using namespace m2msec;
using chan = tls::channel<manual_clock>;

struct world {
  manual_clock clk{time_point(std::chrono::seconds(1798761600))};
  symmetric_credential cred = [] {
    byte k[32] = {7};
    return *symmetric_credential::make(*secret::copy_of(k), *credential_id::parse("12-f@issuer.example.com"),
                                       suid::preprovisioned_saef, *ae_id::parse("/in-cse/C1"),
                                       *validity::make(time_point{}, time_point::max() - std::chrono::hours(1)));
  }();
};

void check(chan& c, const result<void>& r) {
  if (!r && !c.error()) std::abort();  // a failure always names its errc
  if (c.refusal() && c.active()) std::abort();
  if (c.error()) {
    (void)c.take_received();  // what came before the failure
    if (c.feed(as_bytes("\x17\x03\x03\x00\x01x")).has_value() || !c.received().empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static world w;
  const auto kind = data[0] & 1 ? tls::transport::datagram : tls::transport::stream;
  const bool fuzz_server = data[0] & 2;
  const int real_flights = data[1] % 6;
  auto psk = sa::bound<secret>::create(*w.cred.key().clone(), {*ae_id::parse("/in-cse/C1"), *cse_id::parse("/in-cse")},
                                       w.cred, requested_lifetime::session(std::chrono::hours(1)), {}, w.clk);
  if (!psk) std::abort();
  auto resolver = [&](std::string_view, std::string_view) -> result<tls::psk_entry> {
    return tls::psk_entry{&w.cred, *ae_id::parse("/in-cse/C1")};
  };
  auto client = chan::psk_client({kind, "in-cse.sp.example.com"}, "f@issuer.example.com", *psk, w.clk);
  auto server = chan::psk_server({kind, "in-cse.sp.example.com"}, *cse_id::parse("/in-cse"), resolver,
                                 requested_lifetime::session(std::chrono::hours(1)), {}, w.clk);
  if (!client || !server) std::abort();
  chan& target = fuzz_server ? **server : **client;
  chan& peer = fuzz_server ? **client : **server;
  // The real flights: client -> server -> client ...
  chan* from = client->get();
  chan* to = server->get();
  for (int i = 0; i < real_flights; ++i) {
    for (auto& d : from->take_outgoing()) check(*to, to->feed(d));
    std::swap(from, to);
  }
  (void)peer.take_outgoing();  // the fuzzer speaks for the peer from here
  // The rest of the input: chunks of (2-byte length, bytes).
  std::size_t at = 2;
  while (at + 2 <= size && !target.closed()) {
    const std::size_t n = std::min<std::size_t>((std::size_t{data[at]} << 8 | data[at + 1]), size - at - 2);
    check(target, target.feed({data + at + 2, n}));
    (void)target.take_outgoing();
    if (target.active()) (void)target.send(as_bytes("x"));
    at += 2 + n;
  }
  return 0;
}
