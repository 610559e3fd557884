// Fuzz target: JWS parser and verification (compact and JSON) with the fixed keys.
// Every refusal must be one of m2msec's errc values; nothing may crash or read
// out of bounds. Seeds: fuzz/corpus/jws (fuzz/make_e2e_corpus.py).
#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "e2e_fixture.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace m2msec;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto r = e2e_fixture::open_jws(text);
  if (!r && std::find(std::begin(all_errc), std::end(all_errc), r.error()) == std::end(all_errc)) std::abort();
  // The same text as a detached JWS (RFC 7515 Appendix F), its payload given apart.
  const auto d = jose::parse_jws_detached(text, as_bytes("detached payload"), e2e_fixture::policy());
  if (!d && std::find(std::begin(all_errc), std::end(all_errc), d.error()) == std::end(all_errc)) std::abort();
  return 0;
}
