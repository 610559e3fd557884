// Test support: load Wycheproof files and count what each test did with them.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "m2msec/core/encoding.hpp"

namespace wycheproof {

using json = nlohmann::json;
using m2msec::byte_vector;

// The folder holding the vectors: $M2MSEC_VECTORS_DIR, else the one meson was given.
inline std::string dir() {
  if (const char* d = std::getenv("M2MSEC_VECTORS_DIR")) return d;
  return M2MSEC_VECTORS_DIR;
}

// The whole file; a missing or unreadable file fails the test, it never skips.
inline json load(const std::string& name) {
  std::ifstream in(dir() + "/" + name);
  INFO("vector file " << dir() << "/" << name);
  REQUIRE(in.good());
  return json::parse(in);
}

inline byte_vector hex(const json& v) {
  auto r = m2msec::hex_decode(v.get<std::string>());
  REQUIRE(r.has_value());
  return *r;
}

// A big-endian integer from Wycheproof (may carry a 00 pad or be short) as exactly n bytes;
// nullopt when it does not fit.
inline std::optional<byte_vector> fixed_width(const byte_vector& v, std::size_t n) {
  std::size_t skip = 0;
  while (skip < v.size() && v[skip] == 0 && v.size() - skip > n) ++skip;
  if (v.size() - skip > n) return std::nullopt;
  byte_vector out(n - (v.size() - skip), 0);
  out.insert(out.end(), v.begin() + static_cast<std::ptrdiff_t>(skip), v.end());
  return out;
}

// What an implementation did with one test.
struct outcome {
  enum kind { accepted, rejected, not_run } what;
  bool output_matches = true;  // for accepted: did the output equal the expected one
  std::string why_not_run = {};
  static outcome accept(bool matches) { return {accepted, matches}; }
  static outcome reject() { return {rejected}; }
  static outcome skip(std::string why) { return {not_run, true, std::move(why)}; }
};

// Counts for one file on one backend. `record` checks each test as it goes;
// `finish` prints the counts and checks that every test of the file was seen.
class tally {
 public:
  tally(std::string file, std::string backend) : file_(std::move(file)), backend_(std::move(backend)) {}

  void record(const json& test, const outcome& o) {
    const std::string result = test.at("result");
    const int id = test.at("tcId");
    INFO(file_ << " [" << backend_ << "] tcId " << id << " (" << result << ") " << test.value("comment", ""));
    ++seen_;
    if (result == "valid") {
      ++valid_;
      if (o.what == outcome::not_run) {
        ++not_run_[o.why_not_run];
        return;
      }
      CHECK(o.what == outcome::accepted);
      CHECK(o.output_matches);
      if (o.what == outcome::accepted && o.output_matches) ++valid_passed_;
    } else if (result == "invalid") {
      ++invalid_;
      CHECK(o.what != outcome::accepted);
      if (o.what == outcome::rejected) ++invalid_rejected_;
      if (o.what == outcome::not_run) ++invalid_refused_;
    } else {
      ++acceptable_;
      std::string flags;
      for (const auto& f : test.value("flags", json::array())) {
        if (!flags.empty()) flags += ',';
        flags += f.get<std::string>();
      }
      auto& [accepted, rejected] = acceptable_by_flags_[flags];
      if (o.what == outcome::accepted) {
        CHECK(o.output_matches);
        ++acceptable_accepted_;
        ++accepted;
      } else {
        ++acceptable_rejected_;
        ++rejected;
      }
    }
  }

  void finish(const json& file) {
    std::cout << "wycheproof " << file_ << " [" << backend_ << "]: " << seen_ << " vectors; valid " << valid_passed_
              << "/" << valid_ << " passed";
    std::size_t not_run = 0;
    for (const auto& [why, n] : not_run_) not_run += n;
    if (not_run != 0) std::cout << " (" << not_run << " not run)";
    std::cout << "; invalid " << invalid_rejected_ + invalid_refused_ << "/" << invalid_ << " rejected";
    if (invalid_refused_ != 0) std::cout << " (" << invalid_refused_ << " by refusing the parameters)";
    if (acceptable_ != 0)
      std::cout << "; acceptable " << acceptable_ << " (" << acceptable_accepted_ << " accepted, " << acceptable_rejected_
                << " rejected)";
    std::cout << "\n";
    for (const auto& [why, n] : not_run_) std::cout << "    not run: " << n << " valid vectors: " << why << "\n";
    for (const auto& [flags, n] : acceptable_by_flags_)
      std::cout << "    acceptable [" << flags << "]: " << n.first << " accepted, " << n.second << " rejected\n";
    CHECK(seen_ == file.at("numberOfTests").get<std::size_t>());
    CHECK(valid_passed_ + not_run == valid_);
    CHECK(invalid_rejected_ + invalid_refused_ == invalid_);
  }

  [[nodiscard]] std::size_t valid_passed() const { return valid_passed_; }
  [[nodiscard]] std::size_t acceptable_rejected() const { return acceptable_rejected_; }
  [[nodiscard]] std::size_t acceptable_accepted() const { return acceptable_accepted_; }

 private:
  std::string file_, backend_;
  std::size_t seen_ = 0, valid_ = 0, valid_passed_ = 0, invalid_ = 0, invalid_rejected_ = 0, invalid_refused_ = 0,
              acceptable_ = 0, acceptable_accepted_ = 0, acceptable_rejected_ = 0;
  std::map<std::string, std::size_t> not_run_;
  std::map<std::string, std::pair<std::size_t, std::size_t>> acceptable_by_flags_;
};

}  // namespace wycheproof
