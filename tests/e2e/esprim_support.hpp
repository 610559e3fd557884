// An ESPrim Receiver (the Hosting CSE) and an Originator (an AE registered
// elsewhere) that share a pairwiseESPrimKey, on a manual clock.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "m2msec/e2e/esprim.hpp"
#include "m2msec/e2e/esprim/notify.hpp"

namespace esprim_support {

using namespace m2msec;
using namespace std::chrono_literals;

inline const time_point start = std::chrono::sys_days(std::chrono::year{2026} / 11 / 28) + 9h;
inline const std::string kid = "2B7E151628AED2A6ABF7158809CF4F3C@maf.sp.example.com";
inline const std::string originator_from = "Cae-meter-7";

inline symmetric_credential credential(const secret& key, entity_id holder, validity life,
                                       suid usage = suid::maf_esprim) {
  auto k = key.clone();
  auto id = credential_id::make(credential_id_type::pairwise_esprim_key_id, kid);
  REQUIRE(k);
  REQUIRE(id);
  auto c = symmetric_credential::make(std::move(*k), *id, usage, std::move(holder), life);
  REQUIRE(c);
  return std::move(*c);
}

struct pair {
  manual_clock clock{start};
  secret pairwise;
  validity key_life = *validity::make(start - 1h, start + 24h);
  cse_id hosting = *cse_id::parse("/in-cse");
  ae_id self = *ae_id::parse("/mn-cse/" + originator_from);
  esprim::receiver rx{hosting};
  esprim::pairwise_key originator_key;
  esprim::rand_object receiver_object;

  explicit pair(duration receiver_life = 1h, bool shared = true, esprim::receiver_options opt = {})
      : pairwise(*secret::allocate(32)),
        rx(hosting, std::move(opt)),
        originator_key{credential(pairwise_init(), self, key_life), originator_from} {
    REQUIRE(rx.add_pairwise_key({credential(pairwise, hosting, key_life), originator_from}));
    auto ro = rx.issue_rand_object(receiver_life, shared, clock);
    REQUIRE(ro);
    receiver_object = *ro;
  }
  const secret& pairwise_init() {
    REQUIRE(crypto::rng<>::fill(pairwise.expose()));
    return pairwise;
  }
  esprim::originator originator(jose::enc e = jose::enc::a256gcm, duration life = 30min) {
    auto o = esprim::originator::start(originator_key, self, receiver_object, e, life, clock);
    REQUIRE(o);
    return std::move(*o);
  }
};

inline std::string request(const std::string& from = originator_from, const std::string& rqi = "req-1") {
  return jose::json{{"op", 2}, {"to", "/in-cse/meter/la"}, {"fr", from}, {"rqi", rqi}, {"rvi", "4"}}.dump();
}
inline std::string response(const std::string& rqi = "req-1") {
  return jose::json{{"rsc", 2000}, {"rqi", rqi}, {"pc", {{"m2m:cin", {{"con", "21.5"}}}}}}.dump();
}

}  // namespace esprim_support
