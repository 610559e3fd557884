// Fuzz target: JWE parser and decryption (compact and JSON) with the fixed keys.
// Every refusal must be one of m2msec's errc values; nothing may crash or read
// out of bounds. Seeds: fuzz/corpus/jwe (fuzz/make_e2e_corpus.py).
#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "e2e_fixture.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace m2msec;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto r = e2e_fixture::open_jwe(text);
  if (!r && std::find(std::begin(all_errc), std::end(all_errc), r.error()) == std::end(all_errc)) std::abort();
  return 0;
}
