// m2msec: result<T>, a value or an errc (tl::expected; std::expected needs C++23).
#pragma once

#include <tl/expected.hpp>

#include "m2msec/core/errc.hpp"

namespace m2msec {

template <class T>
using result = tl::expected<T, errc>;

// `return fail(errc::auth_failed);` from any function returning result<T>.
[[nodiscard]] inline tl::unexpected<errc> fail(errc e) noexcept { return tl::unexpected<errc>(e); }

}  // namespace m2msec
