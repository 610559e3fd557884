// m2msec store: list, add and expire the credentials of a credential store
// (credential/store.hpp). The storage key is a file of 64 hex digits (for
// example `openssl rand -hex 32`); keys are never printed.
#pragma once

#include "cli/common.hpp"
#include "m2msec/credential/store.hpp"
#include "m2msec/e2e/esprim/timestamp.hpp"
#include "m2msec/enrolment/mef_protocol.hpp"

namespace m2msec::cli {

struct store_args {
  std::string file, storage_key, id, holder, key, not_after;
  int suid_value = 0;
};

namespace store_detail {
inline credential_store open(const store_args& a) {
  const auto text = read_secret(a.storage_key, "--storage-key");
  std::string_view hex_text(reinterpret_cast<const char*>(text.expose().data()), text.size());
  while (!hex_text.empty() && (hex_text.back() == '\n' || hex_text.back() == '\r')) hex_text.remove_suffix(1);
  auto key = hex_decode_secret(hex_text);
  if (!key) bad("--storage-key", "not hex");
  auto s = credential_store::open(a.file, std::move(*key), system_clock{}.now());
  if (!s) bad("--file", a.file + ": " + why(s.error()));
  return std::move(*s);
}
inline credential_id id_of(const std::string& text) {
  auto id = credential_id::parse(text);
  if (!id) bad("--id", "not a Credential-ID (e.g. 12-C0042@sp.example.com): " + text);
  return std::move(*id);
}
}  // namespace store_detail

inline void add_store(CLI::App& app, store_args& a) {
  auto* st = app.add_subcommand("store", "list, add and expire credentials in a credential store");
  st->require_subcommand(1);
  auto opened = [&a](CLI::App* c) {
    c->add_option("--file", a.file, "the store's file")->required();
    c->add_option("--storage-key", a.storage_key, "a file holding the storage key as 64 hex digits")->required();
  };
  auto* list = st->add_subcommand("list", "one line per credential: id, SUID, holder, lifetime (never the key)");
  opened(list);
  auto* add = st->add_subcommand("add", "add or replace a symmetric credential");
  opened(add);
  add->add_option("--id", a.id, "its Credential-ID, e.g. 12-C0042@sp.example.com")->required();
  add->add_option("--holder", a.holder, "the CSE-ID, AE-ID or FQDN that holds it")->required();
  add->add_option("--suid", a.suid_value, "the usage it was provisioned for, e.g. 12")->required();
  add->add_option("--key", a.key, "the key, hex")->required();
  add->add_option("--not-after", a.not_after, "its end, as m2m:timestamp YYYYMMDDTHHMMSS (UTC)")->required();
  auto* expire = st->add_subcommand("expire", "remove the credential --id names, or without --id every expired one");
  opened(expire);
  expire->add_option("--id", a.id, "the Credential-ID to remove");

  list->callback([&a] {
    auto s = store_detail::open(a);
    s.for_each([](const symmetric_credential& c) {
      out(c.id().str() + " suid " + std::to_string(static_cast<int>(c.usage())) + " holder " + to_string(c.holder()) +
          " from " + esprim::to_timestamp(c.lifetime().not_before()) + " to " +
          esprim::to_timestamp(c.lifetime().not_after()));
    });
    out(std::to_string(s.size()) + " credentials");
  });
  add->callback([&a] {
    const auto s_value = static_cast<suid>(a.suid_value);
    if (std::find(std::begin(all_suids), std::end(all_suids), s_value) == std::end(all_suids)) bad("--suid", "not a SUID");
    auto holder = mef::parse_entity(a.holder);
    if (!holder) bad("--holder", "not a CSE-ID, AE-ID or FQDN: " + a.holder);
    auto end = esprim::parse_timestamp(a.not_after);
    if (!end) bad("--not-after", "not YYYYMMDDTHHMMSS: " + a.not_after);
    const time_point now = system_clock{}.now();
    auto life = validity::make(now, *end);
    if (!life) bad("--not-after", "not after now");
    auto c = symmetric_credential::make(hex_secret(a.key, "--key"), store_detail::id_of(a.id), s_value, *holder, *life);
    if (!c) bad("--key", why(c.error()));
    auto s = store_detail::open(a);
    if (auto r = s.put(std::move(*c)); !r) bad("--file", a.file + ": " + why(r.error()));
    out("added " + a.id);
  });
  expire->callback([&a] {
    auto s = store_detail::open(a);
    if (a.id.empty()) {
      auto n = s.purge(system_clock{}.now());
      if (!n) bad("--file", a.file + ": " + why(n.error()));
      out("removed " + std::to_string(*n) + " expired");
      return;
    }
    if (auto r = s.erase(store_detail::id_of(a.id)); !r)
      bad("--id", a.id + ": " + why(r.error()));
    out("removed " + a.id);
  });
}

}  // namespace m2msec::cli
