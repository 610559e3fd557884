// m2msec: the credential store. Provisioned credentials are kept with their
// lifetime (TS-0001 §11.2.1) in one file, encrypted and authenticated with a
// storage key the caller gives, replaced atomically on every change.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "m2msec/backend/random.hpp"
#include "m2msec/credential/store_format.hpp"

namespace m2msec {

// The system calls of a write, so tests can fail or kill each one. Every path
// is relative to the store's folder, opened once.
// Thread safety: no state; use it from any thread.
struct posix_io {
  int openat(int dir, const char* name, int flags, mode_t mode) noexcept { return ::openat(dir, name, flags, mode); }
  ssize_t write(int fd, const void* p, std::size_t n) noexcept { return ::write(fd, p, n); }
  int fsync(int fd) noexcept { return ::fsync(fd); }
  int close(int fd) noexcept { return ::close(fd); }
  int renameat(int dir, const char* from, const char* to) noexcept { return ::renameat(dir, from, dir, to); }
};

// A credential store backed by one file. Every change is written to a fresh
// temporary file (a unique name, created exclusively, mode 0600, no link
// followed), synced, renamed over the old file, and the folder synced; a crash
// at any point leaves either the old file or the new one. Processes share the
// store through a lock file beside it (`<file>.lock`): each change reloads the
// file, applies itself and writes under the lock, so no change is lost; a
// change that returns an error changed nothing on disk, unless the error came
// after the rename (the folder could not be synced), when memory and file both
// hold the new state. One object is not thread-safe.
// Thread safety: one thread at a time per object; distinct objects are independent.
template <class Io = posix_io>
class basic_credential_store {
 public:
  // Opens the store in `file` (an absent file is an empty store; its folder
  // must exist). A file that does not parse or fails authentication is
  // errc::corrupted and is left as it is; a symbolic link or another kind of
  // file is errc::io_error. Credentials expired at `now` are dropped from
  // memory (and from the file at the next write).
  [[nodiscard]] static result<basic_credential_store> open(std::filesystem::path file, secret storage_key,
                                                           time_point now, Io io = {}) {
    if (storage_key.size() != store_format::aead::key_size) return fail(errc::invalid_key_size, "credential store", "the storage key is not 32 bytes");
    auto aead = store_format::aead::create(storage_key.expose());
    if (!aead) return fail(aead.error());
    if (!file.has_filename()) return fail(errc::invalid_argument);
    const auto folder = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    basic_credential_store s(file.filename().string(), std::move(*aead), std::move(io), now);
    s.dir_ = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s.dir_ < 0) return fail(errc::io_error, "credential store", "cannot open its folder");
    const std::string lock = s.name_ + ".lock";
    s.lock_ = ::openat(s.dir_, lock.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (s.lock_ < 0) return fail(errc::io_error, "credential store", "cannot open its lock file (a link, or no permission)");
    auto held = s.hold(LOCK_SH);
    if (!held) return fail(held.error());
    auto dropped = s.reload();
    if (!dropped) return fail(dropped.error());
    s.purged_ = *dropped;
    return s;
  }

  basic_credential_store(basic_credential_store&& o) noexcept
      : name_(std::move(o.name_)), aead_(std::move(o.aead_)), io_(std::move(o.io_)),
        records_(std::move(o.records_)), horizon_(o.horizon_), purged_(o.purged_),
        dir_(std::exchange(o.dir_, -1)), lock_(std::exchange(o.lock_, -1)) {}
  basic_credential_store& operator=(basic_credential_store&&) = delete;
  ~basic_credential_store() {
    if (lock_ >= 0) ::close(lock_);
    if (dir_ >= 0) ::close(dir_);
  }

  [[nodiscard]] const symmetric_credential* find(const credential_id& id) const noexcept {
    auto it = records_.find(id.str());
    return it == records_.end() ? nullptr : &it->second;
  }
  [[nodiscard]] std::size_t size() const noexcept { return records_.size(); }
  [[nodiscard]] std::size_t purged_on_open() const noexcept { return purged_; }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [k, c] : records_) f(c);
  }

  // Adds or replaces a credential and writes the file (errc::message_too_long
  // past the format's limits: 65,535 credentials, 65,535-byte fields, 16 MiB).
  [[nodiscard]] result<void> put(symmetric_credential c) {
    return change([&](records& r) -> result<bool> {
      r.insert_or_assign(c.id().str(), std::move(c));
      return true;
    });
  }
  // Removes a credential (errc::not_found if absent) with the same guarantee.
  [[nodiscard]] result<void> erase(const credential_id& id) {
    return change([&](records& r) -> result<bool> {
      if (r.erase(id.str()) == 0) return fail(errc::not_found);
      return true;
    });
  }
  // Drops credentials expired at `now` and writes the file if any went.
  [[nodiscard]] result<std::size_t> purge(time_point now) {
    std::size_t gone = 0;
    auto r = change([&](records& r) -> result<bool> {
      gone = std::erase_if(r, [&](const auto& kv) { return kv.second.lifetime().not_after() < now; });
      return gone != 0;
    });
    if (!r) return fail(r.error());
    horizon_ = std::max(horizon_, now);
    return gone;
  }

  [[nodiscard]] Io& io() noexcept { return io_; }

  // The file's bytes to credentials (exposed for the fuzzer).
  [[nodiscard]] result<std::vector<symmetric_credential>> decode(bytes_view bytes) {
    namespace fmt = store_format;
    if (bytes.size() < fmt::header_size + fmt::aead::tag_size) return fail(errc::corrupted, "credential store", "the file is shorter than a header");
    if (!ct::equal(bytes.first(sizeof fmt::magic), fmt::magic) ||
        (bytes[8] != fmt::version && bytes[8] != fmt::version_unbound) || bytes[9] != fmt::aead_xchacha20_poly1305)
      return fail(errc::corrupted, "credential store", "not a credential store file of a version this reads");
    const bytes_view header = bytes.first(fmt::header_size);
    const bytes_view nonce = header.subspan(10);
    const bytes_view sealed = bytes.subspan(fmt::header_size);
    auto plain = secret::allocate(sealed.size() - fmt::aead::tag_size);
    if (!plain) return fail(plain.error());
    const byte_vector ad = bytes[8] == fmt::version ? associated_data(header) : byte_vector(header.begin(), header.end());
    if (auto r = aead_.open(plain->expose(), nonce, ad, sealed); !r)
      return fail(errc::corrupted, "credential store", "the file does not authenticate: another storage key, another file's name, or changed");
    return fmt::parse_records(plain->expose());
  }

 private:
  using records = std::map<std::string, symmetric_credential>;

  basic_credential_store(std::string name, store_format::aead a, Io io, time_point now)
      : name_(std::move(name)), aead_(std::move(a)), io_(std::move(io)), horizon_(now) {}

  // The header, then the file's name: the file belongs to this store.
  [[nodiscard]] byte_vector associated_data(bytes_view header) const {
    byte_vector ad(header.size() + name_.size());
    std::copy(header.begin(), header.end(), ad.begin());
    std::transform(name_.begin(), name_.end(), ad.begin() + static_cast<std::ptrdiff_t>(header.size()),
                   [](char c) { return static_cast<byte>(c); });
    return ad;
  }

  // flock() on the lock file, released when the guard goes.
  struct held_lock {
    int fd = -1;
    held_lock(const held_lock&) = delete;
    held_lock& operator=(const held_lock&) = delete;
    held_lock(held_lock&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
    explicit held_lock(int f) noexcept : fd(f) {}
    ~held_lock() {
      if (fd >= 0) ::flock(fd, LOCK_UN);
    }
  };
  [[nodiscard]] result<held_lock> hold(int how) const noexcept {
    while (::flock(lock_, how) != 0)
      if (errno != EINTR) return fail(errc::io_error, "credential store", "cannot lock");
    return held_lock(lock_);
  }

  // The file as it is now, into memory: what an earlier call or another
  // process wrote. Credentials expired before the horizon stay out (counted).
  result<std::size_t> reload() {
    auto loaded = load();
    if (!loaded) return fail(loaded.error());
    records fresh;
    std::size_t dropped = 0;
    for (auto& c : *loaded) {
      if (c.lifetime().not_after() < horizon_) {
        ++dropped;
        continue;
      }
      auto key = c.id().str();
      fresh.insert_or_assign(std::move(key), std::move(c));
    }
    records_ = std::move(fresh);
    return dropped;
  }

  // Under the lock: reload, apply `f` (which says whether there is anything to
  // write), write. When `f` or the write fails before the rename, memory goes
  // back to the file, which did not change.
  template <class F>
  result<void> change(F&& f) {
    auto held = hold(LOCK_EX);
    if (!held) return fail(held.error());
    if (auto r = reload(); !r) return fail(r.error());
    auto write = f(records_);
    if (!write) {
      (void)reload();
      return fail(write.error());
    }
    if (!*write) return {};
    auto r = save();
    if (!r && !replaced_) (void)reload();
    return r;
  }

  result<std::vector<symmetric_credential>> load() {
    namespace fmt = store_format;
    const int fd = ::openat(dir_, name_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return std::vector<symmetric_credential>{};
      return fail(errc::io_error, "credential store", "cannot open the file (a link, or no permission)");
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return fail(errc::io_error, "credential store", "the file is not a regular file");
    }
    byte_vector bytes;
    byte buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
      if (bytes.size() + static_cast<std::size_t>(n) > fmt::max_file_size) {
        ::close(fd);
        return fail(errc::corrupted, "credential store", "the file is larger than a store can be");
      }
      bytes.insert(bytes.end(), buf, buf + n);
    }
    ::close(fd);
    if (n < 0) return fail(errc::io_error, "credential store", "cannot read the file");
    return decode(bytes);
  }

  result<void> save() {
    namespace fmt = store_format;
    replaced_ = false;
    const auto plain_size = fmt::checked_size(records_);
    if (!plain_size) return fail(plain_size.error());
    auto plain = secret::allocate(*plain_size);
    if (!plain) return fail(plain.error());
    (void)fmt::write_records(records_, plain->expose());
    byte_vector out(fmt::header_size + fmt::aead::sealed_size(*plain_size));
    std::memcpy(out.data(), fmt::magic, sizeof fmt::magic);
    out[8] = fmt::version;
    out[9] = fmt::aead_xchacha20_poly1305;
    const mutable_bytes nonce = mutable_bytes(out).subspan(10, fmt::aead::nonce_size);
    if (auto r = crypto::rng<>::fill(nonce); !r) return r;
    const byte_vector ad = associated_data(bytes_view(out).first(fmt::header_size));
    if (auto r = aead_.seal(mutable_bytes(out).subspan(fmt::header_size), nonce, ad, plain->expose()); !r)
      return fail(r.error());
    return replace_file(out);
  }

  // A fresh temporary, write, fsync, close, rename over the file, fsync the folder.
  result<void> replace_file(bytes_view data) {
    byte suffix[8];
    if (auto r = crypto::rng<>::fill(suffix); !r) return r;
    const std::string tmp = name_ + ".tmp-" + hex_encode(suffix);
    const int fd = io_.openat(dir_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail(errc::io_error, "credential store", "cannot create a temporary file beside it");
    bool ok = true;
    for (std::size_t done = 0; ok && done < data.size();) {
      const ssize_t n = io_.write(fd, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ok = false;
      else done += static_cast<std::size_t>(n);
    }
    ok = ok && io_.fsync(fd) == 0;
    ok = io_.close(fd) == 0 && ok;
    if (!ok || io_.renameat(dir_, tmp.c_str(), name_.c_str()) != 0) {
      (void)::unlinkat(dir_, tmp.c_str(), 0);
      return fail(errc::io_error, "credential store", "cannot write the new file; the old one stands");
    }
    replaced_ = true;  // the new state is in place from here on
    if (io_.fsync(dir_) != 0) return fail(errc::io_error, "credential store", "replaced, but its folder did not sync");
    return {};
  }

  std::string name_;  // the file's name in its folder
  store_format::aead aead_;
  Io io_;
  records records_;
  time_point horizon_;  // credentials expired before it are dropped
  std::size_t purged_ = 0;
  int dir_ = -1;   // the folder, opened once: every name is relative to it
  int lock_ = -1;  // <file>.lock, flock()ed around every read and change
  bool replaced_ = false;
};

using credential_store = basic_credential_store<>;

}  // namespace m2msec
