// m2msec (the command): what every subcommand shares. A failure is one line on
// stderr, "m2msec <command>: <where>: <what>", and an exit code:
//   0 done; 1 refused (a handshake, a tag, a signature, a key that does not
//   open it); 2 bad input (arguments, files, encodings), as CLI11's own errors.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>

#include "m2msec/core/encoding.hpp"
#include "m2msec/core/errc.hpp"
#include "m2msec/core/secret.hpp"
#include "m2msec/jose/refusal.hpp"

namespace m2msec::cli {

enum exit_code : int { done = 0, refused = 1, bad_input = 2 };

// Thrown by a subcommand; main() prints it as one line.
struct failure {
  int code;
  std::string where, what;
};
[[noreturn]] inline void bad(std::string where, std::string what) { throw failure{bad_input, std::move(where), std::move(what)}; }
[[noreturn]] inline void refuse(std::string where, std::string what) {
  throw failure{refused, std::move(where), std::move(what)};
}
// An errc, with the detail its failure left (a JOSE refusal's member and check,
// the credential store's step, a certificate path's problem) when there is one.
inline std::string why(errc e) { return describe(e); }

// Hex on the command line into wiped memory; `where` names the option.
inline secret hex_secret(const std::string& text, const std::string& where) {
  auto s = hex_decode_secret(text);
  if (!s) bad(where, "not hex (" + std::string(to_string(s.error())) + ")");
  if (s->size() == 0) bad(where, "empty");
  return std::move(*s);
}
inline byte_vector hex_bytes(const std::string& text, const std::string& where) {
  auto b = hex_decode(text);
  if (!b) bad(where, "not hex");
  return std::move(*b);
}
inline std::string hex(bytes_view b) { return hex_encode(b); }

// A whole file, or standard input for "-".
inline std::string read_text(const std::string& path, const std::string& where) {
  if (path == "-") return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  std::ifstream in(path, std::ios::binary);
  if (!in) bad(where, "cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
inline secret read_secret(const std::string& path, const std::string& where) {
  auto s = read_secret_file(path.c_str());
  if (!s) bad(where, "cannot read " + path + " (" + std::string(to_string(s.error())) + ")");
  return std::move(*s);
}

inline void out(const std::string& line) { std::printf("%s\n", line.c_str()); }

}  // namespace m2msec::cli
