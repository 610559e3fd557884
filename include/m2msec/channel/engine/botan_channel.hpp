// m2msec: the oneM2M secure channel on Botan 2's engine (TS-0001 §11.3.2, TS-0003
// §8.2, §10.2): TLS 1.2 or DTLS 1.2, with no I/O of its own. The caller feeds the
// bytes it receives and sends the bytes the channel gives it, over TCP, UDP or
// memory. Every channel is bound to a security association: its records count
// toward the SA's limits, and once the SA ends the channel closes.
#pragma once

#include <botan/credentials_manager.h>
#include <botan/tls_client.h>
#include <botan/tls_exceptn.h>
#include <botan/tls_extensions.h>
#include <botan/tls_server.h>
#include <botan/tls_session_manager.h>

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "m2msec/backend/random.hpp"
#include "m2msec/channel/client_hello.hpp"
#include "m2msec/channel/engine/botan_roles.hpp"
#include "m2msec/channel/engine/tls_policy.hpp"
#include "m2msec/channel/engine/tls_rng.hpp"
#include "m2msec/channel/observer.hpp"
#include "m2msec/kdf/key_schedule.hpp"
#include "m2msec/sa/registry.hpp"

namespace m2msec::tls {

// One (D)TLS connection of one oneM2M profile. Not movable (Botan holds
// references to it): made by the factories as a unique_ptr. Not thread-safe.
// Thread safety: one thread at a time per object; distinct objects are independent.
template <clock Clock = system_clock, tls_rng_policy Rng = system_rng>
class botan_channel final : Botan::TLS::Callbacks, Botan::Credentials_Manager {
 public:
  struct options {
    transport kind = transport::stream;
    std::string server_name;  // SNI: sent by a client, required and checked by a server
    // Put the CCM_8 suite first (0xC0A8 or 0xC0AE); by default the suite TS-0003 names
    // for the transport comes first (CBC over TLS, CCM_8 over DTLS).
    std::optional<bool> ccm_first = std::nullopt;
    // The usage this channel is for (TS-0004 §6.3.4.2.39 scope): SAEF (PSK-SAEF, MAF-SAEF,
    // certificate SAEF), the MEF handshake or the MAF handshake. A key or certificate
    // provisioned for another usage is refused (errc::wrong_usage).
    usage_scope usage = usage_scope::saef;
    // Told of the handshake's stages, alerts and the reason the channel ended
    // (channel/observer.hpp); never given a key.
    channel_observer observer{};
  };

  // PSK-SAEF, MAF-SAEF, MAF or MEF handshake, as the client: `identity` is the
  // psk_identity (KpsaID, HEX(KcID)@MAF-FQDN, KmID or KpmID); `psk` is the key
  // bound to the association the channel runs under (the caller keeps it). The
  // key must be provisioned for o.usage and its association usable now.
  [[nodiscard]] static result<std::unique_ptr<botan_channel>> psk_client(options o, std::string identity,
                                                                   sa::bound<secret>& psk, const Clock& clk) {
    if (auto v = check_options(o); !v) return fail(v.error());
    auto g = psk.use(o.usage, clk, 0, 0);
    if (!g) return fail(g.error());
    if (g->key().size() == 0) return fail(errc::invalid_key_size);
    std::unique_ptr<botan_channel> c(
        new botan_channel(o, authentication::psk, tls_detail::psk_client_role{&psk}, clk));
    c->identity_ = std::move(identity);
    if (auto r = c->start_client(); !r) return fail(r.error());
    return c;
  }

  // The Registrar's side of a PSK profile: the resolver finds the credential for
  // the client's identity; after the handshake the channel holds an association
  // made from that credential, bound to the entry's identity (one the credential
  // vouches for), capped below it. An identity that does not resolve looks on the
  // wire like a wrong key (refusal() tells the server which).
  [[nodiscard]] static result<std::unique_ptr<botan_channel>> psk_server(options o, entity_id local, psk_resolver resolve,
                                                                   requested_lifetime lifetime, usage_limits limits,
                                                                   const Clock& clk) {
    if (auto v = check_server(o, lifetime, clk); !v) return fail(v.error());
    tls_detail::psk_server_role role{{std::move(local), lifetime, limits}, std::move(resolve), {}, {}};
    std::unique_ptr<botan_channel> c(new botan_channel(o, authentication::psk, std::move(role), clk));
    if (auto r = c->start_server(); !r) return fail(r.error());
    return c;
  }

  // Certificate SAEF (ECDHE-ECDSA, P-256), as the client: the server's certificate
  // must name `expected` exactly and chain to `anchors`; `sa` is the association
  // made from our own certificate credential, and it ends strictly before the
  // server's certificate path does.
  [[nodiscard]] static result<std::unique_ptr<botan_channel>> certificate_client(options o, own_certificate own,
                                                                           const trust_anchors& anchors,
                                                                           expected_name expected,
                                                                           security_association& sa,
                                                                           const Clock& clk) {
    if (auto v = check_options(o); !v) return fail(v.error());
    if (auto u = check_usage(sa.usage(), o.usage); !u) return fail(u.error());
    if (!sa.usable_at(clk.now())) return fail(errc::sa_expired);
    auto certs = tls_detail::certificates::load(own, anchors, std::move(expected));
    if (!certs) return fail(certs.error());
    std::unique_ptr<botan_channel> c(new botan_channel(
        o, authentication::certificate, tls_detail::certificate_client_role{&sa, std::move(*certs)}, clk));
    if (auto r = c->start_client(); !r) return fail(r.error());
    return c;
  }

  // Certificate SAEF, as the server: the client must present a certificate that
  // names `peer` exactly (or, for registered_ae, any registered absolute AE-ID) and
  // chains to `anchors`. Once its Finished verifies, the association is bound to
  // the identity that certificate vouches for (tls_detail::binding_of) and capped
  // below its certificate path.
  [[nodiscard]] static result<std::unique_ptr<botan_channel>> certificate_server(
      options o, entity_id local, own_certificate own, const trust_anchors& anchors, peer_names peer,
      requested_lifetime lifetime, usage_limits limits, const Clock& clk) {
    if (auto v = check_server(o, lifetime, clk); !v) return fail(v.error());
    auto certs = tls_detail::certificates::load(own, anchors, std::move(peer));
    if (!certs) return fail(certs.error());
    tls_detail::certificate_server_role role{{std::move(local), lifetime, limits}, std::move(*certs), {}, {}};
    std::unique_ptr<botan_channel> c(new botan_channel(o, authentication::certificate, std::move(role), clk));
    if (auto r = c->start_server(); !r) return fail(r.error());
    return c;
  }

  // Our raw public key (its PKCS#8 private key, PEM) as a certificate client
  // presents it: see tls_detail::raw_key_carrier. `lifetime` is the key's own.
  [[nodiscard]] static result<own_certificate> raw_key_carrier(std::string_view key_pem, const validity& lifetime) {
    return tls_detail::raw_key_carrier(key_pem, lifetime, Rng::get());
  }

  botan_channel(const botan_channel&) = delete;
  botan_channel& operator=(const botan_channel&) = delete;
  ~botan_channel() override = default;

  // Bytes received from the peer. Application data that arrives goes to received();
  // a failure is the errc of the first thing that went wrong, and the channel is
  // over. Records authenticated and counted before the failure stay in received();
  // nothing after it is delivered.
  [[nodiscard]] result<void> feed(bytes_view in) {
    if (error_) return fail(*error_);
    if (ended_) return fail(errc::invalid_argument);
    if (in.empty()) return {};
    if (hello_ && !read_hello(in)) return fail(*error_);
    return run([&] { engine_->received_data(in.data(), in.size()); });
  }
  // The transport ended (TCP closed, or the caller gave up on a datagram peer).
  // After the peer's close_notify, or our own close(), that is the normal end;
  // otherwise the stream was cut (errc::truncated), mid-record or not. Either way
  // the channel is no longer active and no request is checked under it.
  result<void> transport_closed() {
    if (ended_ || error_) return error_ ? fail(*error_) : result<void>{};
    ended_ = true;
    if (peer_closed_ || we_closed_) return {};
    fail_with(errc::truncated, "TLS", "the transport ended before close_notify");
    return fail(errc::truncated);
  }
  // DTLS: call periodically to retransmit a lost handshake flight.
  [[nodiscard]] result<void> tick() {
    if (error_) return fail(*error_);
    return run([&] { engine_->timeout_check(); });
  }
  // The bytes to send to the peer: f(bytes_view) once per datagram (DTLS) or chunk
  // (TLS), then the buffer is emptied. No allocation once the buffer has grown.
  template <class F>
  void drain_outgoing(F&& f) {
    std::size_t begin = 0;
    for (std::size_t end : out_ends_) {
      f(bytes_view(out_buf_).subspan(begin, end - begin));
      begin = end;
    }
    out_buf_.clear();
    out_ends_.clear();
  }
  // The same, as copies (allocates).
  [[nodiscard]] std::vector<byte_vector> take_outgoing() {
    std::vector<byte_vector> out;
    drain_outgoing([&](bytes_view d) { out.emplace_back(d.begin(), d.end()); });
    return out;
  }
  [[nodiscard]] bool has_outgoing() const noexcept { return !out_ends_.empty(); }
  // Application data received so far: a view, valid until the next call on the channel.
  [[nodiscard]] bytes_view received() const noexcept { return bytes_view(received_).subspan(head_); }
  // Forgets the first n bytes of received() (all of them by default), in constant time.
  void consume_received(std::size_t n = static_cast<std::size_t>(-1)) noexcept {
    head_ += std::min(n, received_.size() - head_);
    if (head_ == received_.size()) {
      received_.clear();
      head_ = 0;
    }
  }
  // Application data received so far, taken (allocates).
  [[nodiscard]] byte_vector take_received() {
    compact_received();
    return std::exchange(received_, {});
  }

  // Sends application data, one record per 16 KiB or part of it. The association
  // counts every record, as the receiver does, and is checked for all of them
  // first: past its hard limit the channel sends a close alert and refuses
  // (errc::sa_expired, errc::limit_reached), with nothing sent.
  [[nodiscard]] result<void> send(bytes_view data) {
    if (error_) return fail(*error_);
    if (ended_ || !engine_->is_active()) return fail(errc::invalid_argument);
    if (data.empty()) return {};
    const std::uint64_t records = (data.size() + max_record - 1) / max_record;
    if (security_association* sa = association(); sa != nullptr) {
      if (auto c = sa->check_use_at(clock_->now(), data.size(), records); !c) {
        if (c.error() != errc::not_yet_valid) sa->end(c.error());  // expired or past a hard limit: over
        return end_with(c.error());
      }
    }
    for (std::size_t at = 0; at < data.size(); at += max_record) {
      const bytes_view record = data.subspan(at, std::min(max_record, data.size() - at));
      if (auto r = check_sa(record.size()); !r) return r;
      if (auto r = run([&] { engine_->send(record.data(), record.size()); }); !r) return r;
    }
    return {};
  }

  // Sends a close_notify.
  void close() {
    we_closed_ = true;
    if (engine_ && !engine_->is_closed()) {
      tell(channel_stage::alert_sent, "close_notify");
      (void)run([&] { engine_->close(); });
    }
  }

  [[nodiscard]] bool active() const noexcept { return engine_ && engine_->is_active() && !error_ && !ended_; }
  [[nodiscard]] bool closed() const noexcept {
    return !engine_ || engine_->is_closed() || error_.has_value() || ended_;
  }
  [[nodiscard]] std::optional<errc> error() const noexcept { return error_; }
  // The detail of that error (which alert, sent or received, or what else ended
  // the channel): this channel's own, whatever other channels on the thread did since.
  [[nodiscard]] const failure_detail& failure() const noexcept { return failure_; }
  // A PSK server's own reason for refusing the client's identity (unknown, expired,
  // another usage, not vouched for), known as soon as the identity is read. The
  // channel goes on as if the key were wrong (the client sees bad_record_mac, or
  // over DTLS silence), so only the server tells the cases apart; error() becomes
  // this reason when the handshake fails.
  [[nodiscard]] std::optional<errc> refusal() const noexcept { return refusal_; }
  // The soft limit of the association was reached: a new handshake is due.
  [[nodiscard]] bool rekey_due() const noexcept { return rekey_due_; }
  [[nodiscard]] std::uint16_t suite() const noexcept { return suite_; }
  // The PSK identity the client used (server side), known once the client's Finished verified.
  [[nodiscard]] const std::string& peer_identity() const noexcept { return identity_; }
  // The association the channel runs under: the client's, or the one the server made.
  [[nodiscard]] security_association* association() noexcept {
    using namespace tls_detail;
    if (auto* r = std::get_if<psk_client_role>(&role_)) return &r->key->association();
    if (auto* r = std::get_if<certificate_client_role>(&role_)) return r->sa;
    if (auto* r = std::get_if<psk_server_role>(&role_)) return r->established ? &r->established->association() : nullptr;
    auto& r = std::get<certificate_server_role>(role_);
    return r.sa ? &*r.sa : nullptr;
  }

  // TS-0004 §7.3.2.1: the per-request check a CSE makes with the request's From:
  // 2000, 4106 ORIGINATOR_NOT_AUTHENTICATED, or 4107 SECURITY_ASSOCIATION_REQUIRED.
  [[nodiscard]] rsc check_originator(std::string_view from, request_context ctx = {}) noexcept {
    return originator_rsc(active() ? association() : nullptr, from, clock_->now(), ctx);
  }

  // TS-0003 §10.3.1: RFC 5705 exporter with no context (decision A2), 48 bytes,
  // under one of the three oneM2M labels. Each label belongs to one usage
  // (Bootstrap: the MEF handshake; Connection: the MAF handshake; ESCertKE:
  // ESPrim), and the association must still be usable now: after it ends, or on
  // a channel of another usage, nothing is exported.
  [[nodiscard]] result<secret> export_key(std::string_view label, std::size_t length = exporter_size) {
    const auto wanted = exporter_usage(label);
    if (!wanted) return fail(wanted.error());
    security_association* sa = association();
    if (sa == nullptr) return fail(errc::security_association_required);
    if (auto u = check_usage(sa->usage(), *wanted); !u) return fail(u.error());
    if (auto r = sa->check_at(clock_->now()); !r) return fail(r.error());
    if (!active()) return fail(errc::invalid_argument);
    return backend::guard([&]() -> result<secret> {
      const auto k = engine_->key_material_export(std::string(label), "", length);
      return secret::copy_of(bytes_view(k.begin(), k.size()));
    });
  }

 private:
  // TS-0003 §10.3.1: the usage each exporter label serves.
  static result<usage_scope> exporter_usage(std::string_view label) noexcept {
    if (label == exporter_label::bootstrap) return usage_scope::mef;
    if (label == exporter_label::connection) return usage_scope::maf;
    if (label == exporter_label::escertke) return usage_scope::esprim;
    return fail(errc::invalid_argument);
  }

  // The most a record carries (RFC 5246 §6.2.1): send() cuts data at this size.
  static constexpr std::size_t max_record = 16384;

  // TS-0003 §10.2.1: SNI is mandatory, so a channel needs a server name that is an FQDN.
  static result<void> check_options(const options& o) {
    if (o.server_name.empty() || !fqdn::parse(o.server_name)) return fail(errc::invalid_argument);
    return {};
  }
  // A server also needs a lifetime it can give an association (a zero session has none).
  static result<void> check_server(const options& o, requested_lifetime lifetime, const Clock& clk) {
    if (auto v = check_options(o); !v) return v;
    if (auto l = lifetime.at(clk.now()); !l) return fail(l.error());
    return {};
  }

  botan_channel(options o, authentication a, tls_detail::role r, const Clock& clk)
      : options_(std::move(o)), policy_(options_.kind, a, options_.ccm_first), clock_(&clk), role_(std::move(r)) {
    if (is_server()) hello_.emplace(options_.kind == transport::datagram);
  }

  // RFC 6066 §3: a ClientHello naming several host_names is refused with a fatal
  // illegal_parameter alert, before the engine (which keeps the last one) reads it.
  bool read_hello(bytes_view in) {
    const hello_verdict v = hello_->feed(in);
    if (v == hello_verdict::more) return true;
    hello_.reset();
    if (v == hello_verdict::done) return true;
    // The alert in clear, at epoch 0: TLS 1.2 (RFC 5246 §6.2.1) or DTLS 1.2 (RFC 6347 §4.1).
    static constexpr byte tls_alert[] = {21, 3, 3, 0, 2, 2, 47};
    static constexpr byte dtls_alert[] = {21, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 47};
    if (options_.kind == transport::stream) tls_emit_data(tls_alert, sizeof tls_alert);
    else tls_emit_data(dtls_alert, sizeof dtls_alert);
    tell(channel_stage::alert_sent, "illegal_parameter", 47);
    fail_with(errc::invalid_encoding, "TLS alert sent", "illegal_parameter (a ClientHello with two host_names)");
    return false;
  }

  // received_ keeps consumed bytes at its front until they are half of it: each
  // byte is moved at most once on average.
  void compact_received() {
    if (head_ == 0) return;
    received_.erase(received_.begin(), received_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }

  [[nodiscard]] bool is_server() const noexcept {
    return std::holds_alternative<tls_detail::psk_server_role>(role_) ||
           std::holds_alternative<tls_detail::certificate_server_role>(role_);
  }
  // Our certificates and the peer's expected name (certificate roles), or null.
  [[nodiscard]] const tls_detail::certificates* certs() const noexcept {
    if (auto* r = std::get_if<tls_detail::certificate_client_role>(&role_)) return &r->certs;
    if (auto* r = std::get_if<tls_detail::certificate_server_role>(&role_)) return &r->certs;
    return nullptr;
  }

  result<void> start_client() {
    using V = Botan::TLS::Protocol_Version;
    const V version = options_.kind == transport::stream ? V::TLS_V12 : V::DTLS_V12;
    tell(channel_stage::hello, options_.server_name);
    return run([&] {
      Botan::TLS::Callbacks& callbacks = *this;
      Botan::Credentials_Manager& credentials = *this;
      engine_ = std::make_unique<Botan::TLS::Client>(callbacks, sessions_, credentials, policy_, Rng::get(),
                                                     Botan::TLS::Server_Information(options_.server_name), version);
    });
  }
  result<void> start_server() {
    if (options_.kind == transport::datagram) {  // the HelloVerifyRequest cookie key
      byte cookie[32];
      if (auto r = crypto::rng<>::fill(cookie); !r) return fail(r.error());
      cookie_secret_ = Botan::SymmetricKey(cookie, sizeof cookie);
      ct::wipe(cookie, sizeof cookie);
    }
    return run([&] {
      Botan::TLS::Callbacks& callbacks = *this;
      Botan::Credentials_Manager& credentials = *this;
      engine_ = std::make_unique<Botan::TLS::Server>(callbacks, sessions_, credentials, policy_, Rng::get(),
                                                     options_.kind == transport::datagram);
    });
  }

  // Runs an engine call; a failure ends the channel with the most specific errc.
  template <class F>
  result<void> run(F&& f) {
    try {
      f();
    } catch (const Botan::TLS::TLS_Exception& e) {
      tell(channel_stage::alert_sent, Botan::TLS::Alert(e.type()).type_string(), static_cast<std::uint16_t>(e.type()));
      fail_with(tls_detail::from_alert(e.type()), "TLS alert sent", tls_detail::alert_name(e.type()));
    } catch (const Botan::Invalid_Authentication_Tag&) {
      fail_with(errc::auth_failed, "TLS", "a record does not authenticate");
    } catch (const Botan::Decoding_Error&) {
      fail_with(errc::invalid_encoding, "TLS", "a message does not parse");
    } catch (const std::bad_alloc&) {
      fail_with(errc::out_of_memory, "TLS", "out of memory");
    } catch (const std::exception&) {
      fail_with(errc::invalid_encoding, "TLS", "the engine refused the input");
    }
    // Records delivered before the failure stay in received(): each was
    // authenticated and counted by the association.
    if (error_) return fail(*error_);
    return {};
  }
  // The first failure names the channel's end; a refused PSK identity names it
  // whatever the engine then reports (the bad_record_mac the client was shown).
  // Its detail (static texts) goes to last_failure(); a refused identity's says so.
  // A failure decided below (a certificate's path, an association) keeps the detail it left.
  void fail_with(errc e) {
    const auto d = last_failure();
    if (d.code == e && !d.where.empty()) fail_with(e, d.where, d.what);
    else fail_with(e, "TLS", "the handshake failed");
  }
  void fail_with(errc e, std::string_view where, std::string_view what) {
    if (error_) return;
    error_ = refusal_.value_or(e);
    if (refusal_) note(*refusal_, "TLS", "the server refused the client's PSK identity");
    else note(e, where, what);
    failure_ = last_failure();
    if (!refusal_) tell(channel_stage::refused, to_string(*error_), 0, error_);  // a refusal was told when decided
  }
  void tell(channel_stage s, std::string_view text, std::uint16_t code = 0, std::optional<errc> e = std::nullopt) const {
    if (options_.observer) options_.observer(channel_event{s, text, code, e});
  }
  void tell_established() {
    if (security_association* sa = association()) tell(channel_stage::established, to_string(sa->who().peer), suite_);
  }

  // The association is checked before each record is sent or delivered.
  result<void> check_sa(std::size_t bytes) {
    security_association* sa = association();
    if (!sa) return fail(errc::security_association_required);
    auto r = sa->use(*clock_, bytes);
    if (!r) return end_with(r.error());
    if (*r == sa_status::rekey_due) rekey_due_ = true;
    return {};
  }
  // The association refused: a close alert to the peer, and the channel is over.
  result<void> end_with(errc e) {
    if (!engine_->is_closed()) {
      tell(channel_stage::alert_sent, "close_notify");
      try {
        engine_->close();
      } catch (...) {
      }
    }
    fail_with(e, "TLS", "the security association refused the use");
    return fail(e);
  }

  // ---- Botan::TLS::Callbacks ----
  void tls_emit_data(const uint8_t data[], size_t size) override {
    out_buf_.insert(out_buf_.end(), data, data + size);
    out_ends_.push_back(out_buf_.size());
  }
  void tls_record_received(uint64_t, const uint8_t data[], size_t size) override {
    if (error_) return;
    if (!check_sa(size)) return;
    if (head_ > 0 && head_ >= received_.size() / 2) compact_received();
    received_.insert(received_.end(), data, data + size);
  }
  void tls_alert(Botan::TLS::Alert alert) override {
    tell(channel_stage::alert_received, alert.type_string(), static_cast<std::uint16_t>(alert.type()));
    if (alert.type() == Botan::TLS::Alert::CLOSE_NOTIFY) {
      peer_closed_ = true;
      return;
    }
    if (alert.is_fatal()) fail_with(tls_detail::from_alert(alert.type()), "TLS alert received", tls_detail::alert_name(alert.type()));
  }
  bool tls_session_established(const Botan::TLS::Session& s) override {
    suite_ = s.ciphersuite_code();
    return false;  // never cached
  }
  void tls_session_activated() override {
    // TS-0003 §8.2.1: the Registrar binds the association to the peer's identity,
    // once the peer's Finished has been verified.
    if (auto* r = std::get_if<tls_detail::psk_server_role>(&role_)) {
      if (!r->pending || refusal_) {
        fail_with(errc::auth_failed, "TLS", "the client's Finished does not verify under the key of its identity");
        throw Botan::TLS::TLS_Exception(Botan::TLS::Alert::BAD_RECORD_MAC, "no key");
      }
      r->established.emplace(std::move(*r->pending));
      r->pending.reset();
      identity_ = std::move(pending_identity_);
      return tell_established();
    }
    auto* r = std::get_if<tls_detail::certificate_server_role>(&role_);
    if (r == nullptr) return tell_established();
    const auto& setup = r->setup;
    result<security_association> sa = fail(errc::security_association_required);
    if (r->verified)
      sa = std::visit(
          [&](const auto& cred) {
            return security_association::create({setup.local, r->verified->binding}, cred, setup.lifetime,
                                                setup.limits, *clock_);
          },
          r->verified->credential);
    if (sa) {
      if (auto u = check_usage(sa->usage(), options_.usage); !u) sa = fail(u.error());
    }
    if (!sa) {
      fail_with(sa.error());
      throw Botan::TLS::TLS_Exception(tls_detail::to_alert(sa.error()), "no security association");
    }
    r->sa.emplace(std::move(*sa));
    tell_established();
  }
  // TS-0003 §10.2.1: SNI is mandatory; the server checks it against its own name.
  void tls_examine_extensions(const Botan::TLS::Extensions& ext, Botan::TLS::Connection_Side side) override {
    if (side != Botan::TLS::CLIENT || !is_server()) return;
    const auto* sni = ext.get<Botan::TLS::Server_Name_Indicator>();
    tell(channel_stage::hello, sni ? std::string_view(sni->host_name()) : std::string_view());
    if (!sni || !iequal_ascii(sni->host_name(), options_.server_name)) {
      fail_with(errc::name_mismatch, "TLS", "the client's SNI is not this server's name");
      throw Botan::TLS::TLS_Exception(Botan::TLS::Alert::UNRECOGNIZED_NAME, "server name");
    }
  }
  // TS-0003 §8.1.2.2: exact name match and path validation, by m2msec (Botan does not
  // check client certificate names).
  void tls_verify_cert_chain(const std::vector<Botan::X509_Certificate>& chain,
                             const std::vector<std::shared_ptr<const Botan::OCSP::Response>>&,
                             const std::vector<Botan::Certificate_Store*>&, Botan::Usage_Type, const std::string&,
                             const Botan::TLS::Policy&) override {
    auto reject = [&](errc e) {
      fail_with(e);
      throw Botan::TLS::TLS_Exception(e == errc::expired ? Botan::TLS::Alert::CERTIFICATE_EXPIRED
                                                         : Botan::TLS::Alert::BAD_CERTIFICATE,
                                      "certificate");
    };
    const tls_detail::certificates* ours = certs();
    if (ours == nullptr) reject(errc::untrusted);
    auto cred = ours->verify_peer(chain, options_.usage, clock_->now());
    if (!cred) reject(cred.error());
    if (auto* r = std::get_if<tls_detail::certificate_server_role>(&role_)) r->verified.emplace(std::move(*cred));
    if (auto* r = std::get_if<tls_detail::certificate_client_role>(&role_)) r->sa->cap_strictly_below(cred->lifetime());
  }

  // ---- Botan::Credentials_Manager ----
  std::string psk_identity(const std::string&, const std::string&, const std::string&) override {
    tell(channel_stage::identity, identity_);
    return identity_;
  }
  Botan::SymmetricKey psk(const std::string& type, const std::string& context, const std::string& identity) override {
    if (type == "tls-client") {
      auto* client = std::get_if<tls_detail::psk_client_role>(&role_);
      if (client == nullptr) throw Botan::TLS::TLS_Exception(Botan::TLS::Alert::INTERNAL_ERROR, "no PSK");
      auto g = client->key->use(options_.usage, *clock_, 0, 0);
      if (!g) {
        fail_with(g.error());
        throw Botan::TLS::TLS_Exception(Botan::TLS::Alert::INTERNAL_ERROR, "key refused");
      }
      const auto k = g->key().expose();
      return Botan::SymmetricKey(k.data(), k.size());
    }
    if (context == "session-ticket") throw Botan::TLS::TLS_Exception(Botan::TLS::Alert::INTERNAL_ERROR, "no tickets");
    if (context == "dtls-cookie-secret") return cookie_secret_;
    // TS-0003 §8.2.2: the identity names the credential; an unknown or unusable one fails the handshake.
    auto* server = std::get_if<tls_detail::psk_server_role>(&role_);
    if (server == nullptr) return Botan::SymmetricKey();
    tell(channel_stage::identity, identity);
    auto key = server->key_for(identity, context, options_.usage, *clock_);
    if (!key) {
      refusal_ = key.error();
      tell(channel_stage::refused, to_string(*refusal_), 0, refusal_);
      return Botan::SymmetricKey();  // the engine goes on with a random key (hide_unknown_users)
    }
    pending_identity_ = identity;
    return std::move(*key);
  }
  std::vector<Botan::Certificate_Store*> trusted_certificate_authorities(const std::string&,
                                                                         const std::string&) override {
    // A non-empty list makes the server ask for a client certificate.
    const tls_detail::certificates* ours = certs();
    if (ours == nullptr) return {};
    return {ours->anchors->store().botan_store()};
  }
  std::vector<Botan::X509_Certificate> find_cert_chain(const std::vector<std::string>& key_types,
                                                       const std::vector<Botan::X509_DN>&, const std::string&,
                                                       const std::string&) override {
    const tls_detail::certificates* ours = certs();
    for (const auto& t : key_types)
      if (t == "ECDSA" && ours != nullptr) return ours->chain;
    return {};
  }
  Botan::Private_Key* private_key_for(const Botan::X509_Certificate&, const std::string&,
                                      const std::string&) override {
    const tls_detail::certificates* ours = certs();
    return ours != nullptr ? ours->key.get() : nullptr;
  }

  options options_;
  onem2m_policy policy_;
  const Clock* clock_;
  Botan::TLS::Session_Manager_Noop sessions_;
  std::unique_ptr<Botan::TLS::Channel> engine_;
  byte_vector out_buf_;
  std::vector<std::size_t> out_ends_;
  byte_vector received_;
  std::size_t head_ = 0;  // received() starts here
  std::optional<client_hello_reader> hello_;  // a server's, until the ClientHello is read
  failure_detail failure_{};
  std::optional<errc> error_, refusal_;
  bool rekey_due_ = false;
  bool peer_closed_ = false, we_closed_ = false, ended_ = false;  // close_notify in, out; transport ended
  std::uint16_t suite_ = 0;
  std::string identity_;  // the PSK identity: sent (client), or the one that resolved (server)
  std::string pending_identity_;  // the server's, until the client's Finished verifies
  Botan::SymmetricKey cookie_secret_;
  tls_detail::role role_;
};

}  // namespace m2msec::tls
