// m2msec: strict JSON for JOSE through nlohmann-json. RFC 7515 §5.2 step 4 and RFC 7516 §5.2 step 4:
// a header with duplicate member names is rejected (nlohmann-json would keep the
// last one silently), and so is anything too long or too deep.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "m2msec/core/ct.hpp"
#include "m2msec/core/result.hpp"
#include "m2msec/jose/compact.hpp"
#include "m2msec/jose/header.hpp"
#include "m2msec/jose/reader.hpp"

namespace m2msec::jose {

using json = nlohmann::json;

// An allocator that wipes what it frees, for documents that hold private key
// members (JWK export): no copy of a key is left in freed memory.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
template <class T>
struct wiping_allocator {
  using value_type = T;
  wiping_allocator() = default;
  template <class U>
  wiping_allocator(const wiping_allocator<U>&) noexcept {}
  [[nodiscard]] T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    ct::wipe(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  friend bool operator==(const wiping_allocator&, const wiping_allocator<U>&) noexcept {
    return true;
  }
};
using wiping_string = std::basic_string<char, std::char_traits<char>, wiping_allocator<char>>;
// nlohmann-json whose strings, arrays and objects all live in wiped memory.
using secret_json = nlohmann::basic_json<std::map, std::vector, wiping_string, bool, std::int64_t, std::uint64_t, double,
                                         wiping_allocator>;

// Parses text as one JSON value (for whole JSON serializations, whose
// documents can be megabytes; headers go through `header`, header.hpp),
// refusing duplicate member names at any depth, nesting deeper than max_depth, and text longer than max_size.
// Into secret_json when the text holds a key.
template <class Json = json>
[[nodiscard]] inline result<Json> parse_strict(std::string_view text, std::size_t max_size, std::size_t max_depth) {
  if (text.size() > max_size) return fail(errc::message_too_long);
  // Members seen in each open object; an object that ends up with fewer
  // members than names were read had a name twice.
  std::vector<std::size_t> members;
  members.reserve(max_depth + 1);
  bool bad = false;
  using event_t = typename Json::parse_event_t;
  auto check = [&](int depth, event_t event, Json& value) {
    switch (event) {
      case event_t::object_start:
        members.push_back(0);
        [[fallthrough]];
      case event_t::array_start:
        if (static_cast<std::size_t>(depth) >= max_depth) bad = true;
        break;
      case event_t::key:
        if (!members.empty()) ++members.back();
        break;
      case event_t::object_end:
        if (!members.empty()) {
          if (value.size() != members.back()) bad = true;
          members.pop_back();
        }
        break;
      default: break;
    }
    return true;
  };
  Json j = Json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/false);
  if (j.is_discarded() || bad) return fail(errc::invalid_encoding);
  return j;
}

// RFC 7515 §7.2, RFC 7516 §7.2: the shape of a JSON serialization, checked by the
// strict reader before any document is built. The object's members are strings,
// header objects (`headers`: each at most max_header bytes of text), or one
// array (`list`) of at most max_recipients objects whose members are strings or
// a "header" object. Anything else is refused here, whatever its size, so the
// document built afterwards holds the input's strings and a few small headers:
// a small multiple of the input, refused or not.
[[nodiscard]] inline result<void> check_serialization_shape(std::string_view text, const limits& lim,
                                                            std::initializer_list<std::string_view> headers,
                                                            std::string_view list) {
  if (text.size() > lim.max_object) return fail(errc::message_too_long);
  json_reader r(text);
  std::string scratch;
  errc why = errc::invalid_encoding;
  auto header_object = [&] {
    const std::size_t start = r.offset();
    if (r.peek() != '{' || !r.skip(1, lim.max_depth + 2)) return false;
    if (r.offset() - start > lim.max_header) {
      why = errc::message_too_long;
      return false;
    }
    return true;
  };
  auto string_value = [&] {
    std::string_view v;
    scratch.clear();
    return r.peek() == '"' && r.string(v, scratch);
  };
  auto entry = [&](std::string_view name) {
    if (name == "header") return header_object();
    return string_value();
  };
  std::size_t entries = 0;
  auto element = [&] {
    if (++entries > lim.max_recipients) {
      why = errc::message_too_long;
      return false;
    }
    return r.peek() == '{' && r.object(2, lim.max_depth + 2, entry);
  };
  auto top = [&](std::string_view name) {
    if (name == list) return r.peek() == '[' && r.array(1, lim.max_depth + 2, element);
    for (auto h : headers)
      if (name == h) return header_object();
    return string_value();
  };
  if (r.peek() != '{' || !r.object(0, lim.max_depth + 2, top) || !r.at_end()) return fail(why);
  return {};
}

// A JSON object parsed strictly (the JOSE header and JSON serialization rule).
template <class Json = json>
[[nodiscard]] inline result<Json> parse_object(std::string_view text, std::size_t max_size, std::size_t max_depth) {
  auto j = parse_strict<Json>(text, max_size, max_depth);
  if (j && !j->is_object()) return fail(errc::invalid_encoding);
  return j;
}

// Member access that tells absence from a wrong type (json or secret_json).
template <class Json>
[[nodiscard]] inline const Json* member(const Json& obj, std::string_view name) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}
// A string member: nullopt when absent, invalid_encoding when not a string.
template <class Json>
[[nodiscard]] inline result<std::optional<std::string_view>> string_member(const Json& obj, std::string_view name) {
  const Json* m = member(obj, name);
  if (m == nullptr) return std::optional<std::string_view>{};
  if (!m->is_string()) return fail(errc::invalid_encoding);
  const auto& s = m->template get_ref<const typename Json::string_t&>();
  return std::optional<std::string_view>{std::string_view(s.data(), s.size())};
}

// A header member as nlohmann-json (null when absent), for nested values (epk, crit).
[[nodiscard]] inline json value(const header& h, std::string_view name) {
  const auto text = h.raw(name);
  if (!text) return nullptr;
  json j = json::parse(text->begin(), text->end(), nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json() : j;
}
// The whole header as nlohmann-json.
[[nodiscard]] inline json to_json(const header& h) {
  json j = json::object();
  h.each([&](std::string_view name, std::string_view) { j[std::string(name)] = value(h, name); });
  return j;
}
// An object built elsewhere (an unprotected header of a JSON serialization) as a header.
[[nodiscard]] inline result<header> header_of(const json& obj, const limits& lim) {
  if (!obj.is_object()) return fail(errc::invalid_encoding);
  auto h = header::parse(obj.dump(), lim);
  if (!h && h.error() == errc::message_too_long) return fail(errc::invalid_encoding);
  return h;
}

// The members of a JSON object (its text without the braces), appended after a comma.
inline void append_members(std::string& out, const json& obj) {
  if (!obj.is_object() || obj.empty()) return;
  const std::string text = obj.dump();
  if (out.size() > 1) out += ',';
  out.append(text, 1, text.size() - 2);
}


namespace detail {

// A base64url member of a JSON serialization; `required` members must be present.
[[nodiscard]] inline result<std::optional<std::string_view>> b64_member(const json& j, std::string_view name,
                                                                        bool required) {
  auto s = string_member(j, name);
  if (!s) return fail(s.error());
  if (required && !*s) return fail(errc::invalid_encoding);
  return *s;
}

// RFC 7516 §7.2.1 / RFC 7515 §7.2.1: the headers of one recipient or signature
// must not share a member name; their union is the JOSE header (as written).
[[nodiscard]] inline result<json> joint_header(std::initializer_list<const json*> parts) {
  json joint = json::object();
  for (const json* p : parts) {
    if (p == nullptr || p->is_null()) continue;
    if (!p->is_object()) return fail(errc::invalid_encoding);
    for (auto it = p->begin(); it != p->end(); ++it) {
      if (joint.contains(it.key())) return fail(errc::invalid_encoding);
      joint[it.key()] = it.value();
    }
  }
  return joint;
}
// The same for headers as read: the protected one and the unprotected ones
// of a JSON serialization (absent when null).
[[nodiscard]] inline result<header> joint_header(const header& protected_header, std::initializer_list<const json*> unprotected,
                                                 const limits& lim) {
  std::vector<header> parts;
  for (const json* u : unprotected) {
    if (u == nullptr) continue;
    auto h = header_of(*u, lim);
    if (!h) return fail(h.error());
    parts.push_back(std::move(*h));
  }
  if (parts.empty()) return protected_header;
  auto joint = header::join({&protected_header, &parts[0], parts.size() > 1 ? &parts[1] : nullptr});
  if (!joint) return fail(joint.error());
  return joint;
}

}  // namespace detail

}  // namespace m2msec::jose
