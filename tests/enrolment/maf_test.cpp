// The MAF procedures (TS-0003 §8.8, §8.2.2.3) in memory: real channels pumped into
// each other, the primitives carried over HTTP by Beast. A registers Kc for B; B
// retrieves it and the two complete MAF-SAEF; ESData keys for several readers;
// and every refusal, with its code.
#include "link.hpp"

#include "m2msec/enrolment/maf.hpp"
#include "m2msec/kdf/key_schedule.hpp"

using namespace m2msec;

namespace {

const time_point t0 = time_point(std::chrono::seconds(1798761600));  // 2027-01-01
const fqdn maf_fqdn = *fqdn::parse("maf.example.com");
const sp_id sp = *sp_id::parse("//sp.example.com");
const entity_id alpha = *ae_id::parse("/in-cse/Calpha");
const entity_id mn_cse = *cse_id::parse("/mn-cse");
const entity_id other_cse = *cse_id::parse("/other-cse");
const entity_id mn_abs = *cse_id::parse("//sp.example.com/mn-cse");
const entity_id other_abs = *cse_id::parse("//sp.example.com/other-cse");
using maf_server = maf::server<memory_maf_store, manual_clock>;
using maf_link = test_link<maf_server, tls::maf_handshake, maf::connection>;

secret key_of(byte b) {
  byte k[32];
  for (int i = 0; i < 32; ++i) k[i] = static_cast<byte>(b + i);
  return *secret::copy_of(k);
}
// A Km (SUID 11) for `who`, named `name`@maf.example.com.
symmetric_credential km(std::string_view name, const entity_id& who, byte b) {
  return *symmetric_credential::make(key_of(b), *credential_id::make(credential_id_type::km_id, std::string(name) + "@maf.example.com"),
                                     suid::preprovisioned_maf, who, *validity::make(t0 - 1h, t0 + 90 * 24h));
}
bound_identity bound_of(const entity_id& e) {
  if (const auto* c = std::get_if<cse_id>(&e)) return *c;
  return std::get<ae_id>(e);
}

// A MAF, its store, and three clients with their Km: A (an AE), and two CSEs.
struct world {
  manual_clock clk{t0};
  memory_maf_store store;
  maf_server maf{{maf_fqdn, sp}, store, clk};

  world() {
    REQUIRE(maf.add_km(km("alpha", alpha, 0x10), bound_of(alpha)));
    REQUIRE(maf.add_km(km("mn", mn_cse, 0x20), bound_of(mn_cse)));
    REQUIRE(maf.add_km(km("other", other_cse, 0x30), bound_of(other_cse)));
  }
  maf_link link(std::string_view name, const entity_id& who, byte b, transport kind = transport::stream) {
    maf_link l(maf, clk, km(name, who, b), who, kind);
    REQUIRE(l.conn);
    return l;
  }
  // MAF Client Registration on `l`, until `end`.
  void register_client(maf_link& l, const entity_id& who, time_point end = t0 + 30 * 24h) {
    auto r = l.exchange(maf, maf::registration_request(who, "reg-" + to_string(who), *fqdn::parse("client.example.com"), end));
    REQUIRE(r);
    REQUIRE(r->code == rsc::created);
  }
  // A registers Kc of its handshake for `targets` (after its Client Registration).
  result<maf::registered_key> register_kc(maf_link& a, std::vector<entity_id> targets, time_point end,
                                          suid usage = suid::maf_saef) {
    auto kc = tls::connection_key(*a.client, maf_fqdn);
    REQUIRE(kc);
    auto r = a.exchange(maf, maf::key_registration_request(alpha, "key-1", usage, std::move(targets), end));
    if (!r) return fail(errc::io_error);
    return maf::read_key_registration(*r, alpha, maf_fqdn, std::move(kc->key), kc->id);
  }
  // One Key Retrieval by `who`.
  std::optional<mef::response> retrieve(std::string_view name, const entity_id& who, byte b, const kc_id& id) {
    auto l = link(name, who, b);
    return l.exchange(maf, maf::key_retrieval_request(who, "ret-1", id));
  }
};

}  // namespace

TEST_CASE("maf: A registers Kc for B, B retrieves it, MAF-SAEF bound to A, over TLS and DTLS", "[maf]") {
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO((kind == transport::stream ? "TLS" : "DTLS"));
    world w;
    auto a = w.link("alpha", alpha, 0x10, kind);
    w.register_client(a, alpha);
    // assignedSymmKeyID is the KmID A used.
    CHECK(std::string_view(a.last->body.data(), a.last->body.size()).find("\"asid\":\"alpha@maf.example.com\"") !=
          std::string_view::npos);
    const time_point end = t0 + 2h;
    auto k = w.register_kc(a, {mn_abs}, end);
    REQUIRE(k);
    CHECK(k->id.domain() == maf_fqdn);
    CHECK(k->answer.lifetime.not_after() <= end);
    CHECK(k->answer.usage == suid::maf_saef);
    auto a_cred = k->credential(alpha);
    REQUIRE(a_cred);
    CHECK(a_cred->lifetime().not_after() < k->answer.lifetime.not_after());

    // B routes identities naming the MAF to a MAF Handshake and Key Retrieval.
    std::map<std::string, symmetric_credential> fetched;
    tls::psk_router<manual_clock> router(
        [](std::string_view, std::string_view) -> result<tls::psk_entry> { return fail(errc::not_found); }, w.clk);
    router.route(maf_fqdn, [&](std::string_view identity, std::string_view) -> result<tls::psk_entry> {
      auto id = kc_id::parse(identity);
      if (!id) return fail(errc::not_found);
      auto got = w.retrieve("mn", mn_cse, 0x20, *id);
      if (!got) return fail(errc::io_error);
      auto cred = maf::read_retrieved(*got, *id);
      if (!cred) return fail(errc::not_found);
      auto& kept = fetched.insert_or_assign(std::string(identity), std::move(*cred)).first->second;
      return tls::psk_entry{&kept, bound_of(kept.holder())};
    });
    auto saef = [&](symmetric_credential& cred) {
      auto psk = sa::bound<secret>::create(*cred.key().clone(), {alpha, bound_of(mn_cse)}, cred, requested_lifetime::session(4h), {}, w.clk);
      REQUIRE(psk);
      auto client = std::move(*tls::connect<tls::maf_saef>({kind, "mn-cse.sp.example.com"}, k->id, *psk, w.clk));
      auto server = std::move(*channel::psk_server({kind, "mn-cse.sp.example.com", {}, usage_scope::saef}, mn_cse,
                                                   router.resolver(), requested_lifetime::session(4h), {}, w.clk));
      const bool up = test_channel::pump(*client, *server) && client->active() && server->active();
      return std::pair{up, std::move(server)};
    };
    auto [up, b] = saef(*a_cred);
    REQUIRE(up);
    // B binds to the identity the MAF supplied: the source, A; strictly before expirationTime.
    auto* sa = b->association();
    REQUIRE(sa);
    CHECK(std::get<ae_id>(sa->who().peer) == std::get<ae_id>(alpha));
    CHECK(sa->lifetime().not_after() < k->answer.lifetime.not_after());
    CHECK(b->check_originator("Calpha") == rsc::ok);
    CHECK(b->check_originator("/other-cse") == rsc::originator_not_authenticated);

    // After expirationTime B gets no key, and the handshake fails: a new MAF round is needed.
    w.clk.set(end + 1s);
    auto stale = *symmetric_credential::make(*a_cred->key().clone(), a_cred->id(), suid::maf_saef, alpha,
                                             *validity::make(t0, t0 + 24h));  // A's own, claiming longer
    auto [again, b2] = saef(stale);
    CHECK_FALSE(again);
    CHECK(b2->association() == nullptr);
  }
}

TEST_CASE("maf: ESData keys for two readers, a third refused; ESPrim from Kc with Kc's lifetime", "[maf]") {
  world w;
  auto a = w.link("alpha", alpha, 0x10);
  w.register_client(a, alpha);
  // ESData: a Key Value of A's choosing, for two readers.
  const auto value = key_of(0x5A);
  auto r = a.exchange(w.maf, maf::key_registration_request(alpha, "esd-1", suid::maf_esdata_encryption,
                                                           {mn_abs, other_abs}, t0 + 1h, &value, {"meter"}));
  REQUIRE(r);
  auto k = maf::read_key_registration(*r, alpha, maf_fqdn, *value.clone());
  REQUIRE(k);
  CHECK(k->answer.targets.size() == 2);
  CHECK(k->answer.labels == std::vector<std::string>{"meter"});
  for (auto [name, who, b] : {std::tuple{"mn", mn_cse, byte{0x20}}, std::tuple{"other", other_cse, byte{0x30}}}) {
    auto got = w.retrieve(name, who, b, k->id);
    REQUIRE(got);
    auto cred = maf::read_retrieved(*got, k->id);
    REQUIRE(cred);
    CHECK(cred->key() == value);
    CHECK(cred->usage() == suid::maf_esdata_encryption);
    CHECK(to_string(cred->holder()) == "/in-cse/Calpha");
  }
  auto third = w.retrieve("alpha", alpha, 0x10, k->id);  // the source is no reader
  REQUIRE(third);
  CHECK(third->code == rsc::originator_has_no_privilege);

  // ESPrim: Kc for one Receiver; both ends derive pairwiseESPrimKey (decision A7)
  // under pairwiseESPrimKeyID = KcID@MAF-FQDN, living as long as Kc.
  auto a2 = w.link("alpha", alpha, 0x10);
  auto e = w.register_kc(a2, {mn_abs}, t0 + 3h, suid::maf_esprim);
  REQUIRE(e);
  auto got = w.retrieve("mn", mn_cse, 0x20, e->id);
  REQUIRE(got);
  auto receiver = maf::read_retrieved(*got, e->id);
  REQUIRE(receiver);
  CHECK(receiver->lifetime().not_after() == e->answer.lifetime.not_after());
  auto mine = derive_maf_pairwise_esprim_key(e->key, e->id);
  auto theirs = derive_maf_pairwise_esprim_key(receiver->key(), e->id);
  REQUIRE(mine);
  REQUIRE(theirs);
  CHECK(*mine == *theirs);
  CHECK_FALSE(*mine == e->key);
}

TEST_CASE("maf: refused with their RSC and no key: not a target, unknown, expired, de-registered look the same",
          "[maf]") {
  world w;
  auto a = w.link("alpha", alpha, 0x10);
  w.register_client(a, alpha);
  auto k = w.register_kc(a, {mn_abs}, t0 + 1h);
  REQUIRE(k);
  auto body = [](const mef::response& r) { return std::string(r.body.data(), r.body.size()); };

  auto not_target = w.retrieve("other", other_cse, 0x30, k->id);
  byte rel[16] = {0xEE};
  auto unknown = w.retrieve("mn", mn_cse, 0x20, kc_id::from_bytes(rel, maf_fqdn));
  REQUIRE(not_target);
  REQUIRE(unknown);
  CHECK(not_target->code == rsc::originator_has_no_privilege);
  CHECK(unknown->code == rsc::originator_has_no_privilege);
  CHECK(body(*not_target) == body(*unknown));
  CHECK(body(*unknown).find("crd") == std::string::npos);
  CHECK(w.maf.store().size() == 1);  // nothing released, nothing added

  // Update and De-Registration by anyone but the source: as unknown.
  auto other = w.link("other", other_cse, 0x30);
  w.register_client(other, other_cse);
  auto upd = other.exchange(w.maf, maf::key_update_request(other_cse, "u1", k->id, t0 + 2h, std::vector<entity_id>{other_abs}));
  auto del = other.exchange(w.maf, maf::key_deregistration_request(other_cse, "d1", k->id));
  REQUIRE(upd);
  REQUIRE(del);
  CHECK(upd->code == rsc::originator_has_no_privilege);
  CHECK(del->code == rsc::originator_has_no_privilege);
  CHECK(body(*upd) == body(*unknown));
  REQUIRE(w.retrieve("mn", mn_cse, 0x20, k->id)->code == rsc::ok);

  // The source updates the targets: the old target is out, the new one in.
  auto moved = a.exchange(w.maf, maf::key_update_request(alpha, "u2", k->id, std::nullopt, std::vector<entity_id>{other_abs}));
  REQUIRE(moved);
  CHECK(moved->code == rsc::ok);
  CHECK(w.retrieve("mn", mn_cse, 0x20, k->id)->code == rsc::originator_has_no_privilege);
  CHECK(w.retrieve("other", other_cse, 0x30, k->id)->code == rsc::ok);

  // After expirationTime: as unknown. After De-Registration: as unknown.
  w.clk.set(t0 + 1h + 1s);
  auto expired = w.retrieve("other", other_cse, 0x30, k->id);
  REQUIRE(expired);
  CHECK(expired->code == rsc::originator_has_no_privilege);
  CHECK(body(*expired) == body(*unknown));
  w.clk.set(t0 + 10min);
  auto gone = a.exchange(w.maf, maf::key_deregistration_request(alpha, "d2", k->id));
  REQUIRE(gone);
  CHECK(gone->code == rsc::deleted);
  auto after = w.retrieve("other", other_cse, 0x30, k->id);
  REQUIRE(after);
  CHECK(after->code == rsc::originator_has_no_privilege);
  CHECK(body(*after) == body(*unknown));
  CHECK(w.maf.store().size() == 0);
}

TEST_CASE("maf: registration by an unregistered client, bad targetIDs, Kc twice, replayed or malformed: refused",
          "[maf]") {
  world w;
  // No Client Registration: 4103, nothing stored.
  auto stranger = w.link("alpha", alpha, 0x10);
  auto r = stranger.exchange(w.maf, maf::key_registration_request(alpha, "k0", suid::maf_saef, {mn_abs}, t0 + 1h));
  REQUIRE(r);
  CHECK(r->code == rsc::originator_has_no_privilege);
  CHECK(stranger.last->refused == errc::not_found);
  CHECK(w.maf.store().size() == 0);

  auto a = w.link("alpha", alpha, 0x10);
  w.register_client(a, alpha);
  const auto value = key_of(0x11);
  // The one-target rule for SAEF and ESPrim; absolute targets only; ESData needs one at least.
  for (auto [usage, targets] : std::vector<std::pair<suid, std::vector<entity_id>>>{
           {suid::maf_saef, {mn_abs, other_abs}},
           {suid::maf_esprim, {mn_abs, other_abs}},
           {suid::maf_saef, {}},
           {suid::maf_saef, {mn_cse}},
           {suid::maf_esdata_encryption, {}},
           {suid::maf_esdata_signature, {mn_abs, other_cse}},
           {suid::rspf_saef, {mn_abs}}}) {
    INFO(static_cast<int>(usage) << " with " << targets.size() << " targets");
    auto q = a.exchange(w.maf, maf::key_registration_request(alpha, "k" + std::to_string(static_cast<int>(usage)) +
                                                                        std::to_string(targets.size()) +
                                                                        (targets.empty() ? "" : to_string(targets.back())),
                                                             usage, targets, t0 + 1h, &value));
    REQUIRE(q);
    CHECK(q->code == rsc::bad_request);
  }
  CHECK(w.maf.store().size() == 0);
  // An expirationTime already past.
  auto past = a.exchange(w.maf, maf::key_registration_request(alpha, "k-past", suid::maf_saef, {mn_abs}, t0 - 1s, &value));
  REQUIRE(past);
  CHECK(past->code == rsc::bad_request);
  // Kc of one handshake is registered once.
  auto first = w.register_kc(a, {mn_abs}, t0 + 1h);
  REQUIRE(first);
  auto second = a.exchange(w.maf, maf::key_registration_request(alpha, "key-2", suid::maf_saef, {mn_abs}, t0 + 1h));
  REQUIRE(second);
  CHECK(second->code == rsc::bad_request);
  CHECK(a.last->refused == errc::replayed);
  // A replayed rqi; a malformed body; an unknown resource; From another entity.
  auto replay = a.exchange(w.maf, maf::key_registration_request(alpha, "key-1", suid::maf_saef, {mn_abs}, t0 + 1h, &value));
  REQUIRE(replay);
  CHECK(replay->code == rsc::bad_request);
  auto bad = a.exchange(w.maf, mef::request{mef::operation::create, "maf/keyReg", "/in-cse/Calpha", "m1", "{\"m2msec:kreq\":[1]}"});
  REQUIRE(bad);
  CHECK(bad->code == rsc::bad_request);
  auto where = a.exchange(w.maf, mef::request{mef::operation::retrieve, "maf/elsewhere", "/in-cse/Calpha", "m2", {}});
  REQUIRE(where);
  CHECK(where->code == rsc::not_found);
  auto lowercase = a.exchange(w.maf, mef::request{mef::operation::retrieve, "maf/keyReg/" + std::string(32, 'a'),
                                                 "/in-cse/Calpha", "m3", {}});
  REQUIRE(lowercase);
  CHECK(lowercase->code == rsc::bad_request);
  auto spoofed = a.exchange(w.maf, maf::key_retrieval_request(mn_cse, "m4", first->id));
  REQUIRE(spoofed);
  CHECK(spoofed->code == rsc::originator_not_authenticated);
  CHECK(w.maf.store().size() == 1);
}

TEST_CASE("maf: a key lives no longer than asked, the MAF's cap, the client's registration or its Km", "[maf]") {
  world w;
  auto a = w.link("alpha", alpha, 0x10);
  w.register_client(a, alpha, t0 + 5h);
  const auto value = key_of(0x22);
  auto ask = [&](std::string rqi, time_point end) {
    auto r = a.exchange(w.maf, maf::key_registration_request(alpha, std::move(rqi), suid::maf_saef, {mn_abs}, end, &value));
    REQUIRE(r);
    auto k = maf::read_key_registration(*r, alpha, maf_fqdn, *value.clone());
    REQUIRE(k);
    return k->answer.lifetime.not_after();
  };
  CHECK(ask("a", t0 + 1h) == t0 + 1h);
  CHECK(ask("b", t0 + 24h) == t0 + 5h);  // the client's registration ends first
  CHECK(ask("c", t0 + 100 * 365 * 24h) == t0 + 5h);
}

TEST_CASE("maf: Client Registration, Configuration Retrieval, Update and De-Registration at maf/clientReg", "[maf]") {
  world w;
  auto a = w.link("alpha", alpha, 0x10);
  auto created = a.exchange(w.maf, maf::registration_request(alpha, "r1", *fqdn::parse("alpha.example.com"), t0 + 24h, {"x"}));
  REQUIRE(created);
  auto reg = mef::read_registration(*created);
  REQUIRE(reg);
  const std::string path = std::string(maf::resource::client_registration) + "/" + reg->id;
  auto got = a.exchange(w.maf, mef::request{mef::operation::retrieve, path, "/in-cse/Calpha", "r2", {}});
  REQUIRE(got);
  CHECK(mef::read_registration(*got)->labels == std::vector<std::string>{"x"});
  auto upd = a.exchange(w.maf, mef::request{mef::operation::update, path, "/in-cse/Calpha", "r3",
                                            mef::registration_request_body({std::nullopt, t0 + 2h, std::vector<std::string>{"y"},
                                                                            std::nullopt})});
  REQUIRE(upd);
  CHECK(mef::read_registration(*upd)->expiration == t0 + 2h);
  // Another client: as unknown.
  auto other = w.link("other", other_cse, 0x30);
  auto theirs = other.exchange(w.maf, mef::request{mef::operation::del, path, "/other-cse", "o1", {}});
  REQUIRE(theirs);
  CHECK(theirs->code == rsc::originator_has_no_privilege);
  auto del = a.exchange(w.maf, mef::request{mef::operation::del, path, "/in-cse/Calpha", "r4", {}});
  REQUIRE(del);
  CHECK(del->code == rsc::deleted);
  // De-registered: no key registration any more.
  auto k = a.exchange(w.maf, maf::key_registration_request(alpha, "k1", suid::maf_saef, {mn_abs}, t0 + 1h));
  REQUIRE(k);
  CHECK(k->code == rsc::originator_has_no_privilege);
}

TEST_CASE("A distributed key: one key is all of it, two keys are its halves (A10)", "[maf][kdf]") {
  const auto k = key_of(0x40);
  auto one = one_key(k);
  REQUIRE(one);
  CHECK(*one == k);
  auto two = two_keys(k);
  REQUIRE(two);
  CHECK(two->first.size() == 16);
  CHECK(two->second.size() == 16);
  CHECK(two->first.expose()[0] == 0x40);
  CHECK(two->second.expose()[0] == 0x50);
  CHECK(two_keys(*secret::allocate(15)).error() == errc::invalid_key_size);
}
