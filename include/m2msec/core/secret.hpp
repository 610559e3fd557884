// m2msec: secret bytes. Move-only, locked in memory where the OS allows,
// wiped before release, readable only through expose().
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <concepts>
#include <cstring>
#include <utility>

#include "m2msec/core/bytes.hpp"
#include "m2msec/core/ct.hpp"
#include "m2msec/core/result.hpp"

namespace m2msec {

// Where the bytes of a secret live. allocate() returns zeroed memory or null;
// basic_secret wipes the bytes before it calls deallocate().
template <class S>
concept secret_storage = requires(void* p, std::size_t n, bool& locked) {
  { S::allocate(n, locked) } -> std::same_as<void*>;
  { S::deallocate(p, n) } noexcept;
};

// Pages of their own, mlock()ed (so they are not swapped) and excluded from
// core dumps. If the lock is refused (RLIMIT_MEMLOCK) the secret still works
// and locked() says false. Each secret owns whole pages, so unlocking one
// never unlocks another.
// Thread safety: no state; use it from any thread.
struct locked_pages {
  static std::size_t rounded(std::size_t n) noexcept {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return (n + page - 1) / page * page;
  }
  static void* allocate(std::size_t n, bool& locked) noexcept {
    void* p = ::mmap(nullptr, rounded(n), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    locked = ::mlock(p, rounded(n)) == 0;
#ifdef MADV_DONTDUMP
    (void)::madvise(p, rounded(n), MADV_DONTDUMP);
#endif
    return p;  // anonymous pages are zero-filled
  }
  static void deallocate(void* p, std::size_t n) noexcept {
    (void)::munlock(p, rounded(n));
    (void)::munmap(p, rounded(n));
  }
};
static_assert(secret_storage<locked_pages>);

// Thread safety: one thread at a time per object; distinct objects are independent.
template <secret_storage Storage>
class basic_secret {
 public:
  basic_secret() noexcept = default;
  basic_secret(const basic_secret&) = delete;
  basic_secret& operator=(const basic_secret&) = delete;
  basic_secret(basic_secret&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)),
        locked_(std::exchange(o.locked_, false)) {}
  basic_secret& operator=(basic_secret&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      locked_ = std::exchange(o.locked_, false);
    }
    return *this;
  }
  ~basic_secret() { release(); }

  // n zero bytes.
  [[nodiscard]] static result<basic_secret> allocate(std::size_t n) noexcept {
    basic_secret s;
    if (n == 0) return s;
    s.data_ = static_cast<byte*>(Storage::allocate(n, s.locked_));
    if (s.data_ == nullptr) return fail(errc::out_of_memory);
    s.size_ = n;
    return s;
  }
  // A secret holding a copy of b. The caller wipes its own copy.
  [[nodiscard]] static result<basic_secret> copy_of(bytes_view b) noexcept {
    auto s = allocate(b.size());
    if (s && !b.empty()) std::memcpy(s->data_, b.data(), b.size());
    return s;
  }
  // An explicit copy; secrets are never copied implicitly.
  [[nodiscard]] result<basic_secret> clone() const noexcept { return copy_of(expose()); }

  // The only way to the bytes. Grep for expose( to find every use of a secret.
  [[nodiscard]] bytes_view expose() const noexcept { return {data_, size_}; }
  [[nodiscard]] mutable_bytes expose() noexcept { return {data_, size_}; }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  // True when the OS agreed to keep these bytes out of swap.
  [[nodiscard]] bool locked() const noexcept { return locked_; }

  // Constant-time comparison.
  [[nodiscard]] friend bool operator==(const basic_secret& a, const basic_secret& b) noexcept {
    return ct::equal(a.expose(), b.expose());
  }

 private:
  void release() noexcept {
    if (data_ == nullptr) return;
    ct::wipe(data_, size_);
    Storage::deallocate(data_, size_);
    data_ = nullptr;
    size_ = 0;
    locked_ = false;
  }

  byte* data_ = nullptr;
  std::size_t size_ = 0;
  bool locked_ = false;
};

using secret = basic_secret<locked_pages>;

// A file that holds keys (a configuration, a key file), read straight into a
// secret: no stream buffer keeps a copy. io_error when it cannot be read, not a
// regular file, or changes size while read; message_too_long past `max` bytes.
[[nodiscard]] inline result<secret> read_secret_file(const char* path, std::size_t max = std::size_t{16} << 20) noexcept {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errc::io_error);
  struct ::stat st {};
  result<secret> out = fail(errc::io_error);
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    const auto size = static_cast<std::size_t>(st.st_size);
    out = size > max ? fail(errc::message_too_long) : secret::allocate(size);
    std::size_t got = 0;
    while (out && got < size) {
      const auto n = ::read(fd, out->expose().data() + got, size - got);
      if (n <= 0) out = fail(errc::io_error);
      else got += static_cast<std::size_t>(n);
    }
    byte extra = 0;
    if (out && ::read(fd, &extra, 1) != 0) out = fail(errc::io_error);  // it grew
  }
  ::close(fd);
  return out;
}

}  // namespace m2msec
