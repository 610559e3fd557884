// Security associations: lifetime capped by the credential, limits, the registry
// and the Registrar's originator check.
#include "m2msec/credential/symmetric.hpp"
#include "m2msec/sa/bound.hpp"
#include "m2msec/sa/registry.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace m2msec;
using namespace std::chrono_literals;

namespace {

const time_point t0 = time_point{} + 24h * 365 * 56;  // about 2026

struct fake_credential {
  credential_id cid = *credential_id::parse("12-k1@issuer.example.com");
  validity life;
  const credential_id& id() const { return cid; }
  const validity& lifetime() const { return life; }
  suid usage() const { return suid::preprovisioned_saef; }
};
static_assert(credential<fake_credential>);
static_assert(credential<symmetric_credential>);

security_association::parties cse_pair() {
  return {*cse_id::parse("/in-cse"), *cse_id::parse("//sp.example.com/mn-cse1")};
}
fake_credential cred(time_point nb, time_point na) { return {.life = *validity::make(nb, na)}; }

}  // namespace

TEST_CASE("SA: lifetime strictly inside the credential's, never extended", "[sa]") {
  manual_clock clk(t0);
  const auto c = cred(t0 - 1h, t0 + 10h);
  SECTION("a session longer than the credential is cut to end one tick before it") {
    auto sa = security_association::create(cse_pair(), c, requested_lifetime::session(100h), {}, clk);
    REQUIRE(sa);
    CHECK(sa->lifetime().not_before() == t0);
    CHECK(sa->lifetime().not_after() == c.life.not_after() - duration{1});
    CHECK(sa->lifetime().not_after() < c.life.not_after());
  }
  SECTION("a shorter session is kept as asked") {
    auto sa = security_association::create(cse_pair(), c, requested_lifetime::session(2h), {}, clk);
    REQUIRE(sa);
    CHECK(sa->lifetime().not_after() == t0 + 2h);
  }
  SECTION("data validity and contract periods are intersected, ends strictly before") {
    auto data = security_association::create(
        cse_pair(), c, requested_lifetime::data(*validity::make(t0 - 5h, t0 + 20h)), {}, clk);
    REQUIRE(data);
    CHECK(data->lifetime().not_before() == c.life.not_before());
    CHECK(data->lifetime().not_after() == c.life.not_after() - duration{1});
    auto contract = security_association::create(
        cse_pair(), c, requested_lifetime::contract(*validity::make(t0 + 1h, t0 + 3h)), {}, clk);
    REQUIRE(contract);
    CHECK(contract->lifetime() == *validity::make(t0 + 1h, t0 + 3h));
    CHECK(contract->use(clk, 1).error() == errc::not_yet_valid);
  }
  SECTION("no association from a credential not yet valid or expired") {
    clk.set(t0 - 2h);
    CHECK(security_association::create(cse_pair(), c, requested_lifetime::session(1h), {}, clk).error() ==
          errc::not_yet_valid);
    clk.set(t0 + 10h + 1ns);
    CHECK(security_association::create(cse_pair(), c, requested_lifetime::session(1h), {}, clk).error() ==
          errc::expired);
    clk.set(c.life.not_after());  // the credential's last instant leaves nothing strictly shorter
    CHECK(security_association::create(cse_pair(), c, requested_lifetime::session(1h), {}, clk).error() ==
          errc::expired);
  }
  SECTION("data whose validity is over, or outside the credential, gives no association") {
    CHECK(security_association::create(cse_pair(), c, requested_lifetime::data(*validity::make(t0 - 1h, t0 - 1s)),
                                       {}, clk)
              .error() == errc::expired);
    CHECK(security_association::create(cse_pair(), c,
                                       requested_lifetime::data(*validity::make(t0 + 11h, t0 + 12h)), {}, clk)
              .error() == errc::invalid_validity);
    CHECK(security_association::create(cse_pair(), c, requested_lifetime::session(0s), {}, clk).error() ==
          errc::invalid_validity);
  }
}

TEST_CASE("SA: soft and hard limits by time, messages and bytes", "[sa]") {
  manual_clock clk(t0);
  const auto c = cred(t0 - 1h, t0 + 10h);
  SECTION("messages") {
    usage_limits l{.soft_messages = 3, .hard_messages = 5};
    auto sa = security_association::create(cse_pair(), c, requested_lifetime::session(1h), l, clk);
    REQUIRE(sa);
    CHECK(*sa->use(clk, 10) == sa_status::ok);
    CHECK(*sa->use(clk, 10) == sa_status::ok);
    CHECK(*sa->use(clk, 10) == sa_status::rekey_due);
    CHECK(*sa->use(clk, 10) == sa_status::rekey_due);
    CHECK(*sa->use(clk, 10) == sa_status::rekey_due);
    CHECK(sa->use(clk, 10).error() == errc::limit_reached);
    CHECK(sa->messages() == 5);
    CHECK(sa->use(clk, 0).error() == errc::limit_reached);  // stays dead
  }
  SECTION("bytes: the message that would cross the hard limit is refused and not counted") {
    usage_limits l{.soft_bytes = 100, .hard_bytes = 150};
    auto sa = security_association::create(cse_pair(), c, requested_lifetime::session(1h), l, clk);
    REQUIRE(sa);
    CHECK(*sa->use(clk, 99) == sa_status::ok);
    CHECK(*sa->use(clk, 1) == sa_status::rekey_due);
    CHECK(sa->use(clk, 51).error() == errc::limit_reached);
    CHECK(sa->bytes() == 100);
    CHECK(sa->use(clk, 1).error() == errc::limit_reached);
  }
  SECTION("time: rekey before the end, refuse after it, even if the clock goes back") {
    usage_limits l{.soft_before_end = 10min};
    auto sa = security_association::create(cse_pair(), c, requested_lifetime::session(1h), l, clk);
    REQUIRE(sa);
    clk.set(t0 + 49min);
    CHECK(*sa->use(clk, 1) == sa_status::ok);
    clk.set(t0 + 50min);
    CHECK(*sa->use(clk, 1) == sa_status::rekey_due);
    clk.set(t0 + 1h);
    CHECK(*sa->use(clk, 1) == sa_status::rekey_due);
    clk.set(t0 + 1h + 1ns);
    CHECK(sa->use(clk, 1).error() == errc::sa_expired);
    clk.set(t0);
    CHECK(sa->use(clk, 1).error() == errc::sa_expired);
  }
  SECTION("close() and end() end it; inconsistent limits are refused") {
    auto sa = security_association::create(cse_pair(), c, requested_lifetime::session(1h), {}, clk);
    sa->close();
    CHECK(sa->use(clk, 1).error() == errc::sa_expired);
    CHECK_FALSE(sa->usable_at(t0));
    // end() keeps the first reason: a later close() or end() does not change it.
    auto other = security_association::create(cse_pair(), c, requested_lifetime::session(1h), {}, clk);
    other->end(errc::limit_reached);
    other->close();
    other->end(errc::revoked);
    CHECK(other->use(clk, 1).error() == errc::limit_reached);
    CHECK(other->check_at(t0).error() == errc::limit_reached);
    usage_limits bad{.soft_messages = 10, .hard_messages = 5};
    CHECK(security_association::create(cse_pair(), c, requested_lifetime::session(1h), bad, clk).error() ==
          errc::invalid_argument);
  }
  SECTION("the AEAD usage limit of the algorithm") {
    auto gcm = with_aead_limit<crypto::aes_gcm<128>>({});
    CHECK(gcm.hard_messages == (std::uint64_t{1} << 32));
    CHECK(gcm.soft_messages < gcm.hard_messages);
    auto tighter = with_aead_limit<crypto::aes_gcm<128>>({.soft_messages = 10, .hard_messages = 20});
    CHECK(tighter.hard_messages == 20);
    CHECK(tighter.soft_messages == 10);
    CHECK(with_aead_limit<crypto::xchacha20_poly1305>({}).hard_messages == usage_limits::none);
    // A hard limit below 7/8 of the bound, with no soft limit: the soft one follows it down,
    // so that the limits stay consistent and an SA can be made with them.
    auto few = with_aead_limit<crypto::aes_gcm<128>>({.hard_messages = 2});
    CHECK(few.hard_messages == 2);
    CHECK(few.soft_messages == 2);
    CHECK(security_association::create(cse_pair(), c, requested_lifetime::session(1h), few, clk));
  }
}

TEST_CASE("SA property: 100,000 random (credential, request, now) triples", "[sa][property]") {
  std::mt19937_64 rng(20261128);
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  std::size_t made = 0, refused = 0, uses_refused_after = 0, uses_refused_before = 0, uses_ok = 0;
  const int triples = 100'000;
  for (int i = 0; i < triples; ++i) {
    const time_point nb = t0 + std::chrono::seconds(pick(-1000, 1000));
    const time_point na = nb + std::chrono::nanoseconds(pick(0, 2'000'000'000'000));
    const fake_credential c = cred(nb, na);
    const auto span = (na - nb).count();
    const time_point now = nb + std::chrono::nanoseconds(pick(-span / 10 - 1, span + span / 10 + 1));
    manual_clock clk(now);
    const int kind = static_cast<int>(pick(0, 2));
    requested_lifetime asked = requested_lifetime::session(std::chrono::nanoseconds(pick(1, 3'000'000'000'000)));
    if (kind > 0) {
      const time_point a = now + std::chrono::nanoseconds(pick(-span, span / 2));
      const auto v = *validity::make(a, a + std::chrono::nanoseconds(pick(0, 2 * span + 1)));
      asked = kind == 1 ? requested_lifetime::data(v) : requested_lifetime::contract(v);
    }
    auto sa = security_association::create(cse_pair(), c, asked, {}, clk);
    const bool cred_valid = c.life.contains(now);
    if (!sa) {
      ++refused;
      if (!cred_valid) REQUIRE((sa.error() == errc::not_yet_valid || sa.error() == errc::expired));
      continue;
    }
    ++made;
    REQUIRE(cred_valid);
    const validity& l = sa->lifetime();
    // Never outlives, never precedes its credential; never longer than asked.
    REQUIRE(l.not_after() < c.life.not_after());
    REQUIRE(l.not_before() >= c.life.not_before());
    REQUIRE(l.not_after() <= asked.at(now)->not_after());
    REQUIRE(l.not_after() >= now);
    // A use inside works; every use after expiry is refused, and stays refused.
    const auto inside = l.not_before() + (l.not_after() - l.not_before()) / 2;
    if (sa->use_at(inside, 1)) ++uses_ok;
    else FAIL("use inside the lifetime refused");
    if (l.not_before() > now) {
      REQUIRE(sa->use_at(l.not_before() - duration{1}, 1).error() == errc::not_yet_valid);
      ++uses_refused_before;
    }
    const auto after = l.not_after() + std::chrono::nanoseconds(pick(1, 1'000'000'000'000));
    REQUIRE(sa->use_at(after, 1).error() == errc::sa_expired);
    REQUIRE(sa->use_at(inside, 1).error() == errc::sa_expired);
    REQUIRE(sa->use_at(c.life.not_after(), 1).error() == errc::sa_expired);
    ++uses_refused_after;
  }
  CHECK(made + refused == triples);
  CHECK(made > 50'000);
  CHECK(refused > 10'000);
  WARN("SA property: " << triples << " triples, " << made << " associations made, " << refused << " refused; "
                       << uses_ok << " uses inside accepted, " << uses_refused_before << " early uses and "
                       << uses_refused_after << " uses after expiry refused");
}

TEST_CASE("SA registry and the Registrar's originator check (4106/4107)", "[sa]") {
  manual_clock clk(t0);
  const auto c = cred(t0 - 1h, t0 + 10h);
  sa_registry reg(*sp_id::parse("//sp.example.com"));
  const bound_identity mn = *cse_id::parse("/mn-cse1");
  const bound_identity ae = *ae_id::parse("/in-cse/C0042");
  reg.insert(*security_association::create({*cse_id::parse("/in-cse"), mn}, c, requested_lifetime::session(1h), {}, clk));
  reg.insert(*security_association::create({*cse_id::parse("/in-cse"), ae}, c, requested_lifetime::session(2h), {}, clk));
  CHECK(reg.size() == 2);

  // The CSE's own SA: SP-relative and absolute CSE-IDs both match it.
  CHECK(reg.check_request(mn, "/mn-cse1", t0));
  CHECK(reg.check_request(mn, "//sp.example.com/mn-cse1", t0));
  CHECK(reg.check_request(mn, "/mn-cse2", t0).error() == errc::originator_not_authenticated);
  CHECK(reg.check_request(mn, "C0042", t0).error() == errc::originator_not_authenticated);
  // The AE's SA: its stem; its SP-relative or absolute AE-ID is a malformed From (4000).
  CHECK(reg.check_request(ae, "C0042", t0));
  CHECK(reg.check_request(ae, "/in-cse/C0042", t0).error() == errc::invalid_encoding);
  CHECK(reg.check_request(ae, "//sp.example.com/in-cse/C0042", t0).error() == errc::invalid_encoding);
  CHECK(reg.check_request(ae, "C0043", t0).error() == errc::originator_not_authenticated);
  CHECK(reg.check_request(ae, "/mn-cse1", t0).error() == errc::originator_not_authenticated);
  CHECK(reg.check_request(ae, "", t0).error() == errc::originator_not_authenticated);
  CHECK(originator_rsc(reg.find(ae), "C0043", t0) == rsc::originator_not_authenticated);
  CHECK(static_cast<int>(originator_rsc(reg.find(ae), "C0043", t0)) == 4106);
  CHECK(originator_rsc(reg.find(ae), "C0042", t0) == rsc::ok);

  // No SA: a CSE is told 4107; an AE only for CREATE <AE> or when registered.
  CHECK(static_cast<int>(originator_rsc(nullptr, "/mn-cse9", t0)) == 4107);
  CHECK(originator_rsc(nullptr, "C0099", t0) == rsc::originator_not_authenticated);
  CHECK(originator_rsc(nullptr, "C0099", t0, {.create_ae = true}) == rsc::ok);
  CHECK(originator_rsc(nullptr, "/in-cse/C0099", t0, {.ae_registered = true}) == rsc::ok);
  CHECK(reg.check_request(*cse_id::parse("/unknown"), "/unknown", t0).error() == errc::security_association_required);

  // An expired SA authenticates nobody; purge() drops it.
  CHECK(reg.check_request(mn, "/mn-cse1", t0 + 1h + 1s).error() == errc::originator_not_authenticated);
  CHECK(reg.purge(t0 + 1h + 1s) == 1);
  CHECK(reg.find(mn) == nullptr);
  CHECK(reg.check_request(mn, "/mn-cse1", t0).error() == errc::security_association_required);

  // A Credential-ID binding authenticates no From until the Registrar maps it.
  const bound_identity by_cred = *credential_id::parse("30-abc");
  auto& sa = reg.insert(*security_association::create({*cse_id::parse("/in-cse"), by_cred}, c,
                                                      requested_lifetime::session(1h), {}, clk));
  CHECK(check_originator(&sa, "C7", t0).error() == errc::originator_not_authenticated);
  const bound_identity mapped = std::vector<ae_id>{*ae_id::parse("/in-cse/C7"), *ae_id::parse("/S8")};
  REQUIRE(reg.rebind(by_cred, mapped));
  CHECK(reg.find(by_cred) == nullptr);
  REQUIRE(reg.find(mapped) != nullptr);  // found under its new identity
  CHECK(reg.check_request(mapped, "C7", t0));
  CHECK(reg.check_request(mapped, "S8", t0));
  CHECK(reg.check_request(mapped, "C9", t0).error() == errc::originator_not_authenticated);
  CHECK(reg.rebind(by_cred, mapped).error() == errc::not_found);
  // Revoking the credential closes every association made with it.
  CHECK(reg.close_all(c.cid) == 2);
  CHECK(reg.check_request(ae, "C0042", t0).error() == errc::originator_not_authenticated);
}

TEST_CASE("From binding: SP boundaries, transit CSEs, registry slots and sticky revocation", "[sa]") {
  manual_clock clk(t0);
  const auto c = cred(t0 - 1h, t0 + 10h);
  const auto sp = *sp_id::parse("//sp1.example.com");
  sa_registry reg(sp);
  auto make = [&](bound_identity peer) {
    return *security_association::create({*cse_id::parse("/in-cse"), std::move(peer)}, c,
                                         requested_lifetime::session(1h), {}, clk);
  };
  // An SA bound to /cse1 (SP-relative, in sp1) and one bound to //sp1.example.com/cse2 (absolute).
  const bound_identity cse1 = *cse_id::parse("/cse1"), cse2 = *cse_id::parse("//sp1.example.com/cse2");
  reg.insert(make(cse1));
  reg.insert(make(cse2));
  CHECK(reg.check_request(cse1, "/cse1", t0));
  CHECK(reg.check_request(cse1, "//sp1.example.com/cse1", t0));
  CHECK(reg.check_request(cse1, "//evil-sp.example.com/cse1", t0).error() == errc::originator_not_authenticated);
  CHECK(reg.check_request(cse2, "/cse2", t0));
  CHECK(reg.check_request(cse2, "//sp1.example.com/cse2", t0));
  CHECK(reg.check_request(cse2, "//sp2.example.com/cse2", t0).error() == errc::originator_not_authenticated);
  // Without its own SP-ID a checker cannot relate the two forms: they do not match.
  auto* sa1 = reg.find(cse1);
  CHECK(check_originator(sa1, "/cse1", t0));
  CHECK(check_originator(sa1, "//sp1.example.com/cse1", t0).error() == errc::originator_not_authenticated);

  // Transit: over a CSE's SA, requests it forwards for AEs pass; it never speaks as another CSE.
  CHECK(reg.check_request(cse1, "/cse1/Cae-7", t0));
  CHECK(reg.check_request(cse1, "//sp1.example.com/cse9/Cae-8", t0));
  CHECK(reg.check_request(cse1, "/S-app-1", t0));
  CHECK(reg.check_request(cse1, "/cse3", t0).error() == errc::originator_not_authenticated);
  CHECK(reg.check_request(cse1, "Cae-7", t0).error() == errc::originator_not_authenticated);  // a stem is a Registree's

  // The CSE /Sabc and the AE /Sabc are two peers, in two slots.
  const bound_identity cse_s = *cse_id::parse("/Sabc"), ae_s = *ae_id::parse("/Sabc");
  reg.insert(make(cse_s));
  reg.insert(make(ae_s));
  REQUIRE(reg.find(cse_s) != nullptr);
  REQUIRE(reg.find(ae_s) != nullptr);
  CHECK(reg.find(cse_s) != reg.find(ae_s));
  CHECK(std::holds_alternative<cse_id>(reg.find(cse_s)->who().peer));
  CHECK(std::holds_alternative<ae_id>(reg.find(ae_s)->who().peer));

  // Revocation is sticky: an SA made later with the revoked credential is closed as it is inserted.
  CHECK(reg.revoke(c.cid) == 4);
  const bound_identity later = *ae_id::parse("/in-cse/C0100");
  reg.insert(make(later));
  CHECK(reg.check_request(later, "C0100", t0).error() == errc::originator_not_authenticated);
  CHECK(reg.revoked(c.cid));
}

TEST_CASE("Credentials derived from Ke never outlive Ke (TS-0003 §10.7)", "[sa][credential]") {
  byte raw[32];
  for (int i = 0; i < 32; ++i) raw[i] = static_cast<byte>(i);
  auto ke = symmetric_credential::make(*secret::copy_of(raw), *credential_id::parse("12-AB@mef.example.com"),
                                       suid::rspf_saef, *cse_id::parse("//sp.example.com/CSE123"),
                                       *validity::make(t0, t0 + 24h));
  REQUIRE(ke);
  const auto asked = *validity::make(t0, t0 + 24h * 30);
  auto kpsa = derive_kpsa_credential(*ke, *cse_id::parse("//sp.example.com/CSE123"),
                                     *kpsa_id::parse("k1@mef.example.com"), *cse_id::parse("/CSE123"), asked, t0 + 1h);
  REQUIRE(kpsa);
  CHECK(kpsa->lifetime().not_after() < ke->lifetime().not_after());
  CHECK(hex_encode(kpsa->key().expose()) == "bc303966a973cfd72ccccfb0ceeea0b6187fc350e5af7030716ff78ce84fd717");
  CHECK(kpsa->id().str() == "12-k1@mef.example.com");
  auto km = derive_km_credential(*ke, *km_id::parse("c1@maf.example.com"), *cse_id::parse("/CSE123"), asked, t0);
  REQUIRE(km);
  CHECK(hex_encode(km->key().expose()) == "3055bf32dd9c95586aaffa2ae2e165dfeffd0803566e16bdd343171457da8a5e");
  CHECK(km->lifetime().not_after() < ke->lifetime().not_after());
  // The usage-constrained key an MEF releases (A13): never past Ke, the key schedule's value.
  const fqdn target = *fqdn::parse("cse123.in-cse.sp.example.com");
  auto uc = derive_usage_constrained_credential(*ke, suid::rspf_saef, target,
                                                *credential_id::parse("12-uc1@mef.example.com"),
                                                *cse_id::parse("/CSE123"), asked, t0 + 1h);
  REQUIRE(uc);
  CHECK(uc->lifetime().not_after() < ke->lifetime().not_after());
  CHECK(uc->usage() == suid::rspf_saef);
  byte expected[32];
  REQUIRE(derive_usage_constrained(ke->key().expose(), suid::rspf_saef, target.str(), expected));
  CHECK(uc->key() == *secret::copy_of(expected));
  CHECK(derive_usage_constrained_credential(*ke, suid::rspf_saef, target, uc->id(), uc->holder(), asked, t0 + 25h)
            .error() == errc::expired);
  CHECK(derive_usage_constrained_credential(*ke, suid::preprovisioned_saef, target, uc->id(), uc->holder(), asked,
                                            t0 + 1h)
            .error() == errc::invalid_argument);
  // Ke expired: nothing more is derived from it.
  CHECK(derive_km_credential(*ke, *km_id::parse("c1@maf.example.com"), *cse_id::parse("/CSE123"), asked, t0 + 25h)
            .error() == errc::expired);
  // A symmetric credential needs a symmetric SUID and a real key.
  CHECK(symmetric_credential::make(*secret::copy_of(raw), ke->id(), suid::certificate_saef, ke->holder(), ke->lifetime())
            .error() == errc::invalid_argument);
  CHECK(symmetric_credential::make(*secret::copy_of(bytes_view(raw, 8)), ke->id(), suid::rspf_saef, ke->holder(),
                                   ke->lifetime())
            .error() == errc::invalid_key_size);
}

// ---- keys bound to their association ---------------------------------------------------

namespace {

struct usage_credential {
  credential_id cid = *credential_id::parse("12-k1@issuer.example.com");
  validity life;
  suid used_for;
  const credential_id& id() const { return cid; }
  const validity& lifetime() const { return life; }
  suid usage() const { return used_for; }
};

sa::bound<secret> bound_key(const usage_credential& c, usage_limits limits, const manual_clock& clk,
                            duration session = 1h) {
  byte k[32];
  for (int i = 0; i < 32; ++i) k[i] = static_cast<byte>(i + 1);
  auto b = sa::bound<secret>::create(*secret::copy_of(k), cse_pair(), c, requested_lifetime::session(session), limits,
                                     clk);
  REQUIRE(b);
  return std::move(*b);
}

}  // namespace

TEST_CASE("sa::bound: the key is reached only through a checked, counted use", "[sa][bound]") {
  const usage_credential c{.life = *validity::make(t0 - 1h, t0 + 2h), .used_for = suid::rspf_saef};
  manual_clock clk(t0);
  auto b = bound_key(c, {.hard_messages = 3}, clk);
  CHECK(b.association().usage() == suid::rspf_saef);

  auto g = b.use(usage_scope::saef, clk, 10);
  REQUIRE(g);
  CHECK(g->key().size() == 32);
  CHECK(g->key().expose()[0] == 1);
  CHECK(g->status() == sa_status::ok);
  CHECK(b.association().messages() == 1);
  CHECK(b.association().bytes() == 10);

  // A handshake keys a channel without counting a message.
  REQUIRE(b.use(usage_scope::saef, clk, 0, 0));
  CHECK(b.association().messages() == 1);

  // Another usage, whatever the association says: refused, nothing counted.
  for (auto other : {usage_scope::mef, usage_scope::maf, usage_scope::esprim, usage_scope::esdata_encryption,
                     usage_scope::esdata_signature}) {
    auto r = b.use(other, clk, 10);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::wrong_usage);
  }
  CHECK(b.use({usage_scope::mef, usage_scope::maf}, clk, 1).error() == errc::wrong_usage);
  CHECK(b.use({usage_scope::esprim, usage_scope::saef}, clk, 1));  // a set that includes it
  CHECK(b.association().messages() == 2);

  // The hard limit: the third use passes, the fourth kills the association for good.
  REQUIRE(b.use(usage_scope::saef, clk, 1));
  CHECK(b.use(usage_scope::saef, clk, 1).error() == errc::limit_reached);
  CHECK(b.use(usage_scope::saef, clk, 0, 0).error() == errc::limit_reached);
  CHECK(b.association().check_at(t0).error() == errc::limit_reached);
}

TEST_CASE("sa::bound: refused after the SA's end, after the credential's end, once closed, before its start",
          "[sa][bound]") {
  const usage_credential c{.life = *validity::make(t0 - 1h, t0 + 2h), .used_for = suid::preprovisioned_esprim};
  {  // the SA's end (a 30-minute session)
    manual_clock clk(t0);
    auto b = bound_key(c, {}, clk, 30min);
    clk.set(b.association().lifetime().not_after());
    CHECK(b.use(usage_scope::esprim, clk, 1));
    clk.advance(1ns);
    CHECK(b.use(usage_scope::esprim, clk, 1).error() == errc::sa_expired);
    clk.set(t0);  // and it stays over, even if the clock goes back
    CHECK(b.use(usage_scope::esprim, clk, 1).error() == errc::sa_expired);
  }
  {  // the credential's end: a session asked past it ends strictly before it
    manual_clock clk(t0);
    auto b = bound_key(c, {}, clk, 24h);
    CHECK(b.association().lifetime().not_after() < c.life.not_after());
    clk.set(c.life.not_after());
    CHECK(b.use(usage_scope::esprim, clk, 1).error() == errc::sa_expired);
  }
  {  // closed (revoked credential, closed channel)
    manual_clock clk(t0);
    auto b = bound_key(c, {}, clk);
    b.association().close();
    CHECK(b.use(usage_scope::esprim, clk, 1).error() == errc::sa_expired);
  }
  {  // a clock before the SA's start
    manual_clock clk(t0);
    auto b = bound_key(c, {}, clk);
    clk.set(t0 - 1s);
    CHECK(b.use(usage_scope::esprim, clk, 1).error() == errc::not_yet_valid);
    CHECK(b.association().messages() == 0);
  }
  {  // an expired credential makes no bound key at all
    manual_clock clk(c.life.not_after() + 1s);
    CHECK(sa::bound<secret>::create(*secret::allocate(32), cse_pair(), c, requested_lifetime::session(1h), {}, clk)
              .error() == errc::expired);
  }
  {  // the clock at the edge of time_point: no overflow, refused as expired
    manual_clock clk(time_point::max());
    const usage_credential forever{.life = *validity::make(t0, time_point::max()), .used_for = suid::rspf_saef};
    CHECK_FALSE(sa::bound<secret>::create(*secret::allocate(32), cse_pair(), forever, requested_lifetime::session(1h),
                                          {}, clk));
  }
}

TEST_CASE("Key usage: every SUID is refused for every scope but its own", "[sa][bound]") {
  const usage_scope scopes[] = {usage_scope::mef, usage_scope::maf, usage_scope::saef, usage_scope::esprim,
                                usage_scope::esdata_encryption, usage_scope::esdata_signature};
  int allowed = 0;
  for (suid s : all_suids)
    for (auto want : scopes) {
      const bool ok = check_usage(s, want).has_value();
      CHECK(ok == (scope_of(s) == want));
      if (!ok) CHECK(check_usage(s, want).error() == errc::wrong_usage);
      allowed += ok;
    }
  CHECK(allowed == static_cast<int>(std::size(all_suids)));
}

TEST_CASE("SA at the edges of time: saturated, never wrapped", "[sa][time]") {
  // Run under UBSan in CI (-fno-sanitize-recover): any signed overflow fails the test.
  constexpr time_point lo = time_point::min(), hi = time_point::max();
  CHECK(saturating_add(hi - 1h, 2h) == hi);
  CHECK(saturating_add(lo + 1h, -2h) == lo);
  CHECK(saturating_add(t0, duration::max()) == hi);
  CHECK(saturating_add(lo + 1h, duration::min()) == lo);
  CHECK(saturating_sub(lo + 1h, 2h) == lo);
  CHECK(saturating_sub(hi - 1h, -2h) == hi);
  CHECK(saturating_sub(lo + 1h, duration::max()) == lo);
  CHECK(saturating_sub(t0, 1h) == t0 - 1h);
  const usage_limits rekey_always{.soft_before_end = duration::max()};
  for (time_point now : {lo + 1s, t0, hi - 1s}) {
    INFO(now.time_since_epoch().count());
    const auto c = cred(lo, hi);  // the widest credential there is
    manual_clock clk(now);
    for (duration asked : {duration::max(), duration(1ns), duration(1h)}) {
      auto sa = security_association::create(cse_pair(), c, requested_lifetime::session(asked), rekey_always, clk);
      REQUIRE(sa);
      CHECK(sa->lifetime().not_after() < hi);
      CHECK(sa->lifetime().not_before() == now);
      // soft_before_end longer than the whole lifetime: rekey due at once, no overflow.
      CHECK(sa->use(clk, 1) == sa_status::rekey_due);
    }
  }
  CHECK(security_association::create(cse_pair(), cred(lo, hi), requested_lifetime::session(duration::zero()), {},
                                     manual_clock(t0))
            .error() == errc::invalid_validity);
}

TEST_CASE("SA property: From forms against bound identities, SP-relative and absolute, with transit",
          "[sa][property]") {
  std::mt19937_64 rng(20261129);
  auto pick = [&](int n) { return static_cast<int>(std::uniform_int_distribution<int>(0, n - 1)(rng)); };
  const std::string sps[] = {"sp1.example.com", "sp2.example.com"};  // the checker is in sp1
  const std::string names[] = {"cse1", "cse2"};
  const std::string stems[] = {"Cae1", "Cae2"};
  manual_clock clk(t0);
  const auto c = cred(t0 - 1h, t0 + 1h);
  sa_registry reg(*sp_id::parse("//sp1.example.com"));
  // The identity a written form stands for, as the oracle reads it: (SP, name).
  auto cse_text = [&](int sp, int name, bool absolute) {
    return (absolute ? "//" + sps[sp] : std::string()) + "/" + names[name];
  };
  std::size_t accepted = 0, refused = 0, malformed = 0;
  for (int i = 0; i < 20'000; ++i) {
    const bool bound_is_cse = pick(2) == 0;
    const int bsp = pick(2), bname = pick(2);
    const bool babs = pick(2) == 0;
    // An SP-relative bound identity is in the checker's SP (sp1).
    const int bound_sp = babs ? bsp : 0;
    bound_identity bound = bound_is_cse ? bound_identity(*cse_id::parse(cse_text(bsp, bname, babs)))
                                        : bound_identity(*ae_id::parse(cse_text(bsp, bname, babs) + "/" + stems[bname]));
    security_association& sa = reg.insert(*security_association::create({*cse_id::parse("/in-cse"), bound}, c,
                                                                        requested_lifetime::session(30min), {}, clk));
    // The From: a CSE-ID, an AE-ID or a stem, in either form, of either SP and name.
    const int form = pick(3), fsp = pick(2), fname = pick(2);
    const bool fabs = pick(2) == 0;
    const int from_sp = fabs ? fsp : 0;
    std::string from;
    if (form == 0) from = cse_text(fsp, fname, fabs);
    else if (form == 1) from = cse_text(fsp, fname, fabs) + "/" + stems[fname];
    else from = stems[fname];
    // The oracle, from the rules alone.
    errc expected{};
    bool ok = false;
    if (bound_is_cse) {
      ok = (form == 0 && from_sp == bound_sp && fname == bname) || form == 1;  // itself, or forwarding for an AE
      if (!ok) expected = errc::originator_not_authenticated;
    } else if (form == 2) {
      ok = fname == bname;  // a Registree AE by its stem (stems name the AE under its Registrar)
      if (!ok) expected = errc::originator_not_authenticated;
    } else {
      expected = form == 1 ? errc::invalid_encoding : errc::originator_not_authenticated;
    }
    auto r = check_originator(&sa, from, t0, {.own_sp = *sp_id::parse("//sp1.example.com")});
    INFO("bound " << to_string(bound) << ", From " << from);
    REQUIRE(r.has_value() == ok);
    if (!ok) REQUIRE(r.error() == expected);
    (ok ? accepted : refused) += 1;
    malformed += !ok && expected == errc::invalid_encoding;
  }
  CHECK(accepted > 2'000);
  CHECK(refused > 2'000);
  CHECK(malformed > 500);
  WARN("From property: 20,000 (binding, From) pairs: " << accepted << " accepted, " << refused << " refused ("
                                                        << malformed << " as malformed, 4000)");
}
