// m2msec: what the library asks of the compiler. Every header includes this
// (through core/), so a consumer on an older standard gets one clear message.
#pragma once

#if !defined(__cplusplus) || __cplusplus < 202002L
#error "m2msec needs C++20: compile with -std=c++20 (g++ 12, clang 14 or newer)"
#endif
