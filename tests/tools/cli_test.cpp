// The m2msec command as its users run it: derive against the key-schedule
// vectors, connect against openssl s_server and serve against openssl s_client
// (exporter values equal to OpenSSL's), jwe/jws round trips with jwcrypto, the
// credential store, and bad input to every subcommand: a non-zero exit and one
// line on stderr.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../channel/openssl_support.hpp"

using namespace m2msec;
using namespace std::chrono_literals;
using json = nlohmann::json;
using openssl_test::process;
using openssl_test::slurp;

namespace {

const char* cli() {
  const char* p = std::getenv("M2MSEC_CLI");
  REQUIRE(p != nullptr);
  return p;
}

struct ran {
  int code = -1;
  std::string out, err;
};
// The command with `input` on stdin; stdout and stderr apart.
ran run(std::vector<std::string> args, const std::string& input = {}, const std::string& program = cli()) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string in = dir / ("m2msec-cli-in-" + std::to_string(::getpid())),
                    out = dir / ("m2msec-cli-out-" + std::to_string(::getpid())),
                    err = dir / ("m2msec-cli-err-" + std::to_string(::getpid()));
  std::ofstream(in, std::ios::binary) << input;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  args.insert(args.begin(), program);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(::posix_spawnp(&pid, program.c_str(), &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ran r{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(out), slurp(err)};
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}
std::string trimmed(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}
std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
// The value after "<name> " on the line that starts with it.
std::string field(const std::string& out, const std::string& name) {
  const auto at = out.find(name + " ");
  if (at == std::string::npos) return {};
  const auto from = at + name.size() + 1;
  return out.substr(from, out.find('\n', from) - from);
}
// A refusal or bad input: non-zero, nothing on stdout, one line on stderr that names the command.
// Whether a socket of this machine is bound to 127.0.0.1:`port` (TCP: listening),
// as /proc/net says, within 5 s: a server is ready without a peer connecting.
bool bound(int port, bool udp) {
  char want[32];
  std::snprintf(want, sizeof want, "0100007F:%04X", port);
  for (const auto end = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(20ms)) {
    std::ifstream table(udp ? "/proc/net/udp" : "/proc/net/tcp");
    for (std::string line; std::getline(table, line);) {
      std::istringstream f(line);
      std::string slot, local, remote, state;
      f >> slot >> local >> remote >> state;
      if (local == want && (udp || state == "0A")) return true;
    }
  }
  return false;
}

void one_line_error(const ran& r, int code) {
  INFO(r.err);
  CHECK(r.code == code);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.rfind("m2msec", 0) == 0);
}

json vectors() {
  std::ifstream in(M2MSEC_SOURCE_DIR "/tests/kdf/key_schedule.json");
  return json::parse(in);
}
std::string rand_json(const json& o) { return o.dump(); }

}  // namespace

TEST_CASE("m2msec derive: every key-schedule vector", "[cli][kdf]") {
  const auto v = vectors();
  std::size_t n = 0;
  auto check = [&](std::vector<std::string> args, const std::string& expected) {
    const auto r = run(std::move(args));
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(trimmed(r.out) == expected);
    ++n;
  };
  for (const auto& t : v["km"]) check({"derive", "km", "--ke", t["ke"], "--maf", t["maf_id"]}, t["km"]);
  for (const auto& t : v["kpsa"]) check({"derive", "kpsa", "--ke", t["ke"], "--enrolee", t["enrolee_b_id"]}, t["kpsa"]);
  for (const auto& t : v["usage_constrained"])
    check({"derive", "usage", "--ke", t["ke"], "--suid", std::to_string(t["suid"].get<int>()), "--target", t["target"]},
          t["key"]);
  for (const auto& t : v["maf_esprim"]) check({"derive", "maf-esprim", "--kc", t["kc"], "--kc-id", t["kc_id"]}, t["key"]);
  for (const auto& t : v["session_esprim"])
    check({"derive", "session-esprim", "--pairwise", t["pairwise"], "--receiver", rand_json(t["receiver"]),
           "--originator", rand_json(t["originator"])},
          t["key"]);
  for (const auto& t : v["exporter"]) {
    const std::string ke_id = t["ke_id"];
    check({"derive", "exporter", "--out", t["out"], "--fqdn", ke_id.substr(ke_id.find('@') + 1)},
          "id  " + ke_id + "\nkey " + t["key"].get<std::string>());
  }
  for (const auto& t : v["ke2e"]) {
    std::vector<std::string> args = {"derive", "ke2e", "--kpsa", t["kpsa"], "--hash", t["hash"]};
    if (!t["salt"].get<std::string>().empty()) args.insert(args.end(), {"--salt", t["salt"]});
    const auto r = run(args);
    REQUIRE(r.code == 0);
    const auto& keys = t["keys"];
    CHECK(field(r.out, "master") == keys[0]);
    CHECK(field(r.out, "msg-auth") == keys[1]);
    CHECK(field(r.out, "msg-conf") == keys[2]);
    CHECK(field(r.out, "att-auth") == keys[3]);
    CHECK(field(r.out, "att-conf") == keys[4]);
    ++n;
  }
  CHECK(n == 6 + 9 + 63 + 6 + 12 + 2 + 18);
  WARN("m2msec derive: " << n << " key-schedule vectors");
}

TEST_CASE("m2msec id: identifiers explained; garbage is one line and exit 2", "[cli][identity]") {
  auto r = run({"id", "//sp.example.com/in-cse/C0042"});
  CHECK(r.code == 0);
  CHECK(r.out.find("AE-ID, absolute") != std::string::npos);
  CHECK(r.out.find("Registrar /in-cse") != std::string::npos);
  r = run({"id", "404142434445464748494A4B4C4D4E4F@mef.example.com"});
  CHECK(r.out.find("KeID or KcID") != std::string::npos);
  r = run({"id", "12-C0042@sp.example.com"});
  CHECK(r.out.find("Credential-ID (TS-0003 §10.4): type 12") != std::string::npos);
  r = run({"id", "/in-cse"});
  CHECK(r.out.find("CSE-ID, SP-relative: in-cse") != std::string::npos);
  one_line_error(run({"id", "not an id!"}), 2);
  one_line_error(run({"id"}), 2);
}

TEST_CASE("m2msec connect against openssl s_server -psk, serve against openssl s_client -psk", "[cli][interop]") {
  using openssl_test::free_port;
  const std::string psk = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  const std::string sni = "mef.example.com";
  int exporters = 0;
  for (bool dtls : {false, true}) {
    INFO((dtls ? "DTLS" : "TLS"));
    const auto kind = dtls ? tls::transport::datagram : tls::transport::stream;
    const std::string cipher = dtls ? "PSK-AES128-CCM8" : "PSK-AES128-CBC-SHA256";
    // connect: the MEF handshake against s_server, the Bootstrap exporter.
    {
      const int port = free_port(kind);
      process server({"s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-naccept", "1", dtls ? "-dtls1_2" : "-tls1_2",
                      "-cipher", cipher, "-nocert", "-psk", psk, "-psk_identity", "enrolee1@mef.example.com",
                      "-keymatexport", "EXPORTER-oneM2M-Bootstrap", "-keymatexportlen", "48"});
      REQUIRE(server.wait_for("ACCEPT"));
      std::vector<std::string> args = {"connect", "127.0.0.1:" + std::to_string(port), "--psk", psk, "--identity",
                                       "enrolee1@mef.example.com", "--sni", sni, "--usage", "mef", "--send", "hello\n"};
      if (dtls) args.push_back("--dtls");
      const auto r = run(args);
      INFO(r.out << r.err << server.output());
      REQUIRE(r.code == 0);
      CHECK(field(r.out, "suite") == (dtls ? "0xC0A8" : "0x00AE"));
      CHECK(field(r.out, "association").rfind("/in-cse/Cm2msec -> /in-cse, ends in", 0) == 0);
      REQUIRE(server.wait_for("Keying material: "));
      const std::string exported = field(r.out, "exporter EXPORTER-oneM2M-Bootstrap");
      CHECK(upper(exported) == server.keying_material());
      CHECK(field(r.out, "exporter id ") == upper(exported.substr(0, 32)) + "@mef.example.com");
      CHECK(field(r.out, "exporter key") == exported.substr(32));
      CHECK(server.wait_for("hello"));
      exporters += upper(exported) == server.keying_material();
    }
    // serve: the MAF handshake for s_client, the Connection exporter.
    {
      const int port = free_port(kind);
      std::vector<std::string> args = {"serve", "127.0.0.1:" + std::to_string(port), "--psk", psk, "--identity",
                                       "km1@maf.example.com", "--sni", "maf.example.com", "--usage", "maf",
                                       "--peer", "/in-cse/C0042", "--send", "from m2msec\n"};
      if (dtls) args.push_back("--dtls");
      process ours(args, cli());
      REQUIRE(bound(port, dtls));  // it binds, then waits for a peer
      process client({"s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-servername", "maf.example.com",
                      dtls ? "-dtls1_2" : "-tls1_2", "-cipher", cipher, "-psk", psk, "-psk_identity", "km1@maf.example.com",
                      "-keymatexport", "EXPORTER-oneM2M-Connection", "-keymatexportlen", "48", "-ign_eof"});
      REQUIRE(client.wait_for("Keying material: "));
      client.write("from openssl\n");
      const int code = ours.wait_exit(15000ms);
      const auto o = ours.output();
      INFO(o << client.output());
      CHECK(code == 0);
      CHECK(field(o, "association").rfind("/in-cse -> /in-cse/C0042, ends in", 0) == 0);
      CHECK(field(o, "psk_identity") == "km1@maf.example.com");
      const std::string exported = field(o, "exporter EXPORTER-oneM2M-Connection");
      CHECK(upper(exported) == client.keying_material());
      CHECK(o.find("from openssl") != std::string::npos);
      CHECK(client.wait_for("from m2msec"));
      exporters += !exported.empty() && upper(exported) == client.keying_material();
    }
  }
  // The same with certificates: the MAF handshake's AE-ID certificate client, the MEF's
  // FQDN-certificate server (tests/channel/pki).
  using openssl_test::pki;
  for (bool dtls : {false, true}) {
    INFO((dtls ? "DTLS, certificates" : "TLS, certificates"));
    const auto kind = dtls ? tls::transport::datagram : tls::transport::stream;
    const std::string cipher = dtls ? "ECDHE-ECDSA-AES128-CCM8" : "ECDHE-ECDSA-AES128-SHA256";
    {
      const int port = free_port(kind);
      process server({"s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-naccept", "1", dtls ? "-dtls1_2" : "-tls1_2",
                      "-cipher", cipher, "-cert", pki("server.pem"), "-key", pki("server.key"), "-CAfile", pki("ca.pem"),
                      "-Verify", "1", "-verify_return_error", "-keymatexport", "EXPORTER-oneM2M-Connection",
                      "-keymatexportlen", "48"});
      REQUIRE(server.wait_for("ACCEPT"));
      std::vector<std::string> args = {"connect", "127.0.0.1:" + std::to_string(port), "--cert", pki("client.pem"), "--key",
                                       pki("client.key"), "--ca", pki("ca.pem"), "--self", "//sp.example.com/in-cse/C0042",
                                       "--sni", "in-cse.sp.example.com", "--usage", "maf"};
      if (dtls) args.push_back("--dtls");
      const auto r = run(args);
      INFO(r.out << r.err << server.output());
      REQUIRE(r.code == 0);
      CHECK(field(r.out, "suite") == (dtls ? "0xC0AE" : "0xC023"));
      CHECK(field(r.out, "association").rfind("//sp.example.com/in-cse/C0042 -> /in-cse, ends in", 0) == 0);
      REQUIRE(server.wait_for("Keying material: "));
      const std::string exported = field(r.out, "exporter EXPORTER-oneM2M-Connection");
      CHECK(upper(exported) == server.keying_material());
      exporters += upper(exported) == server.keying_material();
    }
    {
      const int port = free_port(kind);
      std::vector<std::string> args = {"serve", "127.0.0.1:" + std::to_string(port), "--cert", pki("server.pem"), "--key",
                                       pki("server.key"), "--ca", pki("ca.pem"), "--expect", "//sp.example.com/in-cse/C0042",
                                       "--sni", "in-cse.sp.example.com", "--usage", "mef"};
      if (dtls) args.push_back("--dtls");
      process ours(args, cli());
      REQUIRE(bound(port, dtls));
      process client({"s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-servername", "in-cse.sp.example.com",
                      dtls ? "-dtls1_2" : "-tls1_2", "-cipher", cipher, "-cert", pki("client.pem"), "-key", pki("client.key"),
                      "-CAfile", pki("ca.pem"), "-keymatexport", "EXPORTER-oneM2M-Bootstrap", "-keymatexportlen", "48",
                      "-ign_eof"});
      REQUIRE(client.wait_for("Keying material: "));
      const int code = ours.wait_exit(15000ms);
      const auto o = ours.output();
      INFO(o << client.output());
      CHECK(code == 0);
      CHECK(field(o, "association").rfind("/in-cse -> //sp.example.com/in-cse/C0042, ends in", 0) == 0);
      const std::string exported = field(o, "exporter EXPORTER-oneM2M-Bootstrap");
      CHECK(upper(exported) == client.keying_material());
      exporters += !exported.empty() && upper(exported) == client.keying_material();
    }
  }
  CHECK(exporters == 8);
  WARN("m2msec connect/serve: " << exporters << " exporter values equal to OpenSSL's (PSK and certificates)");
}

TEST_CASE("m2msec connect and serve refuse a wrong key, a wrong identity and bad input", "[cli][interop]") {
  using openssl_test::free_port;
  const std::string psk = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  // s_server holds another key: the handshake fails, exit 1.
  const int port = free_port(tls::transport::stream);
  process server({"s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-naccept", "1", "-tls1_2", "-nocert",
                  "-psk", "ff" + psk.substr(2), "-psk_identity", "C0042@sp.example.com"});
  REQUIRE(server.wait_for("ACCEPT"));
  const auto wrong = run({"connect", "127.0.0.1:" + std::to_string(port), "--psk", psk, "--identity",
                          "C0042@sp.example.com", "--sni", "in-cse.sp.example.com", "--timeout", "5"});
  one_line_error(wrong, 1);
  CHECK(wrong.err.find("alert received: bad_record_mac") != std::string::npos);  // the diagnosis, in the one line
  // serve: a client with another identity is refused.
  const int port2 = free_port(tls::transport::stream);
  process ours({"serve", "127.0.0.1:" + std::to_string(port2), "--psk", psk, "--identity", "C0042@sp.example.com", "--sni",
                "in-cse.sp.example.com", "--timeout", "5"},
               cli());
  REQUIRE(bound(port2, false));
  process client({"s_client", "-connect", "127.0.0.1:" + std::to_string(port2), "-servername", "in-cse.sp.example.com",
                  "-tls1_2", "-psk", psk, "-psk_identity", "C0099@sp.example.com"});
  CHECK(ours.wait_exit(15000ms) == 1);
  const auto o = ours.output();
  CHECK(o.find("m2msec serve: handshake: not found (alert sent: bad_record_mac)") != std::string::npos);
  // --trace: each stage on stderr, the identity the client asked for among them.
  const int port3 = free_port(tls::transport::stream);
  process traced({"serve", "127.0.0.1:" + std::to_string(port3), "--psk", psk, "--identity", "C0042@sp.example.com", "--sni",
                  "in-cse.sp.example.com", "--timeout", "5", "--trace"},
                 cli());
  REQUIRE(bound(port3, false));
  process client3({"s_client", "-connect", "127.0.0.1:" + std::to_string(port3), "-servername", "in-cse.sp.example.com",
                   "-tls1_2", "-psk", psk, "-psk_identity", "C0042@sp.example.com", "-ign_eof"});
  CHECK(traced.wait_exit(15000ms) == 0);
  const auto t = traced.output();
  INFO(t);
  CHECK(t.find("m2msec serve: hello in-cse.sp.example.com") != std::string::npos);
  CHECK(t.find("m2msec serve: identity C0042@sp.example.com") != std::string::npos);
  CHECK(t.find("m2msec serve: established /in-cse/Cm2msec") != std::string::npos);
  CHECK(t.find(psk) == std::string::npos);
  // Bad input: exit 2, one line.
  for (std::vector<std::string> args : {
           std::vector<std::string>{"connect", "127.0.0.1", "--psk", psk, "--identity", "a@b.example", "--sni", "x.example"},
           {"connect", "127.0.0.1:1", "--psk", "xyz", "--identity", "a@b.example", "--sni", "x.example"},
           {"connect", "127.0.0.1:1", "--psk", psk, "--identity", "a@b.example", "--sni", "not an fqdn"},
           {"connect", "127.0.0.1:1", "--psk", psk, "--identity", "a b", "--sni", "x.example"},
           {"connect", "127.0.0.1:1", "--psk", psk, "--identity", "a@b.example", "--sni", "x.example", "--usage", "esprim"},
           {"serve", "127.0.0.1:0", "--psk", psk, "--identity", "a@b.example", "--sni", "x.example", "--peer", "nobody"},
           {"serve", "127.0.0.1:0", "--identity", "a@b.example", "--sni", "x.example"},
           {"connect", "127.0.0.1:1", "--psk", psk, "--cert", "c.pem", "--key", "k.pem", "--ca", "ca.pem", "--sni", "x.example"},
           {"connect", "127.0.0.1:1", "--cert", "c.pem", "--sni", "x.example"},
           {"connect", "127.0.0.1:1", "--cert", "/nonexistent.pem", "--key", "k", "--ca", "ca", "--sni", "x.example"},
       }) {
    INFO(args[0] << " " << args[1] << " " << args[3]);
    one_line_error(run(args), 2);
  }
}

TEST_CASE("m2msec jwe and jws: round trips with jwcrypto both ways; a changed byte is refused", "[cli][jose][interop]") {
  const std::string py = "/usr/bin/python3", helper = M2MSEC_SOURCE_DIR "/tests/tools/jwcrypto_cli.py";
  const auto dir = std::filesystem::temp_directory_path() / ("m2msec-cli-jose-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string oct = dir / "oct.jwk", ec = dir / "ec.jwk";
  REQUIRE(run({helper, "key", "oct", oct}, {}, py).code == 0);
  REQUIRE(run({helper, "key", "EC", ec}, {}, py).code == 0);
  const std::string plaintext = "{\"m2m:rqp\": {\"op\": 2, \"to\": \"/in-cse\"}}";
  int trips = 0;
  struct jwe_case {
    std::string key, alg, enc;
  };
  for (const auto& c : {jwe_case{oct, "A256KW", "A128GCM"}, jwe_case{oct, "dir", "A256GCM"},
                        jwe_case{ec, "ECDH-ES+A128KW", "A256GCM"}, jwe_case{ec, "ECDH-ES", "A128GCM"}}) {
    INFO(c.alg << " " << c.enc);
    const auto ours = run({"jwe", "protect", "--jwk", c.key, "--alg", c.alg, "--enc", c.enc}, plaintext);
    REQUIRE(ours.code == 0);
    const auto theirs_open = run({helper, "decrypt", c.key}, ours.out, py);
    INFO(theirs_open.err);
    CHECK(theirs_open.out == plaintext);
    const auto theirs = run({helper, "encrypt", c.key, c.alg, c.enc}, plaintext, py);
    REQUIRE(theirs.code == 0);
    const auto ours_open = run({"jwe", "unprotect", "--jwk", c.key}, theirs.out);
    INFO(ours_open.err);
    CHECK(ours_open.out == plaintext);
    const auto inspected = run({"jwe", "inspect"}, theirs.out);
    CHECK(inspected.out.find("alg " + c.alg) != std::string::npos);
    std::string changed = theirs.out;
    changed[changed.size() - 3] = changed[changed.size() - 3] == 'A' ? 'B' : 'A';  // in the tag
    one_line_error(run({"jwe", "unprotect", "--jwk", c.key}, changed), 1);
    trips += theirs_open.out == plaintext && ours_open.out == plaintext;
  }
  for (const auto& [key, a] : {std::pair{oct, std::string("HS256")}, std::pair{ec, std::string("ES256")}}) {
    INFO(a);
    const auto ours = run({"jws", "sign", "--jwk", key, "--alg", a}, plaintext);
    REQUIRE(ours.code == 0);
    const auto theirs_check = run({helper, "verify", key}, ours.out, py);
    CHECK(theirs_check.out == plaintext);
    const auto theirs = run({helper, "sign", key, a}, plaintext, py);
    REQUIRE(theirs.code == 0);
    const auto ours_check = run({"jws", "verify", "--jwk", key}, theirs.out);
    CHECK(ours_check.out == plaintext);
    CHECK(run({"jws", "inspect"}, theirs.out).out.find("alg " + a) != std::string::npos);
    std::string changed = theirs.out;
    changed[changed.size() - 3] = changed[changed.size() - 3] == 'A' ? 'B' : 'A';
    one_line_error(run({"jws", "verify", "--jwk", key}, changed), 1);
    trips += theirs_check.out == plaintext && ours_check.out == plaintext;
  }
  CHECK(trips == 6);
  WARN("m2msec jwe/jws: " << trips << " round trips with jwcrypto, both directions");
  // Bad input: exit 2, one line.
  one_line_error(run({"jwe", "protect", "--jwk", (dir / "absent.jwk").string(), "--alg", "A256KW"}, "x"), 2);
  one_line_error(run({"jwe", "protect", "--jwk", oct, "--alg", "none"}, "x"), 2);
  one_line_error(run({"jwe", "protect", "--jwk", oct, "--alg", "A256KW", "--enc", "A128CBC"}, "x"), 2);
  one_line_error(run({"jwe", "unprotect", "--jwk", oct}, "not.a.jwe"), 2);
  one_line_error(run({"jwe", "inspect"}, "eyJhbGciOiJub25lIn0.."), 2);
  one_line_error(run({"jws", "sign", "--jwk", oct, "--alg", "ES256"}, "x"), 2);  // the key cannot
  one_line_error(run({"jws", "verify", "--jwk", oct}, "garbage"), 2);
  one_line_error(run({"jws", "inspect"}, "{"), 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE("m2msec store: add, list, expire; bad input changes nothing", "[cli][store]") {
  const auto dir = std::filesystem::temp_directory_path() / ("m2msec-cli-store-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string file = dir / "creds", key = dir / "storage.key";
  std::ofstream(key) << "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
  const std::vector<std::string> at = {"--file", file, "--storage-key", key};
  auto with = [&](std::vector<std::string> a) {
    a.insert(a.begin() + 2, at.begin(), at.end());
    return run(a);
  };
  auto r = with({"store", "add", "--id", "12-C0042@sp.example.com", "--holder", "/in-cse/C0042", "--suid", "12", "--key",
                 "00112233445566778899aabbccddeeff", "--not-after", "20991231T000000"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE(with({"store", "add", "--id", "10-enrolee1@mef.example.com", "--holder", "/in-cse/C0043", "--suid", "10", "--key",
                "ffeeddccbbaa99887766554433221100", "--not-after", "20990101T000000"})
              .code == 0);
  r = with({"store", "list"});
  CHECK(r.code == 0);
  CHECK(r.out.find("12-C0042@sp.example.com suid 12 holder /in-cse/C0042 from ") != std::string::npos);
  CHECK(r.out.find("to 20991231T000000") != std::string::npos);
  CHECK(r.out.find("2 credentials") != std::string::npos);
  CHECK(r.out.find("00112233") == std::string::npos);  // never the key
  CHECK(slurp(file).find("00112233") == std::string::npos);
  // Bad input: exit 2, one line, and both credentials still there.
  one_line_error(with({"store", "add", "--id", "bad id", "--holder", "/in-cse/C1", "--suid", "12", "--key", "00",
                       "--not-after", "20991231T000000"}),
                 2);
  one_line_error(with({"store", "add", "--id", "12-x@sp.example.com", "--holder", "/in-cse/C1", "--suid", "99", "--key", "00",
                       "--not-after", "20991231T000000"}),
                 2);
  one_line_error(with({"store", "add", "--id", "12-x@sp.example.com", "--holder", "/in-cse/C1", "--suid", "12", "--key", "00",
                       "--not-after", "2099-12-31"}),
                 2);
  one_line_error(with({"store", "add", "--id", "12-x@sp.example.com", "--holder", "/in-cse/C1", "--suid", "12", "--key", "00",
                       "--not-after", "20000101T000000"}),
                 2);
  one_line_error(with({"store", "expire", "--id", "12-absent@sp.example.com"}), 2);
  std::ofstream(dir / "wrong.key") << "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
  const auto wrong = run({"store", "list", "--file", file, "--storage-key", dir / "wrong.key"});
  one_line_error(wrong, 2);  // corrupted: wrong key, and the line says which check
  CHECK(wrong.err.find("corrupted (credential store: the file does not authenticate") != std::string::npos);
  CHECK(with({"store", "list"}).out.find("\n2 credentials\n") != std::string::npos);
  r = with({"store", "expire", "--id", "12-C0042@sp.example.com"});
  CHECK(r.code == 0);
  r = with({"store", "list"});
  CHECK(r.out.find("12-C0042") == std::string::npos);
  CHECK(r.out.find("1 credentials") != std::string::npos);
  r = with({"store", "expire"});
  CHECK(r.out == "removed 0 expired\n");
  std::filesystem::remove_all(dir);
}
