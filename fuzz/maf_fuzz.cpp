// Fuzz target: the MAF's request handling (enrolment/maf.hpp over
// enrolment/http_binding.hpp). The first byte picks a side: the server's reader
// and engine (bytes a registered client sent, over a connection with Kc, beside a
// key it registered and one it may retrieve), or the client's reader of responses
// with the key-answer parser. Nothing may crash, leak or answer without a code.
#include <cstdlib>

#include "function_fuzz.hpp"
#include "m2msec/enrolment/maf.hpp"

using namespace m2msec;
using namespace std::chrono_literals;

namespace {
const time_point t0 = time_point(std::chrono::seconds(1798761600));
const manual_clock clk(t0);
const fqdn maf_fqdn = *fqdn::parse("maf.example.com");

secret key(byte b) {
  byte k[32];
  for (auto& x : k) x = b;
  return *secret::copy_of(k);
}

void serve(bytes_view in) {
  static const auto alpha = *ae_id::parse("/in-cse/Calpha");
  static const auto mn = *cse_id::parse("//sp.example.com/mn-cse");
  memory_maf_store store;
  maf::server<memory_maf_store, manual_clock> m({maf_fqdn, *sp_id::parse("//sp.example.com")}, store, clk);
  (void)store.put_client({std::string(32, 'A'), entity_id{alpha}, *fqdn::parse("alpha.example.com"), std::nullopt, {}, t0 + 1h});
  const auto life = *validity::make(t0 - 1h, t0 + 1h);
  (void)store.put_key({std::string(32, 'B'), key(3), entity_id{alpha}, suid::maf_saef, {entity_id{mn}}, life, {}, std::nullopt});
  (void)store.put_key({std::string(32, 'C'), key(4), entity_id{mn}, suid::maf_esdata_encryption,
                       {entity_id{*ae_id::parse("//sp.example.com/in-cse/Calpha")}}, life, {}, std::nullopt});
  auto cred = *symmetric_credential::make(key(1), *credential_id::parse("11-alpha@maf.example.com"),
                                          suid::preprovisioned_maf, entity_id{alpha}, *validity::make(t0 - 1h, t0 + 24h));
  auto sa = *security_association::create({maf_fqdn, alpha}, cred, requested_lifetime::session(1h), {}, clk);
  maf::connection c{alpha, entity_id{alpha}, &sa, "alpha@maf.example.com",
                    tls::exported_key<kc_id>{kc_id::from_bytes(std::array<byte, 16>{2}, maf_fqdn), key(2)}, false, {}};
  function_fuzz::serve(m, c, in);
}

void read_response(bytes_view in) {
  mef::http::response_reader reader;
  std::size_t used = 0;
  auto got = reader.read(in, used);
  if (!got || !got->message) return;
  const std::string_view body(got->message->body.data(), got->message->body.size());
  if (auto a = maf::parse_key_answer(body)) {
    // What reads back writes the same answer again.
    key_registration k{a->relative_id, a->key ? std::move(*a->key) : key(0), a->source, a->usage, a->targets,
                       a->lifetime, a->labels, a->admin};
    auto again = maf::key_answer_body(k, a->targets.empty());
    auto back = maf::parse_key_answer({again.data(), again.size()});
    if (!back || back->relative_id != a->relative_id || back->labels != a->labels) std::abort();
  }
  if (auto q = maf::parse_key_request(body)) {
    auto again = maf::key_request_body(q->asked);
    if (!maf::parse_key_request({again.data(), again.size()})) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bytes_view in(data + 1, size - 1);
  if (data[0] & 1) read_response(in);
  else serve(in);
  return 0;
}
