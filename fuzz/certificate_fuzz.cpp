// Fuzz target: certificates and raw public keys from peers, through the oneM2M
// profile checks and name matching (no path validation: no anchors).
#include <cstdlib>

#include "m2msec/credential/certificate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace m2msec;
  const bytes_view in(data, size);
  if (auto c = certificate::parse(in)) {
    if (c->public_point().size() != 65) std::abort();
    (void)c->match(expected_name::cse(*fqdn::parse("in-cse.sp.example.com")));
    (void)c->match(expected_name::device("100.3030.10011"));
    if (auto again = certificate::parse(c->der()); !again) std::abort();
  }
  if (auto k = raw_public_key::parse(in, *validity::make(time_point{}, time_point{}))) {
    if (!k->matches(k->ni(ni_algorithm::sha256_120))) std::abort();
  }
  return 0;
}
