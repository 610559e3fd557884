// Running the independent JOSE peer (tests/e2e/jose_peer.py on Debian's
// python3-jwcrypto) from a test, and the files it reads and writes.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace peer {

inline const std::string python = "/usr/bin/python3";  // Debian's, which sees python3-jwcrypto

// A fresh folder under the system's temporary directory, removed at the end.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("m2msec-jose-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// Runs a command and returns what it printed; throws when it fails, so a
// missing peer is a failed test, never a skipped one.
inline std::string run(const std::string& command) {
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) throw std::runtime_error("cannot run: " + command);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  if (status != 0) throw std::runtime_error("`" + command + "` failed: " + out);
  return out;
}

inline std::string script(const std::string& name) { return M2MSEC_SOURCE_DIR "/tests/e2e/" + name; }

// The peer's command: jwcrypto by default; M2MSEC_JOSE_PEER names another that
// speaks the same protocol (tests/e2e/jose_peer.mjs on npm `jose`).
inline std::string command() {
  const char* other = std::getenv("M2MSEC_JOSE_PEER");
  return other != nullptr && *other != '\0' ? std::string(other) : python + " " + script("jose_peer.py");
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
}
inline void write_json(const std::string& path, const nlohmann::json& j) { std::ofstream(path) << j.dump(); }

}  // namespace peer
