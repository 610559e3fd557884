// m2msec: what m2msec-mef and m2msec-maf share: a function (an MEF or a MAF,
// `Engine`: accept(), handle(), store(), settings()) served on TCP and UDP by
// Boost.Asio on one thread, its channels made by the program; the configuration
// helpers; group commit for stores with batches; limits and timeouts; SIGTERM.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange (g++ 12)

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cctype>
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <list>
#include <map>
#include <memory>

#include "m2msec/channel/asio_pump.hpp"
#include "m2msec/enrolment/http_binding.hpp"
#include "m2msec/enrolment/maf.hpp"
#include "m2msec/enrolment/mef.hpp"

namespace m2msec::tools {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using channel = tls::channel<>;
// The configuration holds keys (Kpm, Km, the store key): its strings live in wiped memory.
using json = jose::secret_json;

// The program's name, for its log lines ("m2msec-mef: ...").
inline const char* program = "m2msec";

inline void log(const std::string& line) {
  std::fprintf(stderr, "%s: %s\n", program, line.c_str());
  std::fflush(stderr);
}

struct settings {
  std::string tcp, udp;             // PSK handshakes (Kpm, Km): "address:port", empty when not served
  std::string tcp_cert, udp_cert;   // certificate handshakes
  std::optional<tls::own_certificate> own;
  std::shared_ptr<trust_anchors> anchors;
  std::size_t max_connections = 512;
  std::chrono::seconds handshake_timeout{10}, idle_timeout{30}, connection_lifetime{300};
  std::chrono::microseconds commit_delay{1000};  // group commit: how long a round gathers writes
};

// ---- configuration ---------------------------------------------------------------------

[[noreturn]] inline void bad_config(const std::string& what) {
  log("config: " + what);
  std::exit(1);
}
template <class T>
T need(result<T> r, const std::string& what) {
  if (!r) bad_config(what + ": " + std::string(to_string(r.error())));
  return std::move(*r);
}
// A string member, or the string `j` is; a missing or mistyped one stops with its name.
inline std::string str(const json& j) {
  if (!j.is_string()) bad_config("a string expected: " + std::string(j.dump()));
  return std::string(j.get_ref<const json::string_t&>());
}
inline std::string str(const json& j, const char* name) {
  if (!j.contains(name)) bad_config(std::string("missing ") + name);
  return str(j.at(name));
}
inline std::string str(const json& j, const char* name, const char* otherwise) {
  return j.contains(name) ? str(j, name) : std::string(otherwise);
}
inline std::string file_text(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) bad_config(what + ": cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
// A file that holds keys, as text in wiped memory; a failure stops with its name.
inline secret secret_file(const std::string& path, const std::string& what) {
  auto f = read_secret_file(path.c_str());
  if (!f) bad_config(what + ": cannot read " + path + " (" + std::string(to_string(f.error())) + ")");
  return std::move(*f);
}
inline std::string_view text_of(const secret& s) {
  return {reinterpret_cast<const char*>(s.expose().data()), s.size()};
}
inline time_point timestamp(const json& j, const char* name) {
  if (!j.contains(name) || !j[name].is_string()) bad_config(std::string("missing ") + name);
  return need(esprim::parse_timestamp(j[name].get<std::string>()), name);
}
inline bound_identity bound_of(const entity_id& e) {
  if (const auto* c = std::get_if<cse_id>(&e)) return *c;
  if (const auto* a = std::get_if<ae_id>(&e)) return *a;
  bad_config("a key's holder is a CSE-ID or an AE-ID");
}

// A pre-provisioned key of the configuration ({"id", "key" (hex), "holder",
// "not_before", "not_after"}): its credential, and the identity it authenticates:
// its holder's CSE-ID or AE-ID, or for a MAF (an FQDN) the key's Credential-ID.
inline std::pair<symmetric_credential, bound_identity> symmetric_key(const json& k, credential_id_type type, suid usage,
                                                                     const std::string& what) {
  const auto id = what + " " + str(k, "id");
  if (!k.contains("key") || !k["key"].is_string()) bad_config(id + ": missing key");
  auto key = hex_decode_secret(std::string_view(k["key"].get_ref<const json::string_t&>()));
  if (!key) bad_config(id + ": key is not hex");
  const auto holder = need(mef::parse_entity(str(k, "holder")), id + " holder");
  auto life = need(validity::make(timestamp(k, "not_before"), timestamp(k, "not_after")), id + " lifetime");
  auto cred = need(symmetric_credential::make(std::move(*key), need(credential_id::make(type, str(k, "id")), id),
                                              usage, holder, life),
                   id);
  // A key a MAF holds (by its FQDN) binds its connections to the key's Credential-ID.
  if (std::holds_alternative<fqdn>(holder)) return {std::move(cred), bound_identity{credential_id(cred.id())}};
  return {std::move(cred), bound_of(holder)};
}

// What the log says of a connection besides its peer: the key identifiers of its
// handshake, never a key.
inline std::string describe(const mef::connection& c) { return c.ke ? " keid=" + c.ke->id.str() : ""; }
inline std::string describe(const maf::connection& c) {
  return (c.key_id.empty() ? std::string() : " kmid=" + c.key_id) + (c.kc ? " kcid=" + c.kc->id.str() : "");
}

template <class Endpoint>
Endpoint endpoint_of(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) bad_config("listen address " + text + " is not address:port");
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(text.substr(0, colon), ec);
  if (ec) bad_config("listen address " + text + ": " + ec.message());
  return Endpoint(addr, static_cast<unsigned short>(std::stoul(text.substr(colon + 1))));
}

// ---- one connection: a channel, the function's view of it, and the HTTP reader ----------

template <class Engine>
struct session {
  channel* ch = nullptr;  // owned by the connection's pump (TCP) or by `owned` (DTLS)
  std::unique_ptr<channel> owned;
  std::optional<typename Engine::connection_type> conn;
  mef::http::request_reader reader;
  std::string peer_text;  // for the log
  bool done = false;      // a fatal refusal was answered, or the channel ended
  // Answers made but not sent: they wait for the store's group commit (release).
  std::vector<jose::wiping_string> held;
  bool close_after = false;

  // After bytes came in: the handshake's end, then every whole request answered.
  void progress(Engine& m) {
    if (!ch->active()) {
      if (ch->error()) {
        const auto& d = ch->failure();
        finish("channel: " + std::string(to_string(*ch->error())) +
               (d.where.empty() ? std::string() : " (" + std::string(d.where) + ": " + std::string(d.what) + ")") +
               (ch->refusal() ? std::string(", refused: ") + std::string(to_string(*ch->refusal())) : ""));
      }
      return;
    }
    if (!conn) {
      auto c = m.accept(*ch);
      if (!c) return finish("no connection: " + std::string(to_string(c.error())));
      conn = std::move(*c);
      log("handshake " + peer_text + " peer=" + to_string(conn->peer) + describe(*conn));
    }
    while (!done) {
      std::size_t used = 0;
      auto got = reader.read(ch->received(), used);
      ch->consume_received(used);
      if (!got) break;
      mef::response r = got->message ? m.handle(*conn, *got->message) : mef::response{got->code, got->rqi, {}, got->refused};
      if (!got->message) {
        const auto t = mef::refusal_text(got->code);
        r.body.assign(t.begin(), t.end());
      }
      log(std::string(r.refused ? "refused " : "served ") + peer_text + " peer=" + to_string(conn->peer) +
          (got->message ? " to=" + got->message->to + " from=" + got->message->from : std::string(" (not a request)")) +
          " rqi=" + r.rqi + " rsc=" + std::to_string(static_cast<unsigned>(r.code)) +
          (r.refused ? " why=" + std::string(to_string(*r.refused)) : std::string()));
      held.push_back(mef::http::write_response(r));
      if (got->fatal) {
        close_after = true;
        return finish("framing error, closed");
      }
    }
  }
  // Sends the held answers once the writes they acknowledge are committed; if the
  // commit failed, none is sent and the connection ends: nothing is acknowledged
  // that the store does not hold.
  void release(bool committed) {
    if (held.empty()) return;
    if (!committed) {
      log("dropped " + std::to_string(held.size()) + " answer(s) to " + peer_text + ": the store did not commit");
      held.clear();
      ch->close();
      return finish("store failure");
    }
    for (const auto& out : held)
      if (auto sent = ch->send(as_bytes(std::string_view(out.data(), out.size()))); !sent) {
        finish("send failed");
        break;
      }
    held.clear();
    if (close_after) ch->close();
  }
  void finish(const std::string& why) {
    if (!done) log("closed " + peer_text + ": " + why);
    done = true;
  }
};

// What makes a server channel for a listener: the transport, and whether it is a
// certificate listener. nullptr when none can be made (logged).
using channel_factory = std::function<std::unique_ptr<channel>(tls::transport, bool certificate)>;

// The sockets of one function (an MEF or a MAF: `Engine`), on one thread.
template <class Engine>
class daemon {
 public:
  daemon(asio::io_context& io, Engine& e, settings s, channel_factory make)
      : io_(io), engine_(e), s_(std::move(s)), make_(std::move(make)), sweep_(io) {}

  void start() {
    if (!s_.tcp.empty()) listen_tcp(s_.tcp, false);
    if (!s_.tcp_cert.empty()) listen_tcp(s_.tcp_cert, true);
    if (!s_.udp.empty()) listen_udp(s_.udp, false);
    if (!s_.udp_cert.empty()) listen_udp(s_.udp_cert, true);
    std::printf("ready\n");
    std::fflush(stdout);
    sweep();
  }
  void stop() {
    end_round();
    for (auto& a : acceptors_) a.socket.close();
    for (auto& u : udps_) u.socket.close();
    sweep_.cancel();
    // A pump's end forgets its connection (erases it from tcp_): stop from a copy.
    auto open = std::exchange(tcp_, {});
    for (auto& [id, c] : open) c->io->stop("stopped");
    dtls_.clear();
  }

 private:
  struct tcp_listener {
    tcp::acceptor socket;
    bool certificate;
  };
  struct udp_listener {
    udp::socket socket;
    bool certificate;
    std::array<unsigned char, 65536> buf{};
    udp::endpoint from;
  };
  using peer_key = std::pair<udp_listener*, udp::endpoint>;

  // A TCP connection: its session, on the library's pump (channel/asio_pump.hpp).
  using pump = tls::asio_pump<channel>;
  struct tcp_conn {
    session<Engine> s;
    std::shared_ptr<pump> io;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  };
  // After bytes came in: requests answered, their answers sent once the store
  // committed what they wrote; a finished session ends when its answers are written.
  void tcp_input(std::uint64_t id) {
    auto it = tcp_.find(id);
    if (it == tcp_.end()) return;
    auto& c = *it->second;
    before_requests();
    c.s.progress(engine_);
    c.io->flush();
    after_requests([this, id](bool committed) {
      auto at = tcp_.find(id);
      if (at == tcp_.end()) return;
      auto& conn = *at->second;
      conn.s.release(committed);
      conn.io->flush();
      if (conn.s.done && conn.s.held.empty()) conn.io->close_when_written(false);
    });
  }

  struct dtls_conn {
    session<Engine> s;
    std::chrono::steady_clock::time_point started, last;
  };

  std::unique_ptr<channel> new_channel(tls::transport kind, bool certificate) { return make_(kind, certificate); }

  void listen_tcp(const std::string& where, bool certificate) {
    auto& l = acceptors_.emplace_back(tcp_listener{tcp::acceptor(io_, endpoint_of<tcp::endpoint>(where)), certificate});
    const auto ep = l.socket.local_endpoint();
    std::printf("listening tcp%s %s:%u\n", certificate ? "-cert" : "", ep.address().to_string().c_str(), ep.port());
    accept(l);
  }
  void accept(tcp_listener& l) {
    l.socket.async_accept([this, &l](boost::system::error_code ec, tcp::socket sock) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (tcp_.size() >= s_.max_connections) {
          log("refused a TCP connection: " + std::to_string(tcp_.size()) + " open");
        } else if (auto ch = new_channel(tls::transport::stream, l.certificate)) {
          boost::system::error_code e2;
          sock.set_option(tcp::no_delay(true), e2);  // handshake flights and answers are small: no Nagle wait
          const auto ep = sock.remote_endpoint(e2);
          auto c = std::make_shared<tcp_conn>();
          c->s.ch = ch.get();
          c->s.peer_text = std::string(l.certificate ? "tcp-cert:" : "tcp:") +
                           (e2 ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port()));
          const auto id = ++next_id_;
          tcp_[id] = c;
          // The handlers find the connection by its number: it may be gone by then.
          c->io = pump::start(std::move(sock), std::move(ch),
                              {[this, id](pump&) { tcp_input(id); },
                               [this, id](pump&, std::string_view why) {
                                 auto it = tcp_.find(id);
                                 if (it == tcp_.end()) return;
                                 auto gone = std::move(it->second);  // alive until this handler returns
                                 tcp_.erase(it);
                                 gone->s.finish(std::string(why));
                               }});
        }
      }
      accept(l);
    });
  }

  // Group commit: the writes of every request handled until the event loop comes
  // back to this round's end are one transaction of the store, and their answers
  // are sent after it commits. A store without batches answers at once.
  static constexpr bool batching = requires(Engine& e) {
    e.store().begin();
    e.store().commit();
  };
  void before_requests() {
    if constexpr (batching) {
      if (round_open_) return;
      if (auto b = engine_.store().begin(); !b) {
        log("store: cannot begin a batch: " + std::string(to_string(b.error())));
        return;
      }
      round_open_ = true;
      // The round ends a moment later: what other connections send meanwhile joins it.
      round_timer_.expires_after(s_.commit_delay);
      round_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) end_round();
      });
    }
  }
  void after_requests(std::function<void(bool)> release) {
    if (round_open_) waiting_.push_back(std::move(release));
    else release(true);
  }
  void end_round() {
    if constexpr (batching) {
      if (!round_open_) return;
      round_open_ = false;
      const auto c = engine_.store().commit();
      if (!c) log("store: commit failed: " + std::string(to_string(c.error())));
      auto waiting = std::exchange(waiting_, {});
      for (auto& release : waiting) release(c.has_value());
    }
  }

  void listen_udp(const std::string& where, bool certificate) {
    auto& u = udps_.emplace_back(udp_listener{udp::socket(io_, endpoint_of<udp::endpoint>(where)), certificate, {}, {}});
    const auto ep = u.socket.local_endpoint();
    std::printf("listening udp%s %s:%u\n", certificate ? "-cert" : "", ep.address().to_string().c_str(), ep.port());
    receive(u);
  }
  void receive(udp_listener& u) {
    u.socket.async_receive_from(asio::buffer(u.buf), u.from, [this, &u](boost::system::error_code ec, std::size_t n) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) datagram(u, n);
      receive(u);
    });
  }
  void datagram(udp_listener& u, std::size_t n) {
    const auto now = std::chrono::steady_clock::now();
    const auto key = peer_key{&u, u.from};
    auto it = dtls_.find(key);
    if (it == dtls_.end()) {
      if (dtls_.size() >= s_.max_connections) return;  // full: dropped, as a lost datagram is
      auto ch = new_channel(tls::transport::datagram, u.certificate);
      if (!ch) return;
      it = dtls_.emplace(key, dtls_conn{}).first;
      it->second.s.ch = ch.get();
      it->second.s.owned = std::move(ch);
      it->second.s.peer_text = std::string(u.certificate ? "udp-cert:" : "udp:") + u.from.address().to_string() + ":" +
                               std::to_string(u.from.port());
      it->second.started = now;
    }
    auto& c = it->second;
    c.last = now;
    before_requests();
    (void)c.s.ch->feed(bytes_view(u.buf.data(), n));
    c.s.progress(engine_);
    send_datagrams(it->first, c);
    after_requests([this, key](bool committed) {
      auto at = dtls_.find(key);
      if (at == dtls_.end()) return;
      at->second.s.release(committed);
      send_datagrams(at->first, at->second);
      if (at->second.s.done) dtls_.erase(at);
    });
  }
  void send_datagrams(const peer_key& to, dtls_conn& c) {
    c.s.ch->drain_outgoing([&](bytes_view d) {
      boost::system::error_code ignored;
      to.first->socket.send_to(asio::buffer(d.data(), d.size()), to.second, 0, ignored);
    });
  }

  // Every second: DTLS retransmissions, and connections that never finished their
  // handshake or went idle are dropped.
  void sweep() {
    sweep_.expires_after(std::chrono::seconds(1));
    sweep_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      const auto now = std::chrono::steady_clock::now();
      auto stale = [&](const session<Engine>& s, auto started, auto last) {
        return (!s.conn && now - started > s_.handshake_timeout) || now - last > s_.idle_timeout ||
               now - started > s_.connection_lifetime;  // a trickle of bytes keeps no connection forever
      };
      std::vector<std::shared_ptr<tcp_conn>> drop;
      for (auto& [id, c] : tcp_)
        if (stale(c->s, c->started, c->io->last_activity())) drop.push_back(c);
      for (auto& c : drop) c->io->stop("timed out");
      for (auto it = dtls_.begin(); it != dtls_.end();) {
        if (stale(it->second.s, it->second.started, it->second.last)) {
          it->second.s.finish("timed out");
          it = dtls_.erase(it);
          continue;
        }
        (void)it->second.s.ch->tick();
        send_datagrams(it->first, it->second);
        ++it;
      }
      sweep();
    });
  }

  static inline const system_clock clock_{};
  asio::io_context& io_;
  Engine& engine_;
  settings s_;
  channel_factory make_;
  asio::steady_timer sweep_;
  std::list<tcp_listener> acceptors_;  // stable addresses: handlers refer to them
  std::list<udp_listener> udps_;
  std::map<std::uint64_t, std::shared_ptr<tcp_conn>> tcp_;
  std::map<peer_key, dtls_conn> dtls_;
  std::uint64_t next_id_ = 0;
  bool round_open_ = false;
  asio::steady_timer round_timer_{io_};
  std::vector<std::function<void(bool)>> waiting_;
};

// The listeners, the certificate, the limits and the commit delay of a configuration.
inline settings read_settings(const json& cfg) {
  settings s;
  const auto listen = cfg.value("listen", json::object());
  s.tcp = str(listen, "tcp", "");
  s.udp = str(listen, "udp", "");
  s.tcp_cert = str(listen, "tcp_certificate", "");
  s.udp_cert = str(listen, "udp_certificate", "");
  if (!s.tcp_cert.empty() || !s.udp_cert.empty()) {
    const auto& c = cfg.at("certificate");
    auto file = [&](const char* name) { return file_text(str(c, name), std::string("certificate.") + name); };
    s.own = tls::own_certificate{file("chain"), file("key")};
    s.anchors = std::make_shared<trust_anchors>();
    if (!s.anchors->add(as_bytes(file("anchors")))) bad_config("certificate.anchors: no certificate read");
  }
  if (cfg.contains("max_connections")) s.max_connections = cfg["max_connections"].get<std::size_t>();
  if (cfg.contains("handshake_timeout_s")) s.handshake_timeout = std::chrono::seconds(cfg["handshake_timeout_s"].get<unsigned>());
  if (cfg.contains("idle_timeout_s")) s.idle_timeout = std::chrono::seconds(cfg["idle_timeout_s"].get<unsigned>());
  if (cfg.contains("connection_lifetime_s"))
    s.connection_lifetime = std::chrono::seconds(cfg["connection_lifetime_s"].get<unsigned>());
  if (cfg.contains("commit_delay_us")) s.commit_delay = std::chrono::microseconds(cfg["commit_delay_us"].get<unsigned>());

  return s;
}

// The 32-byte store key from the file `store.key_file` names (64 hex digits).
inline secret store_key(const json& store) {
  const auto file = secret_file(str(store, "key_file"), "store.key_file");
  auto hex = text_of(file);
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.remove_suffix(1);
  auto key = hex.size() == 64 ? hex_decode_secret(hex) : fail(errc::invalid_encoding);
  if (!key) bad_config("store.key_file: 64 hex digits expected");
  return std::move(*key);
}
// A store that opened, or exit 2.
template <class S>
S opened(result<S> s) {
  if (!s) {
    log("cannot open the store: " + std::string(to_string(s.error())));
    std::exit(2);
  }
  return std::move(*s);
}

// Serves `e` until SIGTERM or SIGINT: 0, or 2 when a listener cannot be opened.
template <class Engine>
int run(Engine& e, const settings& s, channel_factory make) {
  asio::io_context io;
  daemon<Engine> d(io, e, s, std::move(make));
  try {
    d.start();
  } catch (const boost::system::system_error& e) {
    log(std::string("cannot listen: ") + e.what());
    return 2;
  }
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code, int sig) {
    log("signal " + std::to_string(sig) + ", stopping");
    d.stop();
    io.stop();
  });
  log("serving " + e.settings().domain.str());
  io.run();
  log("stopped");
  return 0;
}

}  // namespace m2msec::tools
