// Fuzz target: the MEF's request handling (enrolment/mef.hpp over
// enrolment/http_binding.hpp). The first byte picks a side: the server's reader
// and engine (bytes a client sent, over a connection bound to an Enrolee that
// may enrol and a record it may fetch), or the client's reader of responses with
// the answer and key parsers. Nothing may crash, leak or answer without a code.
#include <cstdlib>

#include "function_fuzz.hpp"
#include "m2msec/enrolment/mef.hpp"

using namespace m2msec;
using namespace std::chrono_literals;

namespace {
const time_point t0 = time_point(std::chrono::seconds(1798761600));
const manual_clock clk(t0);

secret key(byte b) {
  byte k[32];
  for (auto& x : k) x = b;
  return *secret::copy_of(k);
}

void serve(bytes_view in) {
  static const auto enrolee = *ae_id::parse("/in-cse/Cenrolee");
  static const auto ke = ke_id::from_bytes(std::array<byte, 16>{1}, *fqdn::parse("mef.example.com"));
  memory_mef_store store;
  mef::server<memory_mef_store, manual_clock> m({*fqdn::parse("mef.example.com")}, store, clk);
  m.instruct(entity_id{enrolee}, {{*cse_id::parse("/mn-cse")}, t0 + 24h, "https://est", std::nullopt, std::nullopt, std::nullopt});
  (void)store.put({ke, key(3), entity_id{enrolee}, {entity_id{enrolee}}, *validity::make(t0 - 1h, t0 + 1h)});
  (void)store.put_client({std::string(32, 'A'), entity_id{enrolee}, *fqdn::parse("node.example.com"), std::nullopt, {}, t0 + 1h});
  auto cred = *symmetric_credential::make(key(1), *credential_id::parse("10-enrolee@mef.example.com"),
                                          suid::preprovisioned_mef, entity_id{enrolee}, *validity::make(t0 - 1h, t0 + 24h));
  auto sa = *security_association::create({*fqdn::parse("mef.example.com"), enrolee}, cred,
                                          requested_lifetime::session(1h), {}, clk);
  mef::connection c{enrolee, entity_id{enrolee}, &sa, tls::exported_key<ke_id>{ke_id::from_bytes(std::array<byte, 16>{2}, *fqdn::parse("mef.example.com")), key(2)},
                    false, {}};
  function_fuzz::serve(m, c, in);
}

void read_response(bytes_view in) {
  mef::http::response_reader reader;
  std::size_t used = 0;
  auto got = reader.read(in, used);
  if (!got || !got->message) return;
  const std::string_view body(got->message->body.data(), got->message->body.size());
  if (auto a = mef::parse_enrolment_answer(body)) {
    // What reads back writes the same answer again.
    if (mef::parse_enrolment_answer(mef::enrolment_answer_body(*a))->id.str() != a->id.str()) std::abort();
  }
  if (auto k = mef::parse_released_key(body)) {
    auto again = mef::released_key_body(*k);
    if (!(mef::parse_released_key({again.data(), again.size()})->key == k->key)) std::abort();
  }
  if (auto c = mef::parse_registration(body)) {
    if (mef::parse_registration(mef::registration_body(*c))->id != c->id) std::abort();
  }
  (void)mef::parse_fetch_target(body);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bytes_view in(data + 1, size - 1);
  if (data[0] & 1) read_response(in);
  else serve(in);
  return 0;
}
