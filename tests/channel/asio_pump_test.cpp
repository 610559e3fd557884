// channel/asio_pump.hpp over real loopback TCP: a PSK server on Asio, clients on
// blocking sockets. Data both ways through the write queue; every way a
// connection ends (the peer's close_notify, garbage, a cut handshake, a wrong key,
// close_when_written, stop) ends the pump once, with its reason, and closes the socket.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "m2msec/channel/asio_pump.hpp"
#include "m2msec/channel/profiles.hpp"
#include "m2msec/channel/socket_pump.hpp"
#include "m2msec/enrolment/blocking_client.hpp"

using namespace m2msec;
using namespace std::chrono_literals;
using channel = tls::channel<>;
using pump = tls::asio_pump<channel>;
namespace asio = boost::asio;

namespace {

const system_clock clk{};
const ae_id ae = *ae_id::parse("/in-cse/C0042");

symmetric_credential kpsa(byte first) {
  byte k[32];
  for (int i = 0; i < 32; ++i) k[i] = static_cast<byte>(first + i);
  return *symmetric_credential::make(*secret::copy_of(k), *credential_id::parse("12-ae1@issuer.example.com"),
                                     suid::preprovisioned_saef, ae, *validity::make(clk.now() - 1h, clk.now() + 24h));
}

// A PSK server on its own thread: each connection on a pump, `on_input` its
// behaviour, every end's reason recorded.
class server {
 public:
  explicit server(std::function<void(pump&)> on_input) : on_input_(std::move(on_input)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~server() {
    io_.stop();
    thread_.join();
  }
  [[nodiscard]] unsigned short port() const { return acceptor_.local_endpoint().port(); }
  // The reasons of the first `n` ends, waiting up to 5 s for them.
  std::vector<std::string> ends(std::size_t n) {
    std::unique_lock lock(m_);
    cv_.wait_for(lock, 5s, [&] { return ends_.size() >= n; });
    return ends_;
  }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket s) {
      if (ec) return;
      auto ch = channel::psk_server({tls::transport::stream, "in-cse.sp.example.com"}, *cse_id::parse("/in-cse"),
                                    [this](std::string_view id, std::string_view) -> result<tls::psk_entry> {
                                      if (id != "ae1@issuer.example.com") return fail(errc::not_found);
                                      return tls::psk_entry{&cred_, ae};
                                    },
                                    requested_lifetime::session(1h), {}, clk);
      if (!ch) return;  // no Catch assertion off the test's thread: a missing end fails the test
      pumps_.push_back(pump::start(std::move(s), std::move(*ch), {on_input_, [this](pump& p, std::string_view why) {
                                                                 std::lock_guard lock(m_);
                                                                 ends_.emplace_back(p.ended() ? why : "NOT ENDED");
                                                                 cv_.notify_all();
                                                               }}));
      accept();
    });
  }

  symmetric_credential cred_ = kpsa(0xA0);
  std::function<void(pump&)> on_input_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_, {asio::ip::address_v4::loopback(), 0}};
  std::vector<std::shared_ptr<pump>> pumps_;
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::string> ends_;
  std::thread thread_;
};

// A blocking PSK client with the key starting at `first` (0xA0: the server's).
struct client {
  symmetric_credential cred;
  sa::bound<secret> psk;
  mef::tcp_socket sock;
  std::unique_ptr<channel> ch;

  client(unsigned short port, byte first = 0xA0)
      : cred(kpsa(first)),
        psk(*sa::bound<secret>::create(*cred.key().clone(), {ae, *cse_id::parse("/in-cse")}, cred,
                                       requested_lifetime::session(1h), {}, clk)),
        sock(*mef::tcp_socket::connect("127.0.0.1", port)),
        ch(*channel::psk_client({tls::transport::stream, "in-cse.sp.example.com"}, "ae1@issuer.example.com", psk, clk)) {}
  bool handshake() { return mef::handshake(*ch, sock.fd(), 5s); }
  bool until(const std::function<bool()>& done) { return tls::pump_until<channel>({{ch.get(), sock.fd()}}, done, 5s); }
  // Whether the server closed the socket (recv gives 0 or an error) within 5 s.
  bool socket_closed() {
    pollfd p{sock.fd(), POLLIN, 0};
    char sink[16384];
    for (const auto end = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < end;)
      if (::poll(&p, 1, 50) == 1 && ::recv(sock.fd(), sink, sizeof sink, 0) <= 0) return true;
    return false;
  }
};

void echo(pump& p) {
  if (!p.channel().active()) return;
  auto got = p.channel().take_received();
  if (got.empty()) return;
  if (std::string_view(reinterpret_cast<const char*>(got.data()), got.size()) == "bye") {
    (void)p.channel().send(as_bytes(std::string_view("ok")));
    return p.close_when_written();
  }
  if (std::string_view(reinterpret_cast<const char*>(got.data()), got.size()) == "stop") {
    (void)p.channel().send(byte_vector(1 << 20, 0x5A));
    return p.stop("stopped by the test");
  }
  (void)p.channel().send(got);
  p.flush();
}

}  // namespace

TEST_CASE("asio_pump: a PSK handshake, 1 MiB echoed through the write queue, the peer's close_notify ends it",
          "[channel][asio]") {
  server s(echo);
  client c(s.port());
  REQUIRE(c.handshake());
  byte_vector sent(1 << 20);
  for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<byte>(i * 7);
  REQUIRE(c.ch->send(sent));
  byte_vector back;
  REQUIRE(c.until([&] {
    auto got = c.ch->take_received();
    back.insert(back.end(), got.begin(), got.end());
    return back.size() >= sent.size();
  }));
  CHECK(back == sent);
  c.ch->close();
  REQUIRE(tls::flush(*c.ch, c.sock.fd()));
  CHECK(s.ends(1) == std::vector<std::string>{"peer closed"});
  CHECK(c.socket_closed());
}

TEST_CASE("asio_pump: garbage, a cut handshake and a wrong key end the pump once, with the channel's reason",
          "[channel][asio]") {
  server s(echo);
  {
    client garbage(s.port());
    const std::string junk = "GET / HTTP/1.1\r\nHost: in-cse\r\n\r\n";
    REQUIRE(::send(garbage.sock.fd(), junk.data(), junk.size(), 0) == static_cast<ssize_t>(junk.size()));
    auto e = s.ends(1);
    REQUIRE(e.size() == 1);
    CHECK(e[0].starts_with("channel: "));
    CHECK(garbage.socket_closed());
  }
  {
    client cut(s.port());
    REQUIRE(tls::flush(*cut.ch, cut.sock.fd()));  // the ClientHello, then the end of what it sends
    ::shutdown(cut.sock.fd(), SHUT_WR);
    auto e = s.ends(2);
    REQUIRE(e.size() == 2);
    CHECK(e[1] == "peer closed");
  }
  {
    client wrong(s.port(), 0xB0);
    CHECK_FALSE(wrong.handshake());
    auto e = s.ends(3);
    REQUIRE(e.size() == 3);
    CHECK(e[2].starts_with("channel: "));
    CHECK(wrong.socket_closed());
  }
  CHECK(s.ends(4).size() == 3);  // each once
}

TEST_CASE("asio_pump: close_when_written sends the answer and close_notify, then shuts; stop() drops the rest",
          "[channel][asio]") {
  server s(echo);
  {
    client c(s.port());
    REQUIRE(c.handshake());
    REQUIRE(c.ch->send(as_bytes(std::string_view("bye"))));
    std::string answer;
    c.until([&] {
      auto got = c.ch->take_received();
      answer.append(got.begin(), got.end());
      return c.ch->closed();
    });
    CHECK(answer == "ok");
    CHECK_FALSE(c.ch->error());  // the server's close_notify: a clean end
    CHECK(s.ends(1) == std::vector<std::string>{"closed"});
    CHECK(c.socket_closed());
  }
  {
    client c(s.port());
    REQUIRE(c.handshake());
    REQUIRE(c.ch->send(as_bytes(std::string_view("stop"))));
    REQUIRE(tls::flush(*c.ch, c.sock.fd()));
    auto e = s.ends(2);
    INFO(e.back());
    REQUIRE(e.size() == 2);
    CHECK(e[1] == "stopped by the test");
    CHECK(c.socket_closed());
  }
}
