// m2msec connect / serve: one handshake, PSK or certificate (SAEF, or the MEF or
// MAF handshake), against a host or for one peer, over TLS 1.2 or DTLS 1.2; prints the
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
  std::string address, psk, identity, sni, usage = "saef", self, peer, send, cert, key, ca, expect;
  bool dtls = false, trace = false;
  int seconds = 10;
};

namespace tls_detail_cli {

struct usage_of {
  usage_scope scope;
  suid provisioned, certified;
  credential_id_type id_type;
  std::string_view label;  // the exporter, none for SAEF
};
inline usage_of usage(const std::string& name) {
  if (name == "saef")
    return {usage_scope::saef, suid::preprovisioned_saef, suid::certificate_saef, credential_id_type::kpsa_or_kc_id, {}};
  if (name == "mef")
    return {usage_scope::mef, suid::preprovisioned_mef, suid::certificate_mef, credential_id_type::kpm_id,
            exporter_label::bootstrap};
  if (name == "maf")
    return {usage_scope::maf, suid::preprovisioned_maf, suid::certificate_maf, credential_id_type::km_id,
            exporter_label::connection};
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
  if (!e) refuse("exporter", why(e.error()));
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

namespace tls_detail_cli {

// The name a certificate carries: an absolute AE-ID (AE-ID certificate) or an
// FQDN (a CSE's public domain name, or an MEF's or MAF's name).
inline expected_name certificate_name(const std::string& text, const std::string& where) {
  if (auto e = ae_id::parse(text); e && e->is_absolute()) return *expected_name::ae(*e);
  if (auto f = fqdn::parse(text)) return expected_name::cse(*f);
  bad(where, "not an absolute AE-ID or an FQDN: " + text);
}

// What a channel needs to outlive it: the credential, the association, the anchors.
struct held {
  std::optional<symmetric_credential> psk_credential;
  std::optional<sa::bound<secret>> psk;
  std::optional<certificate_credential> own;
  std::optional<security_association> sa;
  trust_anchors anchors;
  tls::own_certificate files;
};

inline bool certificate_mode(const tls_args& a) {
  const int given = !a.cert.empty() + !a.key.empty() + !a.ca.empty();
  if (given != 0 && given != 3) bad("--cert", "--cert, --key and --ca go together");
  if ((given == 3) == !a.psk.empty()) bad("--psk", "either --psk or --cert/--key/--ca");
  return given == 3;
}
inline void load_certificates(const tls_args& a, held& h) {
  h.files = {read_text(a.cert, "--cert"), read_text(a.key, "--key")};
  if (!h.anchors.add(as_bytes(read_text(a.ca, "--ca")))) bad("--ca", "no trust anchor in " + a.ca);
}
inline symmetric_credential psk_credential(const tls_args& a, const usage_of& u, entity_id holder) {
  auto id = credential_id::make(u.id_type, a.identity);
  if (!id) bad("--identity", "not a key identifier: " + a.identity);
  const time_point now = system_clock{}.now();
  auto cred = symmetric_credential::make(hex_secret(a.psk, "--psk"), std::move(*id), u.provisioned, std::move(holder),
                                         *validity::make(now - std::chrono::minutes(1), now + std::chrono::hours(24)));
  if (!cred) bad("--psk", why(cred.error()));
  return std::move(*cred);
}

// Until the handshake is done (true) or over (false); the channel says why.
inline void handshake(tls::channel<>& c, int fd, int seconds, const watcher& w, const char* otherwise) {
  (void)tls::pump_until<tls::channel<>>({{&c, fd}}, [&] { return c.active() || c.closed(); },
                                        std::chrono::seconds(seconds));
  if (c.active()) return;
  ::close(fd);
  refuse("handshake", w.why(c.refusal() ? c.refusal() : c.error(), otherwise));
}

}  // namespace tls_detail_cli

inline void add_tls(CLI::App& app, tls_args& a) {
  auto common = [&a](CLI::App* c) {
    c->add_option("--psk", a.psk, "the pre-shared key, hex (PSK profiles)");
    c->add_option("--cert", a.cert, "our certificate chain, PEM (certificate profiles, with --key and --ca)");
    c->add_option("--key", a.key, "our private key, PKCS#8 PEM");
    c->add_option("--ca", a.ca, "the trust anchors, PEM");
    c->add_option("--expect", a.expect, "the name the peer's certificate must carry: an absolute AE-ID or an FQDN");
    c->add_option("--usage", a.usage, "saef (default), mef (MEF handshake) or maf (MAF handshake)");
    c->add_flag("--dtls", a.dtls, "DTLS 1.2 over UDP instead of TLS 1.2 over TCP");
    c->add_option("--send", a.send, "text to send once the handshake is done");
    c->add_option("--timeout", a.seconds, "seconds the handshake may take (default 10)");
    c->add_flag("--trace", a.trace, "each stage of the handshake and each alert on stderr");
  };
  auto* connect = app.add_subcommand("connect", "one handshake against host:port, as the client");
  connect->add_option("address", a.address, "host:port")->required();
  connect->add_option("--identity", a.identity, "the psk_identity (KpsaID, KmID, KpmID, ...)");
  connect->add_option("--sni", a.sni, "the server name (SNI, an FQDN)")->required();
  connect->add_option("--self", a.self, "our own AE-ID or CSE-ID (default /in-cse/Cm2msec); with --cert, the absolute "
                                        "AE-ID or FQDN our certificate names");
  connect->add_option("--peer", a.peer, "the server's CSE-ID (default /in-cse)");
  common(connect);
  auto* serve = app.add_subcommand("serve", "one handshake for one peer on host:port, as the server");
  serve->add_option("address", a.address, "host:port to listen on")->required();
  serve->add_option("--identity", a.identity, "the psk_identity the client must use");
  serve->add_option("--sni", a.sni, "the server name this server answers to (an FQDN)")->required();
  serve->add_option("--self", a.self, "this server's CSE-ID (default /in-cse)");
  serve->add_option("--peer", a.peer, "the CSE-ID or AE-ID a PSK client is bound to (default /in-cse/Cm2msec)");
  common(serve);

  connect->callback([&a] {
    using namespace tls_detail_cli;
    const auto u = usage(a.usage);
    check_sni(a.sni);
    const bool certs = certificate_mode(a);
    const std::string self_text = a.self.empty() ? "/in-cse/Cm2msec" : a.self;
    const auto peer = bound(a.peer.empty() ? "/in-cse" : a.peer, "--peer");
    const system_clock clk;
    held h;
    watcher w{"connect", a.trace, {}};
    tls::channel<>::options opts{a.dtls ? tls::transport::datagram : tls::transport::stream, a.sni, {}, u.scope,
                                 w.observer()};
    result<std::unique_ptr<tls::channel<>>> ch = fail(errc::invalid_argument);
    if (certs) {
      load_certificates(a, h);
      const auto own_name = certificate_name(self_text, "--self");
      auto leaf = certificate::parse(as_bytes(h.files.chain_pem));
      if (!leaf) bad("--cert", why(leaf.error()));
      auto own = certificate_credential::verify(std::move(*leaf), own_name, h.anchors, clk.now(), {}, u.certified);
      if (!own) bad("--cert", "our certificate: " + why(own.error()));
      h.own.emplace(std::move(*own));
      entity_id self = own_name.type() == expected_name::flavour::ae_id ? entity_id{*ae_id::parse(self_text)}
                                                                         : entity_id{*fqdn::parse(self_text)};
      auto sa = security_association::create({self, peer}, *h.own, requested_lifetime::session(std::chrono::hours(1)), {}, clk);
      if (!sa) bad("--cert", "no association: " + why(sa.error()));
      h.sa.emplace(std::move(*sa));
      const auto expect = a.expect.empty() ? expected_name::cse(*fqdn::parse(a.sni)) : certificate_name(a.expect, "--expect");
      ch = tls::channel<>::certificate_client(opts, h.files, h.anchors, expect, *h.sa, clk);
    } else {
      if (a.identity.empty()) bad("--identity", "a PSK handshake needs the psk_identity");
      const auto self = entity(self_text, "--self");
      h.psk_credential.emplace(psk_credential(a, u, self));
      auto psk = sa::bound<secret>::create(*h.psk_credential->key().clone(), {self, peer}, *h.psk_credential,
                                           requested_lifetime::session(std::chrono::hours(1)), {}, clk);
      if (!psk) bad("--self", "no association: " + why(psk.error()));
      h.psk.emplace(std::move(*psk));
      ch = tls::channel<>::psk_client(opts, a.identity, *h.psk, clk);
    }
    if (!ch) bad("--sni", why(ch.error()));
    const int fd = open_socket(a.address, a.dtls, false);
    auto& c = **ch;
    handshake(c, fd, a.seconds, w, "no answer in time");
    report(c, u, a.sni);
    exchange(c, fd, a.send);
    ::close(fd);
  });
  serve->callback([&a] {
    using namespace tls_detail_cli;
    const auto u = usage(a.usage);
    check_sni(a.sni);
    const bool certs = certificate_mode(a);
    const auto self = entity(a.self.empty() ? "/in-cse" : a.self, "--self");
    const system_clock clk;
    held h;
    watcher w{"serve", a.trace, {}};
    tls::channel<>::options opts{a.dtls ? tls::transport::datagram : tls::transport::stream, a.sni, {}, u.scope,
                                 w.observer()};
    result<std::unique_ptr<tls::channel<>>> ch = fail(errc::invalid_argument);
    std::optional<bound_identity> peer;
    if (certs) {
      load_certificates(a, h);
      if (a.expect.empty()) bad("--expect", "a certificate server needs the name the client's certificate carries");
      ch = tls::channel<>::certificate_server(opts, self, h.files, h.anchors, certificate_name(a.expect, "--expect"),
                                              requested_lifetime::session(std::chrono::hours(1)), {}, clk);
    } else {
      if (a.identity.empty()) bad("--identity", "a PSK handshake needs the psk_identity");
      const auto peer_text = a.peer.empty() ? "/in-cse/Cm2msec" : a.peer;
      peer = bound(peer_text, "--peer");
      h.psk_credential.emplace(psk_credential(a, u, entity(peer_text, "--peer")));
      auto resolve = [&](std::string_view identity, std::string_view) -> result<tls::psk_entry> {
        if (identity != a.identity) return fail(errc::not_found);
        return tls::psk_entry{&*h.psk_credential, *peer};
      };
      ch = tls::channel<>::psk_server(opts, self, resolve, requested_lifetime::session(std::chrono::hours(1)), {}, clk);
    }
    if (!ch) bad("--sni", why(ch.error()));
    const int listener = open_socket(a.address, a.dtls, true);
    auto& c = **ch;
    const int fd = first_peer(listener, a.dtls, a.seconds);
    ::close(listener);
    handshake(c, fd, a.seconds, w, "no handshake in time");
    report(c, u, a.sni);
    exchange(c, fd, a.send);
    ::close(fd);
  });
}

}  // namespace m2msec::cli
