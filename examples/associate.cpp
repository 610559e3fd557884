// From an enrolment key to a security association a Registrar CSE checks per
// request: derive a Kpsa from Ke (TS-0003 §10.3.3), keep it in the encrypted
// credential store, make an SA capped by its lifetime, and check `From`.
#include <cstdio>
#include <filesystem>

#include "m2msec/m2msec.hpp"

using namespace m2msec;
using namespace std::chrono_literals;

int main() {
  const time_point now = std::chrono::system_clock::now();
  const auto mn_cse = *cse_id::parse("//sp.example.com/mn-cse1");

  // Ke, as the MEF handshake's exporter would give it, valid for 30 days.
  byte exporter_output[exporter_size];
  if (!crypto::rng<>::fill(exporter_output)) return 1;
  auto parts = *split_exporter(exporter_output);
  const auto ke_name = ke_id::from_bytes(parts.relative_id, *fqdn::parse("mef.sp.example.com"));
  auto ke = *symmetric_credential::make(std::move(parts.key),
                                        *credential_id::make(credential_id_type::kpsa_or_kc_id, ke_name.str()),
                                        suid::rspf_saef, mn_cse, *validity::make(now, now + 24h * 30));
  std::printf("Ke          %s, until %+lld h\n", ke_name.str().c_str(),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::hours>(ke.lifetime().not_after() - now).count()));

  // A Kpsa for PSK-SAEF with this CSE, asked for a year: Ke caps it.
  auto kpsa = derive_kpsa_credential(ke, mn_cse, *kpsa_id::parse("mn-cse1@mef.sp.example.com"), mn_cse,
                                     *validity::make(now, now + 24h * 365), now);
  if (!kpsa) return std::printf("derive: %s\n", to_string(kpsa.error()).data()), 1;
  std::printf("Kpsa        %s, ends %s Ke\n", kpsa->id().str().c_str(),
              kpsa->lifetime().not_after() < ke.lifetime().not_after() ? "before" : "NOT before");

  // Stored, encrypted under a storage key, and read back.
  const auto file = std::filesystem::temp_directory_path() / "m2msec-example-credentials.bin";
  std::filesystem::remove(file);
  auto storage_key = *secret::allocate(32);
  if (!crypto::rng<>::fill(storage_key.expose())) return 1;
  {
    auto store = *credential_store::open(file, *storage_key.clone(), now);
    if (auto r = store.put(*kpsa->clone()); !r) return std::printf("store: %s\n", to_string(r.error()).data()), 1;
  }
  auto store = *credential_store::open(file, std::move(storage_key), now);
  const auto* stored = store.find(kpsa->id());
  std::printf("store       %zu credential(s), Kpsa %s\n", store.size(), stored && stored->key() == kpsa->key() ? "intact" : "LOST");

  // The Registrar's SA with the CSE, a 2-hour session, rekey 10 minutes before the end.
  manual_clock clk(now);
  sa_registry associations;
  const bound_identity peer = mn_cse.sp_relative();
  auto sa = security_association::create({*cse_id::parse("/in-cse"), peer}, *stored, requested_lifetime::session(2h),
                                         {.soft_before_end = 10min}, clk);
  if (!sa) return std::printf("sa: %s\n", to_string(sa.error()).data()), 1;
  auto& live = associations.insert(std::move(*sa));
  std::printf("SA          bound to %s for %lld min\n", to_string(live.who().peer).c_str(),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::minutes>(live.lifetime().not_after() - now).count()));

  for (const char* from : {"/mn-cse1", "/mn-cse2"})
    std::printf("From %-9s -> RSC %d\n", from, static_cast<int>(originator_rsc(&live, from, clk.now())));
  std::printf("From %-9s -> RSC %d (no SA)\n", "/mn-cse9", static_cast<int>(originator_rsc(nullptr, "/mn-cse9", clk.now())));

  clk.advance(115min);
  std::printf("after 115 min: %s\n", live.use(clk, 100) == sa_status::rekey_due ? "rekey due" : "ok");
  clk.advance(10min);
  auto late = live.use(clk, 100);
  std::printf("after 125 min: %s, From /mn-cse1 -> RSC %d\n", late ? "ok" : to_string(late.error()).data(),
              static_cast<int>(originator_rsc(&live, "/mn-cse1", clk.now())));
  std::filesystem::remove(file);
  return late ? 1 : 0;
}
