// m2msec jwe / jws: protect, unprotect and inspect JOSE objects (TS-0003 §8.5.3)
// with a JWK file. Payloads come from a file or standard input and go to
// standard output as they are; nothing is written when a check fails.
#pragma once

#include "cli/common.hpp"
#include "m2msec/jose/jwe.hpp"
#include "m2msec/jose/jwk.hpp"
#include "m2msec/jose/jws.hpp"

namespace m2msec::cli {

struct jose_args {
  std::string jwk_file, alg_name, enc_name = "A256GCM", in = "-";
  bool json = false;
};

namespace jose_detail {
inline jose::alg alg_of(const std::string& name) {
  auto a = jose::parse_alg(name);
  if (!a || *a == jose::alg::none) bad("--alg", "not a JOSE algorithm m2msec signs or encrypts with: " + name);
  return *a;
}
// The key from its file; with --alg, for that algorithm only, otherwise for
// those it can serve.
inline jose::jwk key(const jose_args& a) {
  const auto text = read_secret(a.jwk_file, "--jwk");
  const std::string_view view(reinterpret_cast<const char*>(text.expose().data()), text.size());
  auto k = a.alg_name.empty() ? jose::jwk::parse(view, jose::secured_algs, {}, true)
                              : jose::jwk::parse(view, {alg_of(a.alg_name)});
  if (!k) bad("--jwk", why(k.error()));
  return std::move(*k);
}
// A JOSE object from the input, without the line end a shell adds.
inline std::string read_object(const std::string& in) {
  auto text = read_text(in, "--in");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}
inline void write_bytes(bytes_view b) {
  if (!b.empty()) std::fwrite(b.data(), 1, b.size(), stdout);
}
inline std::string kid_of(const jose::header& h) {
  auto k = h.string("kid");
  return k && *k ? " kid " + std::string(**k) : std::string();
}
inline const char* form_name(jose::serialization f) {
  return f == jose::serialization::compact ? "compact" : f == jose::serialization::flattened ? "flattened JSON" : "general JSON";
}
}  // namespace jose_detail

inline void add_jose(CLI::App& app, jose_args& a) {
  auto* jwe = app.add_subcommand("jwe", "JSON Web Encryption (RFC 7516) with a JWK file");
  jwe->require_subcommand(1);
  auto* jws = app.add_subcommand("jws", "JSON Web Signature (RFC 7515) with a JWK file");
  jws->require_subcommand(1);
  auto input = [&a](CLI::App* c) { c->add_option("--in", a.in, "the input file (default: standard input)"); };
  auto keyed = [&a, input](CLI::App* c, bool alg_required) {
    c->add_option("--jwk", a.jwk_file, "the JWK file")->required();
    auto* o = c->add_option("--alg", a.alg_name, "the algorithm (alg)");
    if (alg_required) o->required();
    input(c);
  };

  auto* protect = jwe->add_subcommand("protect", "encrypt the input to the key");
  keyed(protect, true);
  protect->add_option("--enc", a.enc_name, "content encryption: A128GCM, A192GCM or A256GCM (default)");
  protect->add_flag("--json", a.json, "flattened JSON serialization instead of compact");
  protect->callback([&a] {
    const auto e = jose::parse_enc(a.enc_name);
    if (!e) bad("--enc", "not A128GCM, A192GCM or A256GCM: " + a.enc_name);
    const auto k = jose_detail::key(a);
    const auto plaintext = read_text(a.in, "--in");
    jose::jwe_options o;
    o.encryption = *e;
    if (a.json) o.form = jose::serialization::flattened;
    auto t = jose::encrypt(as_bytes(plaintext), k, jose_detail::alg_of(a.alg_name), o);
    if (!t) bad("jwe protect", why(t.error()));
    out(*t);
  });
  auto* unprotect = jwe->add_subcommand("unprotect", "decrypt with the key; the plaintext only if it opens");
  keyed(unprotect, false);
  unprotect->callback([&a] {
    const auto k = jose_detail::key(a);
    const auto text = jose_detail::read_object(a.in);
    auto p = jose::parse_jwe(text);
    if (!p) bad("--in", why(p.error()));
    auto d = jose::decrypt(std::move(*p), std::span<const jose::jwk>(&k, 1));
    if (!d) refuse("--in", why(d.error()));
    jose_detail::write_bytes(d->plaintext);
  });
  auto* jwe_inspect = jwe->add_subcommand("inspect", "the structure and headers, no key needed");
  input(jwe_inspect);
  jwe_inspect->callback([&a] {
    const auto text = jose_detail::read_object(a.in);
    auto p = jose::parse_jwe(text);
    if (!p) bad("--in", why(p.error()));
    out(std::string("JWE, ") + jose_detail::form_name(p->form) + ", enc " + std::string(to_string(p->encryption)) +
        ", " + std::to_string(p->sealed.size() - 16) + " bytes of ciphertext");
    for (std::size_t i = 0; i < p->recipients.size(); ++i)
      out("recipient " + std::to_string(i) + ": alg " + std::string(to_string(p->recipients[i].algorithm)) +
          jose_detail::kid_of(p->recipients[i].header));
  });

  auto* sign = jws->add_subcommand("sign", "sign the input with the key");
  keyed(sign, true);
  sign->add_flag("--json", a.json, "flattened JSON serialization instead of compact");
  sign->callback([&a] {
    const auto k = jose_detail::key(a);
    const auto payload = read_text(a.in, "--in");
    auto t = jose::sign(as_bytes(payload), k, jose_detail::alg_of(a.alg_name), nullptr,
                        a.json ? jose::serialization::flattened : jose::serialization::compact);
    if (!t) bad("jws sign", why(t.error()));
    out(*t);
  });
  auto* verify = jws->add_subcommand("verify", "verify with the key; the payload only if a signature verifies");
  keyed(verify, false);
  verify->callback([&a] {
    const auto k = jose_detail::key(a);
    const auto text = jose_detail::read_object(a.in);
    auto p = jose::parse_jws(text);
    if (!p) bad("--in", why(p.error()));
    auto v = jose::verify(std::move(*p), std::span<const jose::jwk>(&k, 1));
    if (!v) refuse("--in", why(v.error()));
    jose_detail::write_bytes(v->payload);
  });
  auto* jws_inspect = jws->add_subcommand("inspect", "the structure and headers, no key needed");
  input(jws_inspect);
  jws_inspect->callback([&a] {
    const auto text = jose_detail::read_object(a.in);
    auto p = jose::parse_jws(text);
    if (!p) bad("--in", why(p.error()));
    out(std::string("JWS, ") + jose_detail::form_name(p->form) + ", " + std::to_string(p->payload.size()) +
        " bytes of payload");
    for (std::size_t i = 0; i < p->signatures.size(); ++i)
      out("signature " + std::to_string(i) + ": alg " + std::string(to_string(p->signatures[i].algorithm)) +
          jose_detail::kid_of(p->signatures[i].header));
  });
}

}  // namespace m2msec::cli
