// ESPrim end to end: an AE registered on an MN-CSE sends a request to the IN-CSE
// through transit CSEs that cannot read it (TS-0003 §8.4).
//  1. Both hold a pairwiseESPrimKey (here from the MAF, TS-0003 §8.4.2 C.6a).
//  2. The IN-CSE publishes a shared receiver rand object in e2eSecInfo (esro).
//  3. The AE makes its originator object and the sessionESPrimKey, and sends the
//     request as a JWE inside a NOTIFY with m2m:seci (sit = 5).
//  4. The IN-CSE runs the seven checks, answers under the same key, and refuses a
//     replay, an impersonation and a tampered object with their codes.
#include <chrono>
#include <cstdio>

#include "m2msec/e2e.hpp"

using namespace m2msec;
using namespace std::chrono_literals;

namespace {

symmetric_credential pairwise_key(const secret& k, entity_id holder, validity life) {
  auto id = credential_id::make(credential_id_type::pairwise_esprim_key_id, "5EC0DE5EC0DE5EC0DE5EC0DE5EC0DE50@maf.sp.example.com");
  return *symmetric_credential::make(*k.clone(), *id, suid::maf_esprim, std::move(holder), life);
}

const char* code(const esprim::error& e) {
  static char buf[64];
  std::snprintf(buf, sizeof buf, "%d (%s)", static_cast<int>(e.code), std::string(to_string(e.reason)).c_str());
  return buf;
}

}  // namespace

int main() {
  system_clock clock;
  const auto in_cse = *cse_id::parse("/in-cse");
  const auto ae = *ae_id::parse("/mn-cse/Cae-meter-7");
  const auto life = *validity::make(clock.now() - 1min, clock.now() + 24h);

  // 1. The pairwise key on both sides, bound on the IN-CSE to the AE's From.
  auto kc = secret::allocate(32);
  if (!kc || !crypto::rng<>::fill(kc->expose())) return 1;
  esprim::receiver in(in_cse);
  if (!in.add_pairwise_key({pairwise_key(*kc, in_cse, life), "Cae-meter-7"})) return 1;

  // 2. A shared receiver object, valid for an hour.
  auto shared = in.issue_rand_object(1h, /*shared=*/true, clock);
  if (!shared) return 1;
  std::printf("IN-CSE e2eSecInfo esro: %s\n", esprim::to_json(*shared, esprim::role::receiver).dump().c_str());

  // 3. The AE's session, and its request inside the outer NOTIFY.
  auto session = esprim::originator::start({pairwise_key(*kc, ae, life), "Cae-meter-7"}, ae, *shared,
                                           jose::enc::a256gcm, 30min, clock);
  if (!session) return 1;
  const jose::json inner = {{"op", 2}, {"to", "/in-cse/meter-7/la"}, {"fr", "Cae-meter-7"}, {"rqi", "rq-1"}, {"rvi", "4"}};
  auto jwe = session->protect_request(as_bytes(inner.dump()), clock);
  if (!jwe) return 1;
  const jose::json notify = esprim::outer_request(inner, "/in-cse/.", "/mn-cse", "outer-1", *jwe);
  std::printf("outer NOTIFY (what transit CSEs see): op=%d to=%s sit=%d, epo of %zu characters\n",
              notify["op"].get<int>(), notify["to"].get<std::string>().c_str(),
              notify["pc"]["m2m:seci"]["sit"].get<int>(), jwe->size());

  // 4. The IN-CSE: the seven checks, then the response under the same key.
  auto carried = esprim::esprim_object_of(notify);
  auto request = in.unprotect(*carried, clock);
  if (!request) return 1;
  std::printf("IN-CSE accepted a request from %s: %s\n", request->from.c_str(),
              std::string(request->primitive.begin(), request->primitive.end()).c_str());
  const std::string response = R"({"rsc":2000,"rqi":"rq-1","pc":{"m2m:cin":{"con":"21.5"}}})";
  auto answer = in.protect_response(*request, as_bytes(response), clock);
  auto back = session->unprotect_response(*answer, clock);
  if (!back) return 1;
  std::printf("AE read the response: %s\n", std::string(back->begin(), back->end()).c_str());

  // What the IN-CSE refuses.
  auto again = in.unprotect(*carried, clock);
  std::printf("the same object again: %s\n", again ? "accepted (wrong)" : code(again.error()));
  auto spoof = session->protect_request(as_bytes(jose::json{{"op", 4}, {"fr", "Cother"}, {"rqi", "rq-2"}}.dump()), clock);
  auto impersonation = in.unprotect(*spoof, clock);
  std::printf("a request whose From is another AE's: %s\n", impersonation ? "accepted (wrong)" : code(impersonation.error()));
  std::string tampered = *jwe;
  tampered[tampered.rfind('.') - 2] = tampered[tampered.rfind('.') - 2] == 'A' ? 'B' : 'A';
  auto bad = in.unprotect(tampered, clock);
  std::printf("a tampered object: %s\n", bad ? "accepted (wrong)" : code(bad.error()));
  return again || impersonation || bad ? 1 : 0;
}
