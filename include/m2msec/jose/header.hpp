// m2msec: a JOSE header as received, read strictly by m2msec's own JSON reader
// (no nlohmann-json: a compact "dir" JWE, as ESPrim sends, needs nothing more).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "m2msec/core/result.hpp"
#include "m2msec/jose/reader.hpp"

namespace m2msec::jose {

// Bounds decided before any key is touched.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct limits {
  std::size_t max_object = std::size_t{16} << 20;  // a whole serialized JWE/JWS
  std::size_t max_header = 4096;                    // each header, decoded
  std::size_t max_recipients = 16;                  // JWE recipients / JWS signatures
  std::size_t max_depth = 8;                        // JSON nesting inside a header
};

// A JOSE header as received: a JSON object read strictly by m2msec's own
// reader (RFC 8259 grammar and UTF-8, no member name twice at any depth,
// bounded size and depth) into a flat list of members over one buffer. String
// members are read where they lie; nested values (epk, crit, oro) are handed
// to nlohmann-json on request (json.hpp). RFC 7515 §4, RFC 7516 §4.
// Thread safety: immutable once made; any number of threads may use one object.
class header {
 public:
  enum class kind : std::uint8_t { null, boolean, number, string, array, object };

  // Parses `text` (adopted) as one JSON object.
  [[nodiscard]] static result<header> parse(std::string text, const limits& lim) {
    if (text.size() > lim.max_header) return fail(errc::message_too_long);
    header h;
    h.buf_ = std::move(text);
    h.members_.reserve(8);
    const std::string_view in = h.buf_;
    std::string arena;  // unescaped names and strings, appended to buf_ at the end
    auto place = [&](std::string_view v) -> slot {
      const char* const first = in.data();
      if (std::less_equal<>{}(first, v.data()) && std::less_equal<>{}(v.data(), first + in.size()))
        return {static_cast<std::size_t>(v.data() - first), v.size()};
      const std::size_t mark = arena.size();
      arena += v;
      return {in.size() + mark, v.size()};
    };
    json_reader r(in);
    auto on_member = [&](std::string_view name) {
      entry e;
      e.name = place(name);
      const char c = r.peek();
      const std::size_t start = r.offset();
      if (c == '"') {
        std::string_view v;
        const std::size_t mark = arena.size();
        if (!r.string(v, arena)) return false;
        e.str = arena.size() != mark ? slot{in.size() + mark, v.size()} : place(v);
        e.type = kind::string;
      } else {
        if (!r.skip(1, lim.max_depth)) return false;
        e.type = c == '{' ? kind::object : c == '[' ? kind::array : c == 'n' ? kind::null
                 : c == 't' || c == 'f' ? kind::boolean : kind::number;
      }
      e.raw = {start, r.offset() - start};
      h.members_.push_back(e);
      return true;
    };
    if (r.peek() != '{' || !r.object(0, lim.max_depth, on_member) || !r.at_end()) return fail(errc::invalid_encoding);
    h.buf_ += arena;
    return h;
  }
  // RFC 7516 §7.2.1 / RFC 7515 §7.2.1: the union of headers that share no
  // member name (the JOSE header of one recipient or signature).
  [[nodiscard]] static result<header> join(std::initializer_list<const header*> parts) {
    header joint;
    for (const header* p : parts) {
      if (p == nullptr) continue;
      for (const entry& e : p->members_)
        if (joint.contains(p->view(e.name))) return fail(errc::invalid_encoding);
      const auto shift = static_cast<std::uint32_t>(joint.buf_.size());
      joint.buf_ += p->buf_;
      for (entry e : p->members_) {
        for (slot* s : {&e.name, &e.raw, &e.str}) s->at += shift;
        joint.members_.push_back(e);
      }
    }
    return joint;
  }

  [[nodiscard]] std::size_t size() const noexcept { return members_.size(); }
  [[nodiscard]] bool empty() const noexcept { return members_.empty(); }
  [[nodiscard]] bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  [[nodiscard]] std::optional<kind> type_of(std::string_view name) const noexcept {
    const entry* e = find(name);
    return e == nullptr ? std::nullopt : std::optional<kind>(e->type);
  }
  // A string member: nullopt when absent, invalid_encoding when not a string.
  [[nodiscard]] result<std::optional<std::string_view>> string(std::string_view name) const {
    const entry* e = find(name);
    if (e == nullptr) return std::optional<std::string_view>{};
    if (e->type != kind::string) return fail(errc::invalid_encoding);
    return std::optional<std::string_view>{view(e->str)};
  }
  // A member's JSON text as sent; nullopt when absent.
  [[nodiscard]] std::optional<std::string_view> raw(std::string_view name) const noexcept {
    const entry* e = find(name);
    return e == nullptr ? std::nullopt : std::optional<std::string_view>(view(e->raw));
  }
  // Calls f(name, raw JSON text) for each member, in the order sent.
  template <class F>
  void each(F&& f) const {
    for (const entry& e : members_) f(view(e.name), view(e.raw));
  }

 private:
  struct slot {
    std::uint32_t at = 0, size = 0;
    slot() = default;
    slot(std::size_t a, std::size_t n) : at(static_cast<std::uint32_t>(a)), size(static_cast<std::uint32_t>(n)) {}
  };
  struct entry {
    slot name, raw, str;
    kind type = kind::null;
  };
  [[nodiscard]] std::string_view view(slot s) const noexcept { return std::string_view(buf_).substr(s.at, s.size); }
  [[nodiscard]] const entry* find(std::string_view name) const noexcept {
    for (const entry& e : members_)
      if (same_name(view(e.name), name)) return &e;
    return nullptr;
  }
  std::string buf_;
  std::vector<entry> members_;
};

// A string member of a header: nullopt when absent, invalid_encoding when not a string.
[[nodiscard]] inline result<std::optional<std::string_view>> string_member(const header& h, std::string_view name) {
  return h.string(name);
}

}  // namespace m2msec::jose
