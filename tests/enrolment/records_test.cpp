// Enrolment records: subscriptions, application enrolment with revocation, and
// the Registrar's retained registrations.
#include "m2msec/enrolment/records.hpp"

#include <catch2/catch.hpp>

using namespace m2msec;
using namespace std::chrono_literals;

TEST_CASE("Service subscriptions: enrolled Nodes, allowed services and App-IDs", "[enrolment]") {
  subscription_registry subs;
  service_subscription s(*sub_id::parse("sub-0042"));
  const auto node = *node_id::parse("0.2.481.1.100.3030.10011");
  s.enrol(node);
  s.allow_service("telemetry");
  s.allow_app(*app_id::parse("Ra01.com.company.smartcity"));
  subs.add(std::move(s));
  const auto* found = subs.of_node(node);
  REQUIRE(found != nullptr);
  CHECK(found->id().reveal() == "sub-0042");
  CHECK(found->authorize(node, "telemetry"));
  CHECK(found->authorize(node, "telemetry", *app_id::parse("Ra01.com.company.smartcity")));
  CHECK(found->authorize(node, "firmware").error() == errc::not_authorized);
  CHECK(found->authorize(node, "telemetry", *app_id::parse("Nother")).error() == errc::not_authorized);
  CHECK(found->authorize(*node_id::parse("490154203237518"), "telemetry").error() == errc::not_found);
  CHECK(subs.of_node(*node_id::parse("490154203237518")) == nullptr);
  REQUIRE(subs.find(*sub_id::parse("sub-0042")));
  CHECK(subs.find(*sub_id::parse("sub-0042"))->withdraw(node));
  CHECK(subs.of_node(node) == nullptr);
  CHECK(to_rsc(errc::not_authorized) == rsc::originator_has_no_privilege);
}

TEST_CASE("Application enrolment: revoking an App-ID revokes every instance at once", "[enrolment]") {
  application_enrolment apps;
  const auto app = *app_id::parse("Ra01.com.company.smartcity");
  const auto cred = *credential_id::parse("30-appkey");
  apps.enrol(app, cred, {"telemetry"});
  const auto a1 = *ae_id::parse("/in-cse/C0001"), a2 = *ae_id::parse("/in-cse/C0002");
  CHECK(apps.authorize(app, cred, a1, "telemetry"));
  CHECK(apps.authorize(app, cred, a2, "telemetry"));
  CHECK(apps.authorize(app, cred, a1, "firmware").error() == errc::not_authorized);
  CHECK(apps.authorize(app, *credential_id::parse("30-other"), a1, "telemetry").error() == errc::auth_failed);
  CHECK(apps.authorize(*app_id::parse("Nunknown"), cred, a1, "telemetry").error() == errc::not_found);

  // Two live associations made with the App-ID's credential.
  struct cred_view {
    credential_id cid;
    validity life;
    const credential_id& id() const { return cid; }
    const validity& lifetime() const { return life; }
    suid usage() const { return suid::preprovisioned_saef; }
  };
  const time_point t0 = time_point(std::chrono::seconds(1798761600));
  manual_clock clk(t0);
  const cred_view cv{cred, *validity::make(t0, t0 + 24h)};
  sa_registry reg;
  for (const auto& a : {a1, a2})
    reg.insert(*security_association::create({*cse_id::parse("/in-cse"), a}, cv, requested_lifetime::session(1h),
                                             {}, clk));
  const auto instances = apps.revoke(app, &reg);
  CHECK(instances.size() == 2);
  CHECK(apps.authorize(app, cred, a1, "telemetry").error() == errc::revoked);
  CHECK(apps.authorize(app, cred, *ae_id::parse("/in-cse/C0003"), "telemetry").error() == errc::revoked);
  CHECK(reg.check_request(a1, "C0001", t0).error() == errc::originator_not_authenticated);
  CHECK(reg.check_request(a2, "C0002", t0).error() == errc::originator_not_authenticated);
}

TEST_CASE("Retained registrations: the same Registree gets its subscription and ID back", "[enrolment]") {
  retained_registrations table;
  int determined = 0;
  const retained_registrations::determine_fn determine = [&](const credential_id& c) -> result<retained_registrations::registration> {
    if (c.type() == credential_id_type::kpm_id) return fail(errc::not_authorized);
    ++determined;
    return retained_registrations::registration{*sub_id::parse("sub-" + std::to_string(determined)),
                                                *ae_id::parse("/in-cse/C000" + std::to_string(determined))};
  };
  const auto c1 = *credential_id::parse("12-k1@issuer.example.com");
  auto first = table.registration_for(c1, determine);
  REQUIRE(first);
  CHECK_FALSE(first->second);
  auto again = table.registration_for(c1, determine);
  REQUIRE(again);
  CHECK(again->second);
  CHECK(std::get<ae_id>(again->first.id).str() == "/in-cse/C0001");
  CHECK(again->first.subscription == first->first.subscription);
  CHECK(determined == 1);
  auto other = table.registration_for(*credential_id::parse("12-k2@issuer.example.com"), determine);
  REQUIRE(other);
  CHECK_FALSE(other->second);
  CHECK(std::get<ae_id>(other->first.id).str() == "/in-cse/C0002");
  CHECK(table.registration_for(*credential_id::parse("10-boot@mef.example.com"), determine).error() ==
        errc::not_authorized);
  CHECK(table.size() == 2);
  CHECK(table.forget(c1));
  CHECK_FALSE(table.registration_for(c1, determine)->second);
}
