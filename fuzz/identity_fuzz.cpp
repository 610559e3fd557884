// Fuzz target: every identifier parser of m2msec on arbitrary text. Whatever
// parses must print to a text that parses to the same value and prints the same
// (one canonical form), and never throw or read out of bounds.
#include <cstdlib>
#include <string_view>

#include "m2msec/identity.hpp"

namespace {

template <class T>
void round_trip(std::string_view text) {
  auto v = T::parse(text);
  if (!v) return;
  const std::string printed = v->str();
  auto again = T::parse(printed);
  if (!again || !(*again == *v) || again->str() != printed) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace m2msec;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  round_trip<fqdn>(text);
  round_trip<sp_id>(text);
  round_trip<cse_id>(text);
  round_trip<ae_id_stem>(text);
  round_trip<ae_id>(text);
  round_trip<app_id>(text);
  round_trip<node_id>(text);
  round_trip<credential_id>(text);
  round_trip<kpsa_id>(text);
  round_trip<km_id>(text);
  round_trip<kpm_id>(text);
  round_trip<ke_id>(text);
  round_trip<kc_id>(text);
  if (auto k = ke_id::parse(text)) {
    const auto rel = k->bytes();
    if (!(ke_id::from_bytes(rel, k->domain()) == *k)) std::abort();
  }
  if (auto s = parse_suid(text)) {
    if (to_string(*s) != text) std::abort();
  }
  if (auto s = sub_id::parse(text)) {
    if (s->reveal() != text) std::abort();
  }
  // An SP-relative CSE-ID or AE-ID made absolute keeps its parts.
  if (auto c = cse_id::parse(text); c && !c->is_absolute()) {
    const auto abs = c->absolute(*sp_id::parse("//sp.example.com"));
    if (abs.sp_relative() != *c || !cse_id::parse(abs.str())) std::abort();
  }
  if (auto a = ae_id::parse(text); a && !a->is_absolute()) {
    const auto abs = a->absolute(*sp_id::parse("//sp.example.com"));
    if (abs.sp_relative() != *a || !ae_id::parse(abs.str())) std::abort();
  }
  return 0;
}
