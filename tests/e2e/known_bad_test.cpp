// The known-bad corpus (fuzz/make_e2e_corpus.py, built with Python's
// cryptography, not with m2msec): every file gives exactly the errc, and for
// ESPrim the response status code, written beside it in known_bad.json. The
// same files seed the end-to-end fuzz targets.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "../../fuzz/e2e_fixture.hpp"

using namespace m2msec;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
std::string text_of(const result<void>& r) { return r ? "ok" : std::string(to_string(r.error())); }

}  // namespace

TEST_CASE("Every file of the known-bad corpus gives its errc (and ESPrim its RSC)", "[corpus]") {
  const std::filesystem::path root = M2MSEC_SOURCE_DIR;
  const auto manifest = jose::json::parse(slurp(root / "tests/e2e/known_bad.json"));
  std::size_t bad = 0, good = 0;
  std::map<std::string, std::size_t> per_target;
  for (const auto& [name, want] : manifest.items()) {
    const std::string target = name.substr(0, name.find('/'));
    const std::string content = slurp(root / "fuzz/corpus" / name);
    REQUIRE(!content.empty());
    INFO(name);
    std::string got;
    if (target == "jwe") got = text_of(e2e_fixture::open_jwe(content));
    else if (target == "jws") got = text_of(e2e_fixture::open_jws(content));
    else if (target == "esdata") got = text_of(e2e_fixture::open_esdata(content));
    else if (target == "token") got = text_of(e2e_fixture::open_token(content));
    else {
      REQUIRE(target == "esprim");
      auto r = e2e_fixture::open_esprim(content);
      got = r ? "ok" : std::string(to_string(r.error().reason));
      CHECK(static_cast<int>(r ? rsc::ok : r.error().code) == want["rsc"].get<int>());
    }
    CHECK(got == want["errc"].get<std::string>());
    (want["errc"] == "ok" ? good : bad) += 1;
    ++per_target[target];
  }
  CHECK(bad >= 40);
  CHECK(good >= 5);
  for (const char* t : {"jwe", "jws", "esprim", "esdata", "token"}) CHECK(per_target[t] >= 5);
}
