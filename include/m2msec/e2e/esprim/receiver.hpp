// m2msec: the ESPrim Receiver (TS-0003 §8.4.2 phase C): its rand objects and
// pairwise keys, the checks 1-7 in order with their response status codes, the
// replay cache, and responses under the session's key.
#pragma once

#include <functional>

#include <algorithm>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "m2msec/e2e/esprim/session.hpp"
#include "m2msec/e2e/replay_cache.hpp"
#include "m2msec/jose/jwe_compact.hpp"
#include "m2msec/jose/jwe_parse_compact.hpp"
#include "m2msec/sa/bound.hpp"

namespace m2msec::esprim {

// ---- the Receiver -------------------------------------------------------------------------------

// The Receiver's tables are shared by every pairwise key, each key with a
// share of its own, so that one originator flooding them cannot lock the
// others out (docs/decisions.md).
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct receiver_options {
  std::size_t max_sessions = 4096;
  std::size_t max_sessions_per_key = 256;
  std::size_t replay_entries = 65536;
  std::size_t replay_entries_per_key = 8192;
  usage_limits session_limits{};  // each session's, besides AES-GCM's usage limit
  // Replay records shared between the nodes that take the same rand objects
  // (docs/decisions.md, "Replay scope"): after this Receiver's own check, each
  // object is claimed there until it expires; errc::replayed when another node
  // (or this one, before a restart) claimed it. Empty: this Receiver's records only.
  // The MEF's and the MAF's SQLite and PostgreSQL stores provide one (claim_replay).
  std::function<result<void>(const replay_cache::object_id&, time_point expires, time_point now)> shared_replays{};
  std::vector<std::uint8_t> key_gen_ids{key_gen_hmac_sha256};
  std::vector<std::uint8_t> protocol_ids{jwe_a128gcm, jwe_a192gcm, jwe_a256gcm};
};

// A request that passed every check.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct request {
  byte_vector primitive;  // the inner primitive, as sent (JSON)
  std::string from;       // its From, checked against the pairwise key
  std::string kid, ori, rri;
  jose::enc encryption = jose::enc::a256gcm;
};

// Thread safety: one thread at a time per object; distinct objects are independent.
class receiver {
 public:
  explicit receiver(entity_id self, receiver_options opt = {})
      : self_(std::move(self)), opt_(std::move(opt)), replays_(opt_.replay_entries) {}

  // errc::wrong_usage for a key not provisioned for ESPrim (SUID x3).
  // A key that replaces one under the same kid ends everything the old one
  // made: its sessions and the originator objects cached for it.
  [[nodiscard]] result<void> add_pairwise_key(pairwise_key key) {
    if (auto u = check_usage(key.credential.usage(), usage_scope::esprim); !u) return fail(u.error());
    const std::string kid = key.credential.id().value();
    forget(kid);
    owners_.try_emplace(kid, static_cast<std::uint32_t>(owners_.size()));
    keys_.insert_or_assign(kid, std::move(key));
    return {};
  }
  void remove_pairwise_key(const std::string& kid) {
    keys_.erase(kid);
    forget(kid);
  }

  // A receiver rand object valid for `lifetime`: shared (published in
  // e2eSecInfo as esro) or per request (sent in a sit = 4 NOTIFY response).
  template <clock Clock>
  [[nodiscard]] result<rand_object> issue_rand_object(duration lifetime, bool shared, const Clock& clk) {
    auto o = make_rand_object(shared ? 's' : 'r', saturating_add(clk.now(), lifetime), opt_.key_gen_ids, opt_.protocol_ids);
    if (!o) return fail(o.error());
    rands_.insert_or_assign(o->id, *o);
    return o;
  }

  // A receiver object made elsewhere (restored state, or a shared object of a
  // cluster): accepted as this Receiver's own. Replay protection is this
  // Receiver's: an object already accepted under `o` by another process is
  // accepted again here unless that process's replay records were imported
  // first (import_replays), and between live nodes only as far as they share
  // them (docs/decisions.md).
  [[nodiscard]] result<void> add_rand_object(rand_object o) {
    if (!detail::is_ncname(o.id) || o.key_gen_alg_ids.empty() || o.protocol_and_alg_ids.empty())
      return fail(errc::invalid_argument);
    rands_.insert_or_assign(o.id, std::move(o));
    return {};
  }

  // TS-0003 §8.4.2 C.6, in order: (1) kid known and unexpired; (2) receiver rand
  // ID known and unexpired; (3) originator object (header or cache) unexpired
  // and not outliving the receiver's; (4) key-generation algorithm allowed;
  // (5) AEAD lists consistent; (6) AEAD decrypts; (7) inner From equals the
  // identity bound to the pairwise key. Then m2msec's replay check.
  template <clock Clock>
  [[nodiscard]] outcome<request> unprotect(std::string_view jwe, const Clock& clk) {
    const time_point now = clk.now();
    auto p = reader_.parse(jwe);
    if (!p) {
      const bool option = p.error() == errc::unsupported || p.error() == errc::alg_not_allowed;
      return refuse(option ? rsc::esprim_unsupported_option : rsc::bad_request, p.error());
    }
    if (p->form != jose::serialization::compact) return refuse(rsc::bad_request, errc::invalid_encoding);
    const jose::header& h = p->protected_header;
    auto kid = h.string("kid");
    auto ori = h.string("ori");
    auto rri = h.string("rri");
    for (auto* m : {&kid, &ori, &rri})
      if (!*m || !**m) return refuse(rsc::bad_request, errc::invalid_encoding);
    // Views into the header, which stays in *p until the end.
    const std::string_view k = **kid, o = **ori, r = **rri;

    // (1)
    auto key = keys_.find(k);
    if (key == keys_.end()) return refuse(rsc::esprim_unknown_key_id, errc::not_found);
    if (auto c = key->second.credential.lifetime().check(now); !c) return refuse(rsc::esprim_unknown_key_id, c.error());
    // (2)
    auto theirs = rands_.find(r);
    if (theirs == rands_.end()) return refuse(rsc::esprim_unknown_recv_rand_id, errc::not_found);
    if (theirs->second.expiry < now) return refuse(rsc::esprim_unknown_recv_rand_id, errc::expired);
    const rand_object& recv = theirs->second;
    // (3) from the header when sent (authenticated by step 6), else from the cache.
    std::optional<rand_object> sent;
    if (h.contains("oro")) {
      auto parsed = parse_rand_object(*h.raw("oro"), role::originator);
      if (!parsed || parsed->id != o) return refuse(rsc::bad_request, errc::invalid_encoding);
      sent = std::move(*parsed);
    }
    const auto cached = originators_.find(std::tuple{k, o});
    const rand_object* orig = sent ? &*sent : cached != originators_.end() ? &cached->second : nullptr;
    if (orig == nullptr) return refuse(rsc::esprim_unknown_orig_rand_id, errc::not_found);
    if (orig->expiry < now) return refuse(rsc::esprim_unknown_orig_rand_id, errc::expired);
    if (orig->expiry > recv.expiry) return refuse(rsc::esprim_unknown_orig_rand_id, errc::invalid_validity);
    const time_point orig_expiry = orig->expiry;
    // (4)
    const auto& gens = recv.key_gen_alg_ids;
    if (orig->key_gen_alg_ids.size() != 1 || orig->key_gen_alg_ids[0] != key_gen_hmac_sha256 ||
        std::find(gens.begin(), gens.end(), orig->key_gen_alg_ids[0]) == gens.end())
      return refuse(rsc::esprim_unsupported_option, errc::unsupported);
    // (5)
    const auto& offered = recv.protocol_and_alg_ids;
    for (auto id : orig->protocol_and_alg_ids)
      if (std::find(offered.begin(), offered.end(), id) == offered.end())
        return refuse(rsc::esprim_unsupported_option, errc::unsupported);
    const auto& chosen = orig->protocol_and_alg_ids;
    if (std::find(chosen.begin(), chosen.end(), protocol_id(p->encryption)) == chosen.end())
      return refuse(rsc::esprim_unsupported_option, errc::alg_not_allowed);
    // (6) A new session is kept only once an object under it has decrypted,
    // so a forged "oro" cannot take the place of the real one.
    const jose::enc e = p->encryption;
    std::optional<session_entry> fresh;
    sa::bound<secret>* session = nullptr;
    if (auto found = sessions_.find(std::tuple{k, r, o}); found != sessions_.end()) {
      if (found->second.encryption != e) return refuse(rsc::esprim_unsupported_option, errc::alg_not_allowed);
      session = &found->second.key;
    } else {
      auto made = new_session(key->second, recv, *orig, e, clk);
      if (!made) return tl::unexpected<error>(made.error());
      fresh.emplace(std::move(*made));
      session = &fresh->key;
    }
    auto g = session->use(usage_scope::esprim, clk, p->sealed.size());
    // The session's key is there but can be used no more (its limits, its end): 5210.
    if (!g) return refuse(rsc::esprim_decryption_error, g.error());
    replay_cache::object_id seen{};
    std::copy(p->iv.begin(), p->iv.end(), seen.begin());
    std::copy(p->sealed.end() - jose::tag_size, p->sealed.end(), seen.begin() + jose::iv_size);
    replays_.prefetch(seen);
    auto plaintext = jose::decrypt_direct(std::move(*p), g->key().expose());
    if (!plaintext) return refuse(rsc::esprim_bad_mac, plaintext.error());
    if (sent) originators_.insert_or_assign(std::tuple{std::string(k), std::string(o)}, std::move(*sent));
    if (fresh) sessions_.emplace(session_id{k, r, o}, std::move(*fresh));
    // Beyond the spec: each object once while its rand objects are valid.
    const time_point replay_until = std::min(orig_expiry, recv.expiry);
    auto once = replays_.insert(seen, replay_until, now, owners_.find(k)->second, opt_.replay_entries_per_key);
    if (once && opt_.shared_replays) once = opt_.shared_replays(seen, replay_until, now);
    if (!once)
      return refuse(once.error() == errc::replayed ? rsc::originator_not_authenticated : rsc::internal_server_error,
                    once.error());
    // (7) TS-0003 §7.2.2.
    request out;
    // A request (not a response reflected back), with one From.
    auto fields = detail::fields_of({reinterpret_cast<const char*>(plaintext->data()), plaintext->size()});
    if (!fields || !fields->request() || !fields->from) return refuse(rsc::bad_request, errc::invalid_encoding);
    if (*fields->from != key->second.originator)
      return refuse(rsc::esprim_impersonation_error, errc::originator_not_authenticated);
    out.primitive = std::move(*plaintext);
    out.from = std::move(*fields->from);
    out.kid = std::string(k);
    out.ori = std::string(o);
    out.rri = std::string(r);
    out.encryption = e;
    return out;
  }

  // The JWE for the response to `req`, under the same session key and headers.
  template <clock Clock>
  [[nodiscard]] outcome<std::string> protect_response(const request& req, bytes_view primitive, const Clock& clk,
                                                      std::string_view cty = "application/json") {
    return seal_response(req, primitive, clk, detail::esprim_members(req.kid, req.ori, req.rri, cty));
  }

  // TS-0003 §8.4.3.2, in-band re-keying: the response to `req`, as above, whose
  // protected header also carries a new receiver object ("rro") of this
  // Receiver's, valid for `lifetime`. The Originator's next requests come under
  // it with a new originator object; the current session serves until then.
  template <clock Clock>
  [[nodiscard]] outcome<std::string> protect_response_rekeying(const request& req, bytes_view primitive,
                                                               duration lifetime, const Clock& clk,
                                                               std::string_view cty = "application/json") {
    auto next = issue_rand_object(lifetime, false, clk);
    if (!next) return refuse(rsc::esprim_encryption_error, next.error());
    auto jwe = seal_response(req, primitive, clk,
                             detail::esprim_members(req.kid, req.ori, req.rri, cty) + ",\"rro\":" +
                                 rand_object_text(*next, role::receiver));
    if (!jwe) rands_.erase(next->id);
    return jwe;
  }

  // TS-0001 §11.4.2 C.6a: the response to a request that was refused with
  // `e`. It is encrypted under the request's session when this Receiver holds
  // that session and may still use it, and in clear otherwise: a response
  // primitive {"rsc": e.code, "rqi": rqi}.
  struct error_reply {
    std::string body;  // a JWE compact, or the clear primitive
    bool encrypted = false;
  };
  template <clock Clock>
  [[nodiscard]] error_reply error_response(std::string_view jwe, const error& e, std::string_view rqi,
                                           const Clock& clk) {
    std::string primitive = "{\"rsc\":" + std::to_string(static_cast<int>(e.code));
    jose::append_string_member(primitive, "rqi", rqi);
    primitive += '}';
    auto clear = [&] { return error_reply{primitive, false}; };
    auto p = reader_.parse(jwe);
    if (!p) return clear();
    auto kid = jose::string_member(p->protected_header, "kid");
    auto ori = jose::string_member(p->protected_header, "ori");
    auto rri = jose::string_member(p->protected_header, "rri");
    if (!kid || !*kid || !ori || !*ori || !rri || !*rri) return clear();
    auto s = sessions_.find(std::tuple{**kid, **rri, **ori});
    if (s == sessions_.end()) return clear();
    auto g = s->second.key.use(usage_scope::esprim, clk, primitive.size());
    if (!g) return clear();
    auto sealed = jose::seal_direct(as_bytes(primitive), g->key().expose(), s->second.encryption,
                                    detail::esprim_members(**kid, **ori, **rri, "application/json"));
    if (!sealed) return clear();
    return {std::move(*sealed), true};
  }

  // The objects accepted and unexpired at `now`, by kid: what a restart or
  // another node needs to refuse them again.
  struct replay_record {
    replay_cache::object_id id;
    std::string kid;
    time_point expires;
  };
  [[nodiscard]] std::vector<replay_record> export_replays(time_point now) const {
    std::vector<std::string_view> kid_of(owners_.size());
    for (const auto& [kid, owner] : owners_) kid_of[owner] = kid;
    std::vector<replay_record> out;
    for (const auto& e : replays_.entries(now)) out.push_back({e.id, std::string(kid_of[e.owner]), e.expires});
    return out;
  }
  // Takes in records exported by another Receiver (or this one before a
  // restart): those objects are refused as replays until they expire.
  // errc::limit_reached when the cache cannot hold them all (the records
  // taken in so far stay).
  [[nodiscard]] result<void> import_replays(std::span<const replay_record> records, time_point now) {
    for (const auto& r : records) {
      const auto owner = owners_.try_emplace(r.kid, static_cast<std::uint32_t>(owners_.size())).first->second;
      auto in = replays_.insert(r.id, r.expires, now, owner);
      if (!in && in.error() != errc::replayed) return in;
    }
    return {};
  }

  // Forgets rand objects, sessions and replay entries that expired before `now`.
  void purge(time_point now) {
    std::erase_if(rands_, [&](const auto& e) { return e.second.expiry < now; });
    std::erase_if(originators_, [&](const auto& e) { return e.second.expiry < now; });
    std::erase_if(sessions_, [&](const auto& e) { return !e.second.key.association().usable_at(now); });
    replays_.purge(now);
  }

  [[nodiscard]] std::size_t sessions() const noexcept { return sessions_.size(); }
  [[nodiscard]] const replay_cache& replays() const noexcept { return replays_; }

 private:
  template <clock Clock>
  [[nodiscard]] outcome<std::string> seal_response(const request& req, bytes_view primitive, const Clock& clk,
                                                   const std::string& members) {
    auto s = sessions_.find(std::tie(req.kid, req.rri, req.ori));
    if (s == sessions_.end()) return refuse(rsc::esprim_encryption_error, errc::not_found);
    auto g = s->second.key.use(usage_scope::esprim, clk, primitive.size());
    if (!g) return refuse(rsc::esprim_encryption_error, g.error());
    auto jwe = jose::seal_direct(primitive, g->key().expose(), s->second.encryption, members);
    if (!jwe) return refuse(rsc::esprim_encryption_error, jwe.error());
    return std::move(*jwe);
  }

  // Drops a kid's sessions and cached originator objects.
  void forget(std::string_view kid) {
    std::erase_if(sessions_, [&](const auto& e) { return std::get<0>(e.first) == kid; });
    std::erase_if(originators_, [&](const auto& e) { return std::get<0>(e.first) == kid; });
  }
  struct session_entry {
    sa::bound<secret> key;  // sessionESPrimKey
    jose::enc encryption;
  };
  using session_id = std::tuple<std::string, std::string, std::string>;  // kid, rri, ori
  // Orders tuples of strings by their views, so that a lookup copies nothing.
  struct by_views {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      return views(a) < views(b);
    }
    template <class T>
    static auto views(const T& t) noexcept {
      return std::apply([](const auto&... s) { return std::tuple{std::string_view(s)...}; }, t);
    }
  };

  // A session for (kid, rri, ori). Its SA ends at the earlier rand object's
  // expiry, and strictly before the pairwise key.
  template <clock Clock>
  outcome<session_entry> new_session(const pairwise_key& key, const rand_object& recv, const rand_object& orig,
                                     jose::enc e, const Clock& clk) {
    const std::string_view kid = key.credential.id().value();
    if (sessions_.size() >= opt_.max_sessions || sessions_of(kid) >= opt_.max_sessions_per_key) {
      purge(clk.now());
      if (sessions_.size() >= opt_.max_sessions || sessions_of(kid) >= opt_.max_sessions_per_key)
        return refuse(rsc::internal_server_error, errc::limit_reached);
    }
    const duration left = std::min(recv.expiry, orig.expiry) - clk.now();
    if (left <= duration::zero()) return refuse(rsc::esprim_unknown_orig_rand_id, errc::expired);
    auto sk = detail::session_key(key.credential.key(), recv, orig, e);
    if (!sk) return refuse(rsc::esprim_decryption_error, sk.error());
    auto session = sa::bound<secret>::create(std::move(*sk), {self_, key.credential.id()}, key.credential,
                                             requested_lifetime::session(left),
                                             with_aead_limit<crypto::aes256_gcm>(opt_.session_limits), clk);
    if (!session) return refuse(rsc::esprim_unknown_key_id, session.error());
    return session_entry{std::move(*session), e};
  }

  // How many sessions a kid has (they sit together in the ordered map).
  [[nodiscard]] std::size_t sessions_of(std::string_view kid) const {
    std::size_t n = 0;
    for (auto it = sessions_.lower_bound(std::tuple{kid, std::string_view(), std::string_view()});
         it != sessions_.end() && std::get<0>(it->first) == kid; ++it)
      ++n;
    return n;
  }

  entity_id self_;
  receiver_options opt_;
  std::map<std::string, std::uint32_t, std::less<>> owners_;  // each kid's share of the replay cache
  std::map<std::string, pairwise_key, std::less<>> keys_;
  std::map<std::string, rand_object, std::less<>> rands_;
  std::map<std::tuple<std::string, std::string>, rand_object, by_views> originators_;
  std::map<session_id, session_entry, by_views> sessions_;
  replay_cache replays_;
  // ESPrim objects are "dir" alone (its policy allows no other alg): no EC or RSA code.
  jose::compact_jwe_reader<jose::no_key_agreement> reader_{detail::esprim_policy()};
};

}  // namespace m2msec::esprim
