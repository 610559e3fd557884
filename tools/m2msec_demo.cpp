// m2msec-demo: the whole oneM2M security chain on this machine's loopback, each
// step printed in plain words. The MEF and the MAF are the real programs
// (m2msec-mef, m2msec-maf), started as child processes on ports of the kernel's
// choosing; the AE, its Registrar (an MN-CSE) and the IN-CSE are this process,
// linked by TLS over socket pairs. Every step checks what it shows: the exit code
// is 0 when all of them held, 1 when one did not (its line says which), 2 for bad
// arguments.
//
// usage: m2msec-demo [--mef <m2msec-mef>] [--maf <m2msec-maf>]
// (by default, the programs beside this one)
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <thread>

#include "m2msec/e2e/esdata.hpp"
#include "m2msec/e2e/esprim.hpp"
#include "m2msec/e2e/esprim/notify.hpp"
#include "m2msec/enrolment/blocking_client.hpp"
#include "m2msec/enrolment/maf.hpp"
#include "m2msec/enrolment/mef.hpp"

using namespace m2msec;
using namespace std::chrono_literals;
using channel = tls::channel<>;
using json = jose::json;

namespace {

const system_clock clk{};
const fqdn mef_fqdn = *fqdn::parse("mef.example.com");
const fqdn maf_fqdn = *fqdn::parse("maf.example.com");
const sp_id sp = *sp_id::parse("//sp.example.com");
// The cast.
const entity_id meter = *ae_id::parse("/mn-cse/Cmeter");  // the AE, on a field Node
const std::string meter_from = "Cmeter";                  // the From it sends
const entity_id mn_cse = *cse_id::parse("/mn-cse");       // its Registrar, a gateway
const entity_id in_cse = *cse_id::parse("/in-cse");       // the infrastructure node
const entity_id other_cse = *cse_id::parse("/other-cse"); // a CSE the data is not for
// A MAF's targets are absolute.
const entity_id in_abs = *cse_id::parse("//sp.example.com/in-cse");
const entity_id mn_abs = *cse_id::parse("//sp.example.com/mn-cse");

// ---- what the demo prints ------------------------------------------------------------

struct step_failed : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Stops the demo with `what` unless `ok`.
void expect(bool ok, const std::string& what) {
  if (!ok) throw step_failed(what);
}
template <class T, class E>
T need(tl::expected<T, E> r, const std::string& what) {
  if (!r) {
    if constexpr (std::is_same_v<E, errc>) throw step_failed(what + ": " + std::string(to_string(r.error())));
    else throw step_failed(what + ": " + std::to_string(static_cast<int>(r.error().code)));
  }
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

void heading(int n, const char* title) { std::printf("\n%d. %s\n", n, title); }
// One indented line (printf's format, checked by the compiler).
[[gnu::format(printf, 1, 2)]] void say(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::printf("   ");
  std::vprintf(format, args);
  va_end(args);
  std::printf("\n");
  std::fflush(stdout);
}
std::string text(const entity_id& e) { return to_string(e); }
std::string text(const bound_identity& b) { return to_string(b); }
std::string text(rsc c) { return std::to_string(static_cast<int>(c)) + " " + std::string(to_string(c)); }
// "20261206T235900 (in 6 d 23 h)"
std::string until(time_point t) {
  const long long s = std::chrono::duration_cast<std::chrono::seconds>(t - clk.now()).count();
  char in[48];
  if (s >= 86400) std::snprintf(in, sizeof in, "in %lld d %lld h", s / 86400, s % 86400 / 3600);
  else if (s >= 3600) std::snprintf(in, sizeof in, "in %lld h %lld min", s / 3600, s % 3600 / 60);
  else if (s >= 60) std::snprintf(in, sizeof in, "in %lld min", s / 60);
  else std::snprintf(in, sizeof in, "in %lld s", s);
  return esprim::to_timestamp(t) + " UTC (" + in + ")";
}
std::string suite_name(std::uint16_t s) {
  switch (s) {
    case 0x00AE: return "TLS_PSK_WITH_AES_128_CBC_SHA256";
    case 0xC0A8: return "TLS_PSK_WITH_AES_128_CCM_8";
    default: {
      char b[8];
      std::snprintf(b, sizeof b, "0x%04X", s);
      return b;
    }
  }
}

// ---- the MEF and the MAF, as child processes ----------------------------------------------

// A folder of its own for the configurations (they hold keys) and the logs, removed at the end.
struct work_folder {
  std::filesystem::path path;
  work_folder() {
    std::string t = (std::filesystem::temp_directory_path() / "m2msec-demo-XXXXXX").string();
    if (::mkdtemp(t.data()) == nullptr) throw step_failed("cannot make a temporary folder");
    path = t;
  }
  ~work_folder() { std::filesystem::remove_all(path); }
  // Writes `content` to a new file only its owner reads.
  std::string write(const char* name, std::string_view content) const {
    const auto p = (path / name).string();
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    const bool ok = fd >= 0 && ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    if (fd >= 0) ::close(fd);
    expect(ok, "cannot write " + p);
    return p;
  }
};

// A server program whose stdout says "listening tcp <addr>:<port>" ... "ready";
// its stderr is its log. Stopped with SIGTERM when it goes.
class daemon_process {
 public:
  daemon_process(const std::string& program, const std::string& config, const std::string& log) : log_(log) {
    int out[2];
    expect(::pipe2(out, O_CLOEXEC) == 0, "pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(err, 2);
      ::execl(program.c_str(), program.c_str(), config.c_str(), static_cast<char*>(nullptr));
      std::fprintf(stderr, "cannot run %s: %s\n", program.c_str(), std::strerror(errno));
      ::_exit(127);
    }
    ::close(out[1]);
    std::string lines;
    char buf[256];
    pollfd p{out[0], POLLIN, 0};
    while (lines.find("ready\n") == std::string::npos && ::poll(&p, 1, 10000) == 1) {
      const auto n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      lines.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    if (const auto at = lines.find("listening tcp "); at != std::string::npos)
      port = static_cast<unsigned short>(std::atoi(lines.c_str() + lines.find(':', at) + 1));
    if (lines.find("ready\n") == std::string::npos || port == 0) {
      stop();
      throw step_failed(program + " did not start; its log:\n" + log_text());
    }
  }
  daemon_process(const daemon_process&) = delete;
  ~daemon_process() { stop(); }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::string log_text() const {
    std::FILE* f = std::fopen(log_.c_str(), "r");
    std::string s;
    for (int c; f != nullptr && (c = std::fgetc(f)) != EOF;) s += static_cast<char>(c);
    if (f != nullptr) std::fclose(f);
    return s;
  }
  unsigned short port = 0;

 private:
  std::string log_;
  pid_t pid_ = -1;
};

// 32 fresh random bytes, and the same as 64 hex digits for a configuration file.
struct fresh_key {
  secret key;
  jose::wiping_string hex;
  fresh_key() : key(need(secret::allocate(32), "key")) {
    need(crypto::rng<>::fill(key.expose()), "random key");
    static const char digits[] = "0123456789abcdef";
    for (byte b : key.expose()) {
      hex += digits[b >> 4];
      hex += digits[b & 15];
    }
  }
};

// A configuration's key entry: identifier, key, holder, lifetime.
jose::wiping_string key_entry(std::string_view id, const fresh_key& k, std::string_view holder, validity life) {
  jose::wiping_string s = "{\"id\":\"";
  s.append(id).append("\",\"key\":\"").append(k.hex).append("\",\"holder\":\"").append(holder);
  s.append("\",\"not_before\":\"").append(esprim::to_timestamp(life.not_before()));
  s.append("\",\"not_after\":\"").append(esprim::to_timestamp(life.not_after())).append("\"}");
  return s;
}

// A pre-provisioned key as its holder keeps it.
symmetric_credential preprovisioned(const fresh_key& k, credential_id_type type, std::string_view id, suid usage,
                                    const entity_id& holder, validity life) {
  return need(symmetric_credential::make(need(k.key.clone(), "key"), need(credential_id::make(type, std::string(id)), "id"),
                                         usage, holder, life),
              "credential");
}

// ---- a client's connection to the MEF or the MAF ---------------------------------------

// One TLS connection to the function at 127.0.0.1:`port`, after the MEF
// handshake (`Handshake` = mef_handshake: psk_identity KpmID or KeID) or the MAF
// handshake (maf_handshake: KmID). Its requests are answered one at a time.
template <class Handshake>
class function_connection {
 public:
  function_connection(unsigned short port, const fqdn& function, symmetric_credential cred, entity_id self)
      : cred_(std::move(cred)),
        self_(std::move(self)),
        function_(function),
        psk_(need(sa::bound<secret>::create(need(cred_.key().clone(), "key"), {self_, cred_.id()}, cred_,
                                            requested_lifetime::session(5min), {}, clk),
                  "the handshake's association")),
        socket_(need(mef::tcp_socket::connect("127.0.0.1", port), "connect to " + function.str())),
        channel_(need(tls::connect<Handshake>({tls::transport::stream, function.str()},
                                              need(Handshake::identity_type::parse(cred_.id().value()), "identity"), psk_,
                                              clk),
                      "channel")) {
    expect(mef::handshake(*channel_, socket_.fd()),
           "no handshake with " + function.str() + ": " + std::string(to_string(channel_->error().value_or(errc::auth_failed))));
  }
  function_connection(const function_connection&) = delete;
  // close_notify, then what the function still sends is read until it closes too
  // (closing with unread bytes would reset the connection).
  ~function_connection() {
    channel_->close();
    (void)tls::flush(*channel_, socket_.fd());
    ::shutdown(socket_.fd(), SHUT_WR);
    char sink[512];
    pollfd p{socket_.fd(), POLLIN, 0};
    while (::poll(&p, 1, 1000) == 1 && ::recv(socket_.fd(), sink, sizeof sink, 0) > 0) {
    }
  }
  mef::response call(mef::request r) { return need(mef::call(*channel_, socket_.fd(), r, function_.str()), "no answer"); }
  channel& tls() { return *channel_; }

 private:
  symmetric_credential cred_;
  entity_id self_;
  fqdn function_;
  sa::bound<secret> psk_;
  mef::tcp_socket socket_;
  std::unique_ptr<channel> channel_;
};

// ---- links between the AE and the CSEs ---------------------------------------------------

// A client channel and a server channel over a socket pair.
struct link {
  std::unique_ptr<channel> client, server;
  int fd[2] = {-1, -1};

  link(std::unique_ptr<channel> c, std::unique_ptr<channel> s) : client(std::move(c)), server(std::move(s)) {
    expect(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) == 0, "socketpair");
  }
  link(const link&) = delete;
  ~link() {
    ::close(fd[0]);
    ::close(fd[1]);
  }
  bool pump(const std::function<bool()>& done) {
    return tls::pump_until<channel>({{client.get(), fd[0]}, {server.get(), fd[1]}}, done, 5s);
  }
  // The handshake; whether both ends are up.
  bool handshake() {
    pump([&] { return (client->active() && server->active()) || client->closed() || server->closed(); });
    return client->active() && server->active();
  }
  // `bytes` from one end to the other, as the far end receives them.
  std::string carry(std::string_view bytes, bool upward) {
    channel& from = upward ? *client : *server;
    channel& to = upward ? *server : *client;
    need(from.send(as_bytes(bytes)), "send");
    expect(pump([&] { return to.received().size() >= bytes.size(); }), "nothing arrived");
    const auto got = to.received();
    std::string out(reinterpret_cast<const char*>(got.data()), got.size());
    to.consume_received(got.size());
    return out;
  }
};

// A CSE's identities for a PSK server: KeIDs of the MEF fetched there, KcIDs of the MAF retrieved there.
struct psk_fetcher {
  std::map<std::string, symmetric_credential> held;
  tls::psk_router<> router{[](std::string_view, std::string_view) -> result<tls::psk_entry> { return fail(errc::not_found); }};

  // The key named `identity`: one kept and still valid, or the one `fetch` gets (kept then).
  result<tls::psk_entry> operator()(std::string_view identity, const std::function<symmetric_credential()>& fetch) {
    auto at = held.find(std::string(identity));
    try {
      if (at == held.end() || !at->second.lifetime().contains(clk.now()))
        at = held.insert_or_assign(std::string(identity), fetch()).first;
    } catch (const step_failed& e) {
      say("no key for %s: %s", std::string(identity).c_str(), e.what());
      return fail(errc::not_found);
    }
    const auto& c = at->second;
    const bound_identity who = std::holds_alternative<ae_id>(c.holder()) ? bound_identity{std::get<ae_id>(c.holder())}
                                                                         : bound_identity{std::get<cse_id>(c.holder())};
    return tls::psk_entry{&c, who};
  }
};

// ---- the demo ------------------------------------------------------------------------

struct programs {
  std::string mef, maf;
};

int run(const programs& p) {
  const auto now = std::chrono::floor<std::chrono::seconds>(clk.now());
  const auto factory = *validity::make(now - 24h, now + 365 * 24h);  // pre-provisioned keys
  const time_point enrolment_expiry = now + 7 * 24h;
  work_folder dir;
  const fresh_key kpm_meter, kpm_mn, kpm_maf, km_in, km_mn, km_other, link_key;

  std::printf("m2msec-demo: the oneM2M security chain (TS-0001 clause 11, TS-0003), on loopback\n");
  const auto mef_config = dir.write("mef.json", jose::wiping_string("{\"fqdn\":\"mef.example.com\",")
      .append("\"listen\":{\"tcp\":\"127.0.0.1:0\"},\"store\":{\"kind\":\"memory\"},\"kpm\":[")
      .append(key_entry("meter@mef.example.com", kpm_meter, text(meter), factory)).append(",")
      .append(key_entry("mn@mef.example.com", kpm_mn, text(mn_cse), factory)).append(",")
      .append(key_entry("maf@mef.example.com", kpm_maf, "maf.example.com", factory)).append("],")
      .append("\"enrolees\":[{\"id\":\"").append(text(meter)).append("\",\"targets\":[\"/mn-cse\",\"maf.example.com\"],")
      .append("\"expiry\":\"").append(esprim::to_timestamp(enrolment_expiry)).append("\"}]}\n"));
  daemon_process mef(p.mef, mef_config, (dir.path / "mef.log").string());
  const auto maf_config = dir.write("maf.json", jose::wiping_string("{\"fqdn\":\"maf.example.com\",\"sp\":\"//sp.example.com\",")
      .append("\"listen\":{\"tcp\":\"127.0.0.1:0\"},\"store\":{\"kind\":\"memory\"},\"max_key_lifetime_s\":86400,")
      .append("\"mef\":{\"address\":\"127.0.0.1:").append(std::to_string(mef.port)).append("\",\"fqdn\":\"mef.example.com\",")
      .append("\"kpm\":").append(key_entry("maf@mef.example.com", kpm_maf, "maf.example.com", factory)).append("},\"km\":[")
      .append(key_entry("in@maf.example.com", km_in, text(in_cse), factory)).append(",")
      .append(key_entry("mn@maf.example.com", km_mn, text(mn_cse), factory)).append(",")
      .append(key_entry("other@maf.example.com", km_other, text(other_cse), factory)).append("]}\n"));
  daemon_process maf(p.maf, maf_config, (dir.path / "maf.log").string());

  const auto in_km = [&] {
    return preprovisioned(km_in, credential_id_type::km_id, "in@maf.example.com", suid::preprovisioned_maf, in_cse, factory);
  };

  std::printf("\nThe cast\n");
  say("MEF     m2msec-mef, %s, on 127.0.0.1:%u (process %d)", mef_fqdn.str().c_str(), mef.port, mef.pid());
  say("MAF     m2msec-maf, %s, on 127.0.0.1:%u (process %d)", maf_fqdn.str().c_str(), maf.port, maf.pid());
  say("AE      %s, a meter on a field Node; it sends From: %s", text(meter).c_str(), meter_from.c_str());
  say("MN-CSE  %s, the meter's Registrar, a gateway", text(mn_cse).c_str());
  say("IN-CSE  %s, the service provider %s's infrastructure node", text(in_cse).c_str(), sp.str().c_str());
  say("Each holds only a key pre-provisioned at the factory, valid until %s:", esprim::to_timestamp(factory.not_after()).c_str());
  say("the AE and the MN-CSE a Kpm for the MEF, the CSEs a Km for the MAF; the MN-CSE and IN-CSE one for their link.");

  // 1. TS-0003 §8.3.2.1: the Enrolee's MEF handshake with its Kpm; Ke and KeID from the exporter.
  heading(1, "Node enrolment at the MEF (TS-0003 8.3)");
  auto meter_kpm = preprovisioned(kpm_meter, credential_id_type::kpm_id, "meter@mef.example.com",
                                  suid::preprovisioned_mef, meter, factory);
  std::optional<mef::enrolment> enrolled;
  {
    function_connection<tls::mef_handshake> c(mef.port, mef_fqdn, std::move(meter_kpm), meter);
    say("the AE opened a TLS-PSK session with the MEF: psk_identity meter@mef.example.com (its KpmID), %s",
        suite_name(c.tls().suite()).c_str());
    auto ke = need(tls::enrolment_key(c.tls(), mef_fqdn), "Ke");
    say("both ends exported Ke and its name from the session (EXPORTER-oneM2M-Bootstrap)");
    enrolled.emplace(need(mef::read_enrolment(c.call(mef::enrolment_request(meter, "enrol-1")), std::move(ke), meter),
                          "enrolment"));
  }
  say("the MEF enrolled %s: KeID %s", text(meter).c_str(), enrolled->answer.id.str().c_str());
  say("Ke is valid until %s", until(enrolled->answer.lifetime.not_after()).c_str());

  // 2. TS-0003 §8.3.4, §10.3.7: usage-constrained keys derived from Ke, one per Enrolment Target.
  heading(2, "Remote provisioning through the MEF (TS-0003 8.3.4, 10.3.7)");
  auto saef_key = need(enrolled->key_for(suid::rspf_saef, mn_cse, meter), "the key for the MN-CSE");
  auto maf_key = need(enrolled->key_for(suid::rspf_maf, entity_id{maf_fqdn}, meter), "the key for the MAF");
  say("the AE derived from Ke a key for its Registrar %s (SUID 22, PSK-SAEF)", text(mn_cse).c_str());
  say("and one for the MAF (SUID 21), both named by the KeID and valid until %s",
      until(saef_key.lifetime().not_after()).c_str());
  expect(saef_key.lifetime().not_after() < enrolled->answer.lifetime.not_after(), "a derived key outlives Ke");
  say("each ends strictly before Ke does; the Targets will fetch the same keys from the MEF");

  // The MN-CSE: KeIDs of the MEF are fetched there (fetchCredentials) with its own Kpm.
  psk_fetcher mn_keys;
  const auto mn_kpm = preprovisioned(kpm_mn, credential_id_type::kpm_id, "mn@mef.example.com", suid::preprovisioned_mef,
                                     mn_cse, factory);
  mn_keys.router.route(mef_fqdn, [&](std::string_view identity, std::string_view) {
    return mn_keys(identity, [&] {
      const auto id = need(ke_id::parse(identity), "KeID");
      function_connection<tls::mef_handshake> c(mef.port, mef_fqdn, need(mn_kpm.clone(), "Kpm"), mn_cse);
      auto released = need(mef::read_released(c.call(mef::fetch_request(mn_cse, "fetch-1", id, suid::rspf_saef)), id,
                                              suid::rspf_saef),
                           "fetchCredentials");
      say("the MN-CSE did not know %s: it fetched the key from the MEF, for %s", id.str().c_str(),
          text(released.holder()).c_str());
      return released;
    });
  });
  const auto registrar_sa = [&](duration life) {
    return need(channel::psk_server({tls::transport::stream, "mn-cse.sp.example.com"}, mn_cse, mn_keys.router.resolver(),
                                    requested_lifetime::session(life), {}, clk),
                "the MN-CSE's channel");
  };
  const auto meter_sa = [&](sa::bound<secret>& psk) {
    return need(channel::psk_client({tls::transport::stream, "mn-cse.sp.example.com"}, enrolled->answer.id.str(), psk, clk),
                "the AE's channel");
  };
  const request_context at_registrar{.ae_registered = true, .own_sp = sp};

  // 3. TS-0003 §8.2.2.2: PSK-SAEF with the provisioned key, psk_identity = KeID.
  heading(3, "Security association with the Registrar, PSK-SAEF (TS-0003 8.2.2)");
  auto meter_psk = need(sa::bound<secret>::create(need(saef_key.key().clone(), "key"), {meter, *cse_id::parse("/mn-cse")},
                                                  saef_key, requested_lifetime::session(1h), {}, clk),
                        "the AE's association");
  link to_registrar(meter_sa(meter_psk), registrar_sa(1h));
  expect(to_registrar.handshake(), "PSK-SAEF failed");
  auto* registrar_view = to_registrar.server->association();
  say("TLS up, %s: the MN-CSE bound the association to %s, until %s",
      suite_name(to_registrar.server->suite()).c_str(), text(registrar_view->who().peer).c_str(),
      until(registrar_view->lifetime().not_after()).c_str());
  const std::string retrieve = json{{"op", 2}, {"to", "/mn-cse/meter-7/la"}, {"fr", meter_from}, {"rqi", "rq-1"}, {"rvi", "4"}}.dump();
  const auto got = to_registrar.carry(retrieve, true);
  const rsc own = to_registrar.server->check_originator(meter_from, at_registrar);
  const rsc spoofed = to_registrar.server->check_originator("Cneighbour", at_registrar);
  say("a RETRIEVE over it, From: %s -> %s", meter_from.c_str(), text(own).c_str());
  say("the same association claiming From: Cneighbour -> %s", text(spoofed).c_str());
  expect(got == retrieve && own == rsc::ok && spoofed != rsc::ok, "the Registrar's From check");

  // 4. TS-0003 §8.4: ESPrim, the AE to the IN-CSE through the MN-CSE, with a pairwise key from the MAF.
  heading(4, "End-to-end security of primitives through a transit CSE, ESPrim (TS-0003 8.4, 8.8)");
  std::optional<maf::registered_key> esprim_kc;
  {
    function_connection<tls::maf_handshake> c(maf.port, maf_fqdn, std::move(maf_key), meter);
    say("the AE opened a session with the MAF with its SUID 21 key, psk_identity its KeID;");
    say("the MAF fetched that key from the MEF (see its log) and bound the session to %s", text(meter).c_str());
    const auto reg = c.call(maf::registration_request(meter, "reg-1", *fqdn::parse("meter.example.com"), now + 24h));
    expect(reg.code == rsc::created, "MAF client registration: " + text(reg.code));
    auto kc = need(tls::connection_key(c.tls(), maf_fqdn), "Kc");
    const auto answer = c.call(maf::key_registration_request(meter, "key-1", suid::maf_esprim,
                                                             {in_abs}, now + 2h));
    esprim_kc.emplace(need(maf::read_key_registration(answer, meter, maf_fqdn, std::move(kc.key), kc.id), "key registration"));
  }
  say("it registered Kc of that session for ESPrim (SUID 33) with the target %s:", text(in_abs).c_str());
  say("KcID %s, until %s", esprim_kc->id.str().c_str(), until(esprim_kc->answer.lifetime.not_after()).c_str());
  // The IN-CSE retrieves it with its Km and publishes a shared receiver rand object (e2eSecInfo esro).
  esprim::receiver in_rx(in_cse);
  {
    function_connection<tls::maf_handshake> c(maf.port, maf_fqdn, in_km(), in_cse);
    auto kc = need(maf::read_retrieved(c.call(maf::key_retrieval_request(in_cse, "ret-1", esprim_kc->id)), esprim_kc->id),
                   "the IN-CSE's retrieval");
    need(in_rx.add_pairwise_key(need(maf::esprim_key(kc, esprim_kc->id, in_cse, meter_from), "pairwise key")), "add key");
    say("the IN-CSE retrieved it with its Km; both derived the pairwiseESPrimKey, living as Kc does");
  }
  const auto esro = need(in_rx.issue_rand_object(30min, true, clk), "receiver rand object");
  say("the IN-CSE publishes a receiver rand object in its e2eSecInfo, until %s", until(esro.expiry).c_str());
  auto session = need(esprim::originator::start(need(maf::esprim_key(need(esprim_kc->credential(meter), "Kc"),
                                                                     esprim_kc->id, meter, meter_from),
                                                      "pairwise key"),
                                                meter, esro, jose::enc::a256gcm, 30min, clk),
                      "ESPrim session");
  say("the AE made its own rand object and the sessionESPrimKey (A256GCM)");
  // The MN-CSE's link to the IN-CSE: TLS-PSK with a key they were given for it.
  const auto link_cred = preprovisioned(link_key, credential_id_type::kpsa_or_kc_id, "mn-in@sp.example.com",
                                        suid::preprovisioned_saef, mn_cse, factory);
  auto mn_psk = need(sa::bound<secret>::create(need(link_cred.key().clone(), "key"), {mn_cse, link_cred.id()}, link_cred,
                                               requested_lifetime::session(1h), {}, clk),
                     "link association");
  link mn_to_in(need(channel::psk_client({tls::transport::stream, "in-cse.sp.example.com"}, "mn-in@sp.example.com", mn_psk, clk),
                     "link"),
                need(channel::psk_server({tls::transport::stream, "in-cse.sp.example.com"}, in_cse,
                                         [&](std::string_view, std::string_view) -> result<tls::psk_entry> {
                                           return tls::psk_entry{&link_cred, *cse_id::parse("/mn-cse")};
                                         },
                                         requested_lifetime::session(1h), {}, clk),
                     "link"));
  expect(mn_to_in.handshake(), "the MN-CSE's link to the IN-CSE");
  const json inner = {{"op", 2}, {"to", "/in-cse/meter-7/la"}, {"fr", meter_from}, {"rqi", "e2e-1"}, {"rvi", "4"}};
  const auto jwe = need(session.protect_request(as_bytes(inner.dump()), clk), "protect");
  const auto outer = esprim::outer_request(inner, "/in-cse", meter_from, "outer-1", jwe).dump();
  const auto at_mn = to_registrar.carry(outer, true);
  say("the AE sent a NOTIFY to /in-cse carrying the RETRIEVE as a JWE of %zu characters", jwe.size());
  say("the MN-CSE checked the hop (From: %s -> %s) and forwarded it; it cannot read the RETRIEVE: %s",
      meter_from.c_str(), text(to_registrar.server->check_originator(meter_from, at_registrar)).c_str(),
      at_mn.find("meter-7") == std::string::npos ? "its target is not in what it saw" : "LEAKED");
  expect(at_mn.find("meter-7") == std::string::npos, "the transit CSE read the request");
  const auto at_in = mn_to_in.carry(at_mn, true);
  auto request = in_rx.unprotect(need(esprim::esprim_object_of(json::parse(at_in)), "seci"), clk);
  expect(request.has_value(), "the IN-CSE refused the ESPrim object");
  say("the IN-CSE ran the seven checks and read a request from %s: %s", request->from.c_str(),
      std::string(request->primitive.begin(), request->primitive.end()).c_str());
  const std::string content = json{{"rsc", 2000}, {"rqi", "e2e-1"}, {"pc", {{"m2m:cin", {{"con", "21.5 kWh"}}}}}}.dump();
  const auto reply = need(in_rx.protect_response(*request, as_bytes(content), clk), "protect response");
  const auto back = to_registrar.carry(mn_to_in.carry(esprim::outer_response("outer-1", reply).dump(), false), false);
  const auto read = need(session.unprotect_response(need(esprim::esprim_object_of(json::parse(back)), "seci"), clk),
                         "the AE's reading of the response");
  say("its response came back the same way; the AE read: %s", std::string(read.begin(), read.end()).c_str());
  auto again = in_rx.unprotect(need(esprim::esprim_object_of(json::parse(at_in)), "seci"), clk);
  say("the same object replayed to the IN-CSE: refused, %s", again ? "NOT REFUSED" : text(again.error().code).c_str());
  expect(!again, "a replay was accepted");

  // 5. TS-0003 §8.5: ESData, a value sealed once for two readers, with a key the MAF distributes.
  heading(5, "End-to-end security of data for two readers, ESData (TS-0003 8.5, 8.8)");
  fresh_key data_key;
  std::optional<maf::registered_key> esdata_k;
  {
    function_connection<tls::maf_handshake> c(maf.port, maf_fqdn,
                                              need(enrolled->key_for(suid::rspf_maf, entity_id{maf_fqdn}, meter), "key"), meter);
    const auto answer = c.call(maf::key_registration_request(meter, "esd-1", suid::maf_esdata_encryption,
                                                             {in_abs, mn_abs}, now + 2h, &data_key.key));
    esdata_k.emplace(need(maf::read_key_registration(answer, meter, maf_fqdn, need(data_key.key.clone(), "key")), "registration"));
  }
  say("the AE registered a key of its own for ESData (SUID 34), readers %s and %s: %s",
      text(in_abs).c_str(), text(mn_abs).c_str(), esdata_k->id.str().c_str());
  const auto data_life = *validity::make(clk.now(), clk.now() + 30min);
  const auto bind = [&](const secret& key, const symmetric_credential& cred, const entity_id& who) {
    auto jwk = need(jose::jwk::symmetric(need(key.clone(), "key"), jose::alg_set{jose::alg::dir}, esdata_k->id.str()), "jwk");
    return need(esdata::bind(std::move(jwk), cred, {who, cred.id()}, data_life, clk), "bind");
  };
  const auto source_cred = need(esdata_k->credential(meter), "credential");
  auto sealing = bind(data_key.key, source_cred, meter);
  const std::string reading = R"({"kWh":21.5,"at":"20261129T230000"})";
  const esdata::protection how{{{&sealing, jose::alg::dir}}, jose::enc::a256gcm, nullptr, jose::alg::es256,
                               esdata::content_security::jose_compact};
  const auto sealed = need(esdata::protect(as_bytes(reading), "application/json", how, clk), "seal");
  say("it sealed one reading once (a JWE, %zu characters), stored on the MN-CSE as it is; the key's",
      sealed.value.size());
  say("association lasts as long as the data, until %s", until(sealing.association().lifetime().not_after()).c_str());
  const std::tuple<const char*, const fresh_key*, entity_id> readers[] = {
      {"in@maf.example.com", &km_in, in_cse}, {"mn@maf.example.com", &km_mn, mn_cse}, {"other@maf.example.com", &km_other, other_cse}};
  for (const auto& [km_name, km, who] : readers) {
    function_connection<tls::maf_handshake> c(
        maf.port, maf_fqdn, preprovisioned(*km, credential_id_type::km_id, km_name, suid::preprovisioned_maf, who, factory), who);
    const auto r = c.call(maf::key_retrieval_request(who, "ret-esd", esdata_k->id));
    auto cred = maf::read_retrieved(r, esdata_k->id);
    if (!cred) {
      say("%s asked the MAF for the key: refused, %s; the value stays sealed to it", text(who).c_str(), text(r.code).c_str());
      expect(&who == &std::get<2>(readers[2]), "a reader was refused");
      continue;
    }
    expect(&who != &std::get<2>(readers[2]), "a CSE that is no reader got the key");
    auto opening = bind(cred->key(), *cred, who);
    esdata::bound_key* keys[] = {&opening};
    auto opened = need(esdata::unprotect(sealed.value, sealed.content_info, {keys, {}, true, false, {}}, clk), "open");
    say("%s retrieved the key with its Km and opened: %s", text(who).c_str(),
        std::string(opened.data.begin(), opened.data.end()).c_str());
  }

  // 6. TS-0003 §8.2.1: an association ends with its lifetime; a new handshake makes the next.
  heading(6, "An association expires; a new handshake (TS-0003 8.2.1, 8.2.2)");
  constexpr auto brief = 2s;
  auto short_psk = need(sa::bound<secret>::create(need(saef_key.key().clone(), "key"), {meter, *cse_id::parse("/mn-cse")},
                                                  saef_key, requested_lifetime::session(brief), {}, clk),
                        "the AE's association");
  {
    link l(meter_sa(short_psk), registrar_sa(brief));
    expect(l.handshake(), "PSK-SAEF failed");
    say("the AE and the MN-CSE made an association of %lld s (the Registrar's policy for this step), until %s",
        static_cast<long long>(brief.count()), until(l.server->association()->lifetime().not_after()).c_str());
    std::this_thread::sleep_for(brief + 200ms);
    const rsc late = l.server->check_originator(meter_from, at_registrar);
    auto sent = l.client->send(as_bytes(retrieve));
    say("%lld s later the MN-CSE answers From: %s with %s, and the AE's channel refuses to send: %s",
        static_cast<long long>(brief.count()), meter_from.c_str(), text(late).c_str(),
        sent ? "SENT" : std::string(to_string(sent.error())).c_str());
    expect(late != rsc::ok && !sent && sent.error() == errc::sa_expired, "an expired association was used");
  }
  auto next_psk = need(sa::bound<secret>::create(need(saef_key.key().clone(), "key"), {meter, *cse_id::parse("/mn-cse")},
                                                 saef_key, requested_lifetime::session(1h), {}, clk),
                       "the AE's association");
  link renewed(meter_sa(next_psk), registrar_sa(1h));
  expect(renewed.handshake(), "the new handshake failed");
  expect(renewed.carry(retrieve, true) == retrieve, "request");
  const rsc after = renewed.server->check_originator(meter_from, at_registrar);
  say("a new handshake with the same stored key: a new association until %s; From: %s -> %s",
      until(renewed.server->association()->lifetime().not_after()).c_str(), meter_from.c_str(), text(after).c_str());
  expect(after == rsc::ok, "the renewed association");

  // 7. TS-0003 §8.2.2.3: MAF-SAEF, the AE and the IN-CSE, which share no key, through the MAF.
  heading(7, "A MAF-assisted association, MAF-SAEF (TS-0003 8.2.2.3, 8.8)");
  std::optional<maf::registered_key> saef_kc;
  {
    function_connection<tls::maf_handshake> c(maf.port, maf_fqdn,
                                              need(enrolled->key_for(suid::rspf_maf, entity_id{maf_fqdn}, meter), "key"), meter);
    auto kc = need(tls::connection_key(c.tls(), maf_fqdn), "Kc");
    const auto answer = c.call(maf::key_registration_request(meter, "key-2", suid::maf_saef, {in_abs}, now + 2h));
    saef_kc.emplace(need(maf::read_key_registration(answer, meter, maf_fqdn, std::move(kc.key), kc.id), "registration"));
  }
  say("the AE and the IN-CSE share no key; the AE registered Kc of a new MAF session for SAEF (SUID 32),");
  say("target %s: KcID %s, until %s", text(in_abs).c_str(), saef_kc->id.str().c_str(),
      until(saef_kc->answer.lifetime.not_after()).c_str());
  psk_fetcher in_keys;
  in_keys.router.route(maf_fqdn, [&](std::string_view identity, std::string_view) {
    return in_keys(identity, [&] {
      const auto id = need(kc_id::parse(identity), "KcID");
      function_connection<tls::maf_handshake> c(maf.port, maf_fqdn, in_km(), in_cse);
      auto cred = need(maf::read_retrieved(c.call(maf::key_retrieval_request(in_cse, "ret-2", id)), id), "Key Retrieval");
      say("the IN-CSE did not know %s: it retrieved the key from the MAF, registered by %s", id.str().c_str(),
          text(cred.holder()).c_str());
      return cred;
    });
  });
  const auto own_kc = need(saef_kc->credential(meter), "Kc");
  auto kc_psk = need(sa::bound<secret>::create(need(own_kc.key().clone(), "key"), {meter, *cse_id::parse("/in-cse")}, own_kc,
                                               requested_lifetime::session(1h), {}, clk),
                     "the AE's association");
  link direct(need(tls::connect<tls::maf_saef>({tls::transport::stream, "in-cse.sp.example.com"}, saef_kc->id, kc_psk, clk),
                   "the AE's channel"),
              need(channel::psk_server({tls::transport::stream, "in-cse.sp.example.com"}, in_cse, in_keys.router.resolver(),
                                       requested_lifetime::session(1h), {}, clk),
                   "the IN-CSE's channel"));
  expect(direct.handshake(), "MAF-SAEF failed");
  auto* in_view = direct.server->association();
  say("TLS up with psk_identity = KcID: the IN-CSE bound the association to %s, until %s",
      text(in_view->who().peer).c_str(), until(in_view->lifetime().not_after()).c_str());
  expect(in_view->lifetime().not_after() < saef_kc->answer.lifetime.not_after(), "the association outlives Kc");
  expect(direct.carry(retrieve, true) == retrieve, "request");
  const rsc direct_rsc = direct.server->check_originator(meter_from);
  say("a request over it, From: %s -> %s; the association ends before Kc does", meter_from.c_str(), text(direct_rsc).c_str());
  expect(direct_rsc == rsc::ok, "the IN-CSE's From check");

  std::printf("\nEvery step held. What m2msec-mef and m2msec-maf logged meanwhile (identities, never a key):\n");
  for (const auto* d : {&mef, &maf}) {
    const auto log = d->log_text();
    std::printf("%s", log.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto beside = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  programs p{(beside / "m2msec-mef").string(), (beside / "m2msec-maf").string()};
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if ((a == "--mef" || a == "--maf") && i + 1 < argc) (a == "--mef" ? p.mef : p.maf) = argv[++i];
    else {
      std::fprintf(stderr, "usage: m2msec-demo [--mef <m2msec-mef>] [--maf <m2msec-maf>]\n");
      return a == "--help" ? 0 : 2;
    }
  }
  ::signal(SIGPIPE, SIG_IGN);
  try {
    return run(p);
  } catch (const step_failed& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "m2msec-demo: %s\n", e.what());
    return 1;
  }
}
