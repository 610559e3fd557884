// m2msec: the ESPrim Originator (TS-0003 §8.4.2 phase B, §8.4.3): one session,
// its requests sealed and its responses opened under the sessionESPrimKey.
#pragma once

#include <algorithm>
#include <deque>
#include <optional>
#include <string>

#include "m2msec/e2e/esprim/session.hpp"
#include "m2msec/jose/jwe_compact.hpp"
#include "m2msec/jose/jwe_parse_compact.hpp"
#include "m2msec/sa/bound.hpp"

namespace m2msec::esprim {

// ---- the Originator ---------------------------------------------------------------------------

// One ESPrim session as the Originator holds it.
// Thread safety: one thread at a time per object; distinct objects are independent.
class originator {
 public:
  // TS-0003 §8.4.2 phase B: checks the receiver's object (unexpired, HMAC-SHA256
  // offered, `e` offered), makes the originator object (expiry no later than the
  // receiver's, nor than now + lifetime), derives sessionESPrimKey into an SA
  // with `limits` (and AES-GCM's usage limit). The pairwise key is kept for a
  // re-keying the Receiver asks for in band (`rro`).
  template <clock Clock>
  [[nodiscard]] static outcome<originator> start(const pairwise_key& key, entity_id self, const rand_object& receiver,
                                                 jose::enc e, duration lifetime, const Clock& clk,
                                                 usage_limits limits = {}) {
    if (auto u = check_usage(key.credential.usage(), usage_scope::esprim); !u)
      return refuse(rsc::esprim_unknown_key_id, u.error());
    auto s = open(key.credential, self, receiver, e, lifetime, clk, limits);
    if (!s) return tl::unexpected(s.error());
    auto kept = key.credential.clone();
    if (!kept) return refuse(rsc::esprim_encryption_error, kept.error());
    return originator(pairwise_key{std::move(*kept), key.originator}, std::move(self), e, lifetime, limits, std::move(*s));
  }

  // Requests sent and not answered yet are remembered by their rqi, up to this
  // many (past it the oldest is forgotten, and its response refused): a
  // session has a few requests in flight, not thousands.
  static constexpr std::size_t max_pending = 64;

  // The JWE for one request primitive: a JSON request ("op") with a Request
  // Identifier ("rqi") not already waiting for its response (errc::invalid_argument
  // otherwise). The originator object rides along ("oro") until the Receiver
  // has answered once.
  template <clock Clock>
  [[nodiscard]] outcome<std::string> protect_request(bytes_view primitive, const Clock& clk,
                                                     std::string_view cty = "application/json") {
    auto fields = detail::fields_of({reinterpret_cast<const char*>(primitive.data()), primitive.size()});
    if (!fields || !fields->request() || !fields->request_id ||
        std::find_if(pending_.begin(), pending_.end(), [&](const auto& p) { return p.rqi == *fields->request_id; }) !=
            pending_.end())
      return refuse(rsc::bad_request, errc::invalid_argument);
    auto g = now_.key.use(usage_scope::esprim, clk, primitive.size());
    if (!g) return refuse(rsc::esprim_encryption_error, g.error());
    auto jwe = jose::seal_compact(primitive, g->key().expose(), enc_, header(cty));
    if (!jwe) return refuse(rsc::esprim_encryption_error, jwe.error());
    if (pending_.size() == max_pending) pending_.pop_front();
    pending_.push_back({std::move(*fields->request_id), now_.mine.id});
    return std::move(*jwe);
  }

  // The response primitive from a JWE. TS-0001 §11.4.2: a response not tied to
  // this session (kid, ori, rri) is dropped. Then the plaintext must be a
  // response ("rsc", no "op": errc::invalid_encoding, as for a request
  // reflected back) to a request of this session still waiting for it
  // (errc::replayed when none is: answered already, or never sent), and, when
  // `request_id` is given, to that request (errc::not_found). Each response is
  // accepted once.
  //
  // TS-0003 §8.4.3.2: a response that carries a receiver object ("rro") re-keys
  // the session in band: the next requests go under a new originator object
  // ("oro" again) and the key derived from both; responses to requests sent
  // before still open under the key they were sent with. An "rro" that cannot
  // serve (malformed, expired, without this session's algorithms) leaves the
  // session as it was, and rekey_refused() says why; the response is still given.
  template <clock Clock>
  [[nodiscard]] outcome<byte_vector> unprotect_response(std::string_view jwe, const Clock& clk,
                                                        std::string_view request_id = {}) {
    auto p = reader_.parse(jwe);
    if (!p) return refuse(rsc::bad_request, p.error());
    const jose::header& h = p->protected_header;
    auto same = [&](const char* name, const std::string& want) {
      auto v = jose::string_member(h, name);
      return v && *v && **v == want;
    };
    if (p->form != jose::serialization::compact) return refuse(rsc::bad_request, errc::invalid_encoding);
    if (!same("kid", key_.credential.id().value())) return refuse(rsc::esprim_unknown_key_id, errc::not_found);
    keyed* s = same("ori", now_.mine.id) ? &now_ : before_ && same("ori", before_->mine.id) ? &*before_ : nullptr;
    if (s == nullptr) return refuse(rsc::esprim_unknown_orig_rand_id, errc::not_found);
    if (!same("rri", s->theirs.id)) return refuse(rsc::esprim_unknown_recv_rand_id, errc::not_found);
    if (p->encryption != enc_) return refuse(rsc::esprim_unsupported_option, errc::alg_not_allowed);
    auto g = s->key.use(usage_scope::esprim, clk, p->sealed.size());
    if (!g) return refuse(rsc::esprim_unknown_key_id, g.error());
    std::optional<std::string> rro;  // the header goes with *p into the decryption
    if (auto r = h.raw("rro")) rro.emplace(*r);
    auto out = jose::decrypt_direct(std::move(*p), g->key().expose());
    if (!out) return refuse(rsc::esprim_bad_mac, out.error());
    auto refused = [&](errc e) {
      ct::wipe(*out);
      return refuse(rsc::bad_request, e);
    };
    const auto fields = detail::fields_of({reinterpret_cast<const char*>(out->data()), out->size()});
    if (!fields || !fields->response() || !fields->request_id) return refused(errc::invalid_encoding);
    if (!request_id.empty() && *fields->request_id != request_id) return refused(errc::not_found);
    const auto waiting = std::find_if(pending_.begin(), pending_.end(), [&](const auto& q) {
      return q.rqi == *fields->request_id && q.ori == s->mine.id;
    });
    if (waiting == pending_.end()) return refused(errc::replayed);
    pending_.erase(waiting);
    if (s == &now_) {
      answered_ = true;
      if (rro) rekey(*rro, clk);
    }
    return std::move(*out);
  }

  [[nodiscard]] const rand_object& own_rand_object() const noexcept { return now_.mine; }
  [[nodiscard]] const rand_object& receiver_rand_object() const noexcept { return now_.theirs; }
  [[nodiscard]] const security_association& association() const noexcept { return now_.key.association(); }
  // The sessionESPrimKey, reached only through a checked use of the session's association.
  [[nodiscard]] sa::bound<secret>& session() noexcept { return now_.key; }
  // Why the last "rro" a response carried did not re-key the session; nothing once one did.
  [[nodiscard]] std::optional<errc> rekey_refused() const noexcept { return rekey_refused_; }
  // Ends the session now: every later request or response is refused.
  void close() noexcept {
    now_.key.association().close();
    if (before_) before_->key.association().close();
  }

 private:
  // One sessionESPrimKey and the two rand objects it comes from.
  struct keyed {
    rand_object mine, theirs;
    sa::bound<secret> key;
  };
  struct waiting {
    std::string rqi, ori;  // a request sent, and the originator object it went under
  };

  template <clock Clock>
  static outcome<keyed> open(const symmetric_credential& key, const entity_id& self, const rand_object& receiver,
                             jose::enc e, duration lifetime, const Clock& clk, usage_limits limits) {
    const time_point now = clk.now();
    if (receiver.expiry <= now) return refuse(rsc::esprim_unknown_recv_rand_id, errc::expired);
    const auto& gens = receiver.key_gen_alg_ids;
    if (std::find(gens.begin(), gens.end(), key_gen_hmac_sha256) == gens.end())
      return refuse(rsc::esprim_unsupported_option, errc::unsupported);
    const auto& protos = receiver.protocol_and_alg_ids;
    if (std::find(protos.begin(), protos.end(), protocol_id(e)) == protos.end())
      return refuse(rsc::esprim_unsupported_option, errc::unsupported);
    auto mine = make_rand_object('o', std::min(receiver.expiry, saturating_add(now, lifetime)), {key_gen_hmac_sha256}, {protocol_id(e)});
    if (!mine) return refuse(rsc::esprim_encryption_error, mine.error());
    if (mine->expiry <= now) return refuse(rsc::esprim_encryption_error, errc::invalid_validity);
    auto k = detail::session_key(key.key(), receiver, *mine, e);
    if (!k) return refuse(rsc::esprim_encryption_error, k.error());
    auto session = sa::bound<secret>::create(std::move(*k), {self, key.id()}, key,
                                             requested_lifetime::session(mine->expiry - now),
                                             with_aead_limit<crypto::aes256_gcm>(limits), clk);
    if (!session) return refuse(rsc::esprim_unknown_key_id, session.error());
    return keyed{std::move(*mine), receiver, std::move(*session)};
  }

  originator(pairwise_key key, entity_id self, jose::enc e, duration lifetime, usage_limits limits, keyed first)
      : key_(std::move(key)), self_(std::move(self)), enc_(e), lifetime_(lifetime), limits_(limits), now_(std::move(first)) {}

  // The Receiver's new object, from an authenticated response: a new session
  // under it; the one it replaces stays for the responses still due under it.
  template <clock Clock>
  void rekey(std::string_view rro, const Clock& clk) {
    auto theirs = parse_rand_object(rro, role::receiver);
    if (!theirs) {
      rekey_refused_ = theirs.error();
      return;
    }
    auto next = open(key_.credential, self_, *theirs, enc_, lifetime_, clk, limits_);
    if (!next) {
      rekey_refused_ = next.error().reason;
      return;
    }
    if (before_) {
      const std::string gone = before_->mine.id;
      std::erase_if(pending_, [&](const waiting& q) { return q.ori == gone; });
    }
    before_.emplace(std::move(now_));
    now_ = std::move(*next);
    answered_ = false;
    header_.clear();
    rekey_refused_.reset();
  }

  // The encoded protected header (TS-0003 §8.4.3.2), with "oro" while the
  // Receiver may not have it. It is the same for every request with the same
  // cty: written once, kept.
  [[nodiscard]] const std::string& header(std::string_view cty) {
    const bool oro = !answered_;
    if (header_.empty() || header_oro_ != oro || header_cty_ != cty) {
      std::string members = detail::esprim_members(key_.credential.id().value(), now_.mine.id, now_.theirs.id, cty);
      if (oro) members += ",\"oro\":" + rand_object_text(now_.mine, role::originator);
      header_ = jose::direct_header(enc_, members);
      header_oro_ = oro;
      header_cty_ = cty;
    }
    return header_;
  }

  pairwise_key key_;  // kept for re-keying; its id is the "kid"
  entity_id self_;
  jose::enc enc_;
  duration lifetime_;
  usage_limits limits_;
  keyed now_;                    // the session requests go under
  std::optional<keyed> before_;  // the one an "rro" replaced, for the responses due under it
  std::optional<errc> rekey_refused_;
  // ESPrim objects are "dir" alone (its policy allows no other alg): no EC or RSA code.
  jose::compact_jwe_reader<jose::no_key_agreement> reader_{detail::esprim_policy()};
  std::deque<waiting> pending_;  // each request sent and not answered, oldest first
  bool answered_ = false;
  std::string header_, header_cty_;  // the last header written, and its cty
  bool header_oro_ = false;           // whether it carries "oro"
};

}  // namespace m2msec::esprim
