// m2msec: random bytes that will be sent in the clear (JWE IVs), drawn from a
// per-thread buffer of the kernel's randomness so that a 12-byte IV costs a
// copy rather than a getrandom call. Each byte is handed out once and wiped
// from the buffer as it goes. The buffer's page is wiped in a forked child
// (MADV_WIPEONFORK), whose first draw then refills it, so parent and child
// never hand out the same bytes; where the kernel cannot promise that, every
// draw goes to the kernel. Keys and other secrets use `rng<>::fill` directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "m2msec/core/ct.hpp"
#include "m2msec/backend/random.hpp"

namespace m2msec::crypto {

namespace random_detail {

class public_pool {
 public:
  static constexpr std::size_t page = 4096;

  public_pool() noexcept {
#if defined(__linux__) && defined(MADV_WIPEONFORK)
    void* p = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    if (::madvise(p, page, MADV_WIPEONFORK) != 0) {
      ::munmap(p, page);
      return;
    }
    block_ = static_cast<block*>(p);
#endif
  }
  ~public_pool() {
#if defined(__linux__) && defined(MADV_WIPEONFORK)
    if (block_ != nullptr) {
      ct::wipe(mutable_bytes(reinterpret_cast<byte*>(block_), page));
      ::munmap(block_, page);
    }
#endif
  }
  public_pool(const public_pool&) = delete;
  public_pool& operator=(const public_pool&) = delete;

  // Draws of up to a quarter of the buffer come from it; larger ones, and all
  // of them without a fork-safe buffer, from the kernel.
  [[nodiscard]] result<void> fill(mutable_bytes out) noexcept {
    if (out.empty()) return {};
    if (block_ == nullptr || out.size() > sizeof block_->bytes / 4) return rng<>::fill(out);
    // `left` is zero in a fresh page and in a child's wiped one.
    if (block_->left < out.size()) {
      if (auto r = rng<>::fill(block_->bytes); !r) return r;
      block_->left = sizeof block_->bytes;
    }
    block_->left -= out.size();
    byte* from = block_->bytes + block_->left;
    std::memcpy(out.data(), from, out.size());
    ct::wipe(mutable_bytes(from, out.size()));
    return {};
  }

 private:
  struct block {
    std::size_t left;
    byte bytes[page - sizeof(std::size_t)];
  };
  static_assert(sizeof(block) == page);
  block* block_ = nullptr;
};

}  // namespace random_detail

// Thread safety: no state; use it from any thread.
struct public_random {
  [[nodiscard]] static result<void> fill(mutable_bytes out) noexcept {
    thread_local random_detail::public_pool pool;
    return pool.fill(out);
  }
};
static_assert(random_policy<public_random>);

}  // namespace m2msec::crypto
