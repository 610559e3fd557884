// m2msec connect / serve: one PSK handshake (PSK-SAEF, or the MEF or MAF
// handshake) against a host or for one peer, over TLS 1.2 or DTLS 1.2; prints the
// suite, the association and, for the MEF and MAF handshakes, the oneM2M exporter
// value with its two parts (TS-0003 §10.3.1).
#pragma once

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "cli/common.hpp"
#include "m2msec/channel/profiles.hpp"
#include "m2msec/channel/socket_pump.hpp"
#include "m2msec/enrolment/mef_protocol.hpp"

namespace m2msec::cli {

struct tls_args {
  std::string address, psk, identity, sni, usage = "saef", self, peer, send;
  bool dtls = false, trace = false;
  int seconds = 10;
};

namespace tls_detail_cli {

struct usage_of {
  usage_scope scope;
  suid provisioned;
  credential_id_type id_type;
  std::string_view label;  // the exporter, none for SAEF
};
inline usage_of usage(const std::string& name) {
  if (name == "saef") return {usage_scope::saef, suid::preprovisioned_saef, credential_id_type::kpsa_or_kc_id, {}};
  if (name == "mef") return {usage_scope::mef, suid::preprovisioned_mef, credential_id_type::kpm_id, exporter_label::bootstrap};
  if (name == "maf") return {usage_scope::maf, suid::preprovisioned_maf, credential_id_type::km_id, exporter_label::connection};
  bad("--usage", "not saef, mef or maf: " + name);
}
inline void check_sni(const std::string& sni) {
  if (!fqdn::parse(sni)) bad("--sni", "not an FQDN: " + sni);
}
inline entity_id entity(const std::string& text, const std::string& where) {
  auto e = mef::parse_entity(text);
  if (!e) bad(where, "not a CSE-ID, AE-ID or FQDN: " + text);
  return std::move(*e);
}
// Who the other side is authenticated as: a CSE-ID or an AE-ID.
inline bound_identity bound(const std::string& text, const std::string& where) {
  if (auto c = cse_id::parse(text)) return *c;
  if (auto e = ae_id::parse(text)) return *e;
  bad(where, "not a CSE-ID or AE-ID: " + text);
}
// "host:port" as a socket of the transport's kind: connected (client) or bound (server).
inline int open_socket(const std::string& address, bool dtls, bool server) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) bad("address", "not host:port: " + address);
  const std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = dtls ? SOCK_DGRAM : SOCK_STREAM;
  hints.ai_flags = server ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr)
    bad("address", "cannot resolve " + address);
  int fd = -1;
  for (auto* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    const int yes = 1;
    if (server) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    const bool ok = server ? ::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && (dtls || ::listen(fd, 1) == 0)
                           : ::connect(fd, a->ai_addr, a->ai_addrlen) == 0;
    if (!ok) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) refuse("address", std::string(server ? "cannot listen on " : "cannot connect to ") + address);
  return fd;
}
// The first peer: accepted (TCP), or the sender of the first datagram, connected.
inline int first_peer(int fd, bool dtls, int seconds) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, seconds * 1000) != 1) refuse("address", "no peer within " + std::to_string(seconds) + " s");
  if (!dtls) return ::accept(fd, nullptr, nullptr);
  sockaddr_storage from{};
  socklen_t len = sizeof from;
  byte probe[1];
  (void)::recvfrom(fd, probe, sizeof probe, MSG_PEEK, reinterpret_cast<sockaddr*>(&from), &len);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&from), len) != 0) refuse("address", "cannot answer the peer");
  return ::dup(fd);
}

// The channel's events: with --trace each on stderr; the last alert kept for the
// error line a failed handshake gives.
struct watcher {
  const char* command;
  bool trace;
  std::string last_alert;
  tls::channel_observer observer() {
    return [this](const tls::channel_event& e) {
      if (trace)
        std::fprintf(stderr, "m2msec %s: %s %.*s\n", command, to_string(e.stage).data(), static_cast<int>(e.text.size()),
                     e.text.data());
      if (e.stage == tls::channel_stage::alert_sent || e.stage == tls::channel_stage::alert_received)
        last_alert = std::string(to_string(e.stage)) + ": " + std::string(e.text);
    };
  }
  [[nodiscard]] std::string why(std::optional<errc> e, const char* otherwise) const {
    std::string s = e ? std::string(to_string(*e)) : otherwise;
    if (!last_alert.empty()) s += " (" + last_alert + ")";
    return s;
  }
};

inline std::string seconds_from_now(time_point t) {
  using namespace std::chrono;
  return std::to_string(duration_cast<seconds>(t - m2msec::system_clock{}.now()).count()) + " s";
}

// What the handshake gave: the suite, the association, the exporter.
inline void report(tls::channel<>& ch, const usage_of& u, const std::string& sni) {
  char suite[8];
  std::snprintf(suite, sizeof suite, "%04X", ch.suite());
  out(std::string("suite 0x") + suite);
  if (auto* sa = ch.association()) {
    out("association " + to_string(sa->who().local) + " -> " + to_string(sa->who().peer) + ", ends in " +
        seconds_from_now(sa->lifetime().not_after()));
  }
  if (!ch.peer_identity().empty()) out("psk_identity " + ch.peer_identity());
  if (u.label.empty()) {
    out("exporter none (SAEF has no oneM2M exporter label)");
    return;
  }
  auto e = ch.export_key(u.label);
  if (!e) refuse("exporter", std::string(to_string(e.error())));
  out("exporter " + std::string(u.label) + " " + hex(e->expose()));
  auto parts = split_exporter(e->expose());
  auto domain = fqdn::parse(sni);
  if (parts && domain) {
    out("exporter id  " + (u.scope == usage_scope::mef ? ke_id::from_bytes(parts->relative_id, *domain).str()
                                                        : kc_id::from_bytes(parts->relative_id, *domain).str()));
    out("exporter key " + hex(parts->key.expose()));
  }
}

// After the handshake: sends --send, prints what arrives until the peer closes or
// a second passes without data.
inline void exchange(tls::channel<>& ch, int fd, const std::string& send) {
  if (!send.empty() && !ch.send(as_bytes(send))) refuse("send", "the channel refused the data");
  std::string got;
  (void)tls::pump_until<tls::channel<>>(
      {{&ch, fd}},
      [&] {
        auto r = ch.take_received();
        got.append(r.begin(), r.end());
        return ch.closed();
      },
      std::chrono::seconds(1));
  if (!got.empty()) out("received " + std::to_string(got.size()) + " bytes: " + got);
  ch.close();
  (void)tls::flush(ch, fd);
}

}  // namespace tls_detail_cli

inline void add_tls(CLI::App& app, tls_args& a) {
  auto common = [&a](CLI::App* c) {
    c->add_option("--psk", a.psk, "the pre-shared key, hex")->required();
    c->add_option("--usage", a.usage, "saef (PSK-SAEF, default), mef (MEF handshake) or maf (MAF handshake)");
    c->add_flag("--dtls", a.dtls, "DTLS 1.2 over UDP instead of TLS 1.2 over TCP");
    c->add_option("--send", a.send, "text to send once the handshake is done");
    c->add_option("--timeout", a.seconds, "seconds the handshake may take (default 10)");
    c->add_flag("--trace", a.trace, "each stage of the handshake and each alert on stderr");
  };
  auto* connect = app.add_subcommand("connect", "a PSK handshake against host:port, as the client");
  connect->add_option("address", a.address, "host:port")->required();
  connect->add_option("--identity", a.identity, "the psk_identity (KpsaID, KmID, KpmID, ...)")->required();
  connect->add_option("--sni", a.sni, "the server name (SNI, an FQDN)")->required();
  connect->add_option("--self", a.self, "our own CSE-ID or AE-ID (default /in-cse/Cm2msec)");
  connect->add_option("--peer", a.peer, "the server's CSE-ID or FQDN (default /in-cse)");
  common(connect);
  auto* serve = app.add_subcommand("serve", "a PSK handshake for one peer on host:port, as the server");
  serve->add_option("address", a.address, "host:port to listen on")->required();
  serve->add_option("--identity", a.identity, "the psk_identity the client must use")->required();
  serve->add_option("--sni", a.sni, "the server name this server answers to (an FQDN)")->required();
  serve->add_option("--self", a.self, "this server's CSE-ID or FQDN (default /in-cse)");
  serve->add_option("--peer", a.peer, "the CSE-ID or AE-ID the association binds to (default /in-cse/Cm2msec)");
  common(serve);

  connect->callback([&a] {
    using namespace tls_detail_cli;
    const auto u = usage(a.usage);
    check_sni(a.sni);
    const auto self = entity(a.self.empty() ? "/in-cse/Cm2msec" : a.self, "--self");
    const auto peer = bound(a.peer.empty() ? "/in-cse" : a.peer, "--peer");
    auto id = credential_id::make(u.id_type, a.identity);
    if (!id) bad("--identity", "not a key identifier: " + a.identity);
    const time_point now = system_clock{}.now();
    auto cred = symmetric_credential::make(hex_secret(a.psk, "--psk"), std::move(*id), u.provisioned, self,
                                           *validity::make(now - std::chrono::minutes(1), now + std::chrono::hours(24)));
    if (!cred) bad("--psk", std::string(to_string(cred.error())));
    const system_clock clk;
    auto psk = sa::bound<secret>::create(*cred->key().clone(), {self, peer}, *cred,
                                         requested_lifetime::session(std::chrono::hours(1)), {}, clk);
    if (!psk) bad("--self", "no association: " + std::string(to_string(psk.error())));
    const int fd = open_socket(a.address, a.dtls, false);
    watcher w{"connect", a.trace, {}};
    auto ch = tls::channel<>::psk_client(
        {a.dtls ? tls::transport::datagram : tls::transport::stream, a.sni, {}, u.scope, w.observer()}, a.identity, *psk, clk);
    if (!ch) bad("--sni", std::string(to_string(ch.error())));
    auto& c = **ch;
    (void)tls::pump_until<tls::channel<>>({{&c, fd}}, [&] { return c.active() || c.closed(); },
                                          std::chrono::seconds(a.seconds));
    if (!c.active()) {
      ::close(fd);
      refuse("handshake", w.why(c.error(), "no answer in time"));
    }
    report(c, u, a.sni);
    exchange(c, fd, a.send);
    ::close(fd);
  });
  serve->callback([&a] {
    using namespace tls_detail_cli;
    const auto u = usage(a.usage);
    check_sni(a.sni);
    const auto self = entity(a.self.empty() ? "/in-cse" : a.self, "--self");
    const auto peer_text = a.peer.empty() ? "/in-cse/Cm2msec" : a.peer;
    const auto holder = entity(peer_text, "--peer");
    const auto peer = bound(peer_text, "--peer");
    auto id = credential_id::make(u.id_type, a.identity);
    if (!id) bad("--identity", "not a key identifier: " + a.identity);
    const time_point now = system_clock{}.now();
    auto cred = symmetric_credential::make(hex_secret(a.psk, "--psk"), std::move(*id), u.provisioned, holder,
                                           *validity::make(now - std::chrono::minutes(1), now + std::chrono::hours(24)));
    if (!cred) bad("--psk", std::string(to_string(cred.error())));
    auto resolve = [&](std::string_view identity, std::string_view) -> result<tls::psk_entry> {
      if (identity != a.identity) return fail(errc::not_found);
      return tls::psk_entry{&*cred, peer};
    };
    const system_clock clk;
    const int listener = open_socket(a.address, a.dtls, true);
    watcher w{"serve", a.trace, {}};
    auto ch = tls::channel<>::psk_server(
        {a.dtls ? tls::transport::datagram : tls::transport::stream, a.sni, {}, u.scope, w.observer()}, self, resolve, requested_lifetime::session(std::chrono::hours(1)), {}, clk);
    if (!ch) bad("--sni", std::string(to_string(ch.error())));
    auto& c = **ch;
    const int fd = first_peer(listener, a.dtls, a.seconds);
    (void)tls::pump_until<tls::channel<>>({{&c, fd}}, [&] { return c.active() || c.closed(); },
                                          std::chrono::seconds(a.seconds));
    if (!c.active()) {
      ::close(fd);
      ::close(listener);
      const auto e = c.refusal() ? c.refusal() : c.error();
      refuse("handshake", w.why(e, "no handshake in time"));
    }
    report(c, u, a.sni);
    exchange(c, fd, a.send);
    ::close(fd);
    ::close(listener);
  });
}

}  // namespace m2msec::cli
