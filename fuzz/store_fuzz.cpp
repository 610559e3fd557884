// Fuzz target: the credential store's file format. The first byte chooses
// between a whole file (header, AEAD under the target's fixed storage key,
// records) and the plaintext records alone, so the fuzzer reaches the record
// parser without forging tags. Parsed records must write back and parse again.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <map>

#include "m2msec/credential/store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace m2msec;
  if (size == 0) return 0;
  static auto store = [] {
    m2msec::byte key[32];
    for (int i = 0; i < 32; ++i) key[i] = static_cast<m2msec::byte>(i);
    // A folder of its own (the store keeps a lock file there); the file is never written.
    const auto dir = std::filesystem::temp_directory_path() / ("m2msec-fuzz-store-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto s = credential_store::open(dir / "store.bin", *secret::copy_of(key), time_point{});
    if (!s) std::abort();
    return std::move(*s);
  }();
  const bytes_view in(data + 1, size - 1);
  auto parsed = data[0] & 1 ? store_format::parse_records(in) : store.decode(in);
  if (!parsed) {
    if (parsed.error() != errc::corrupted && parsed.error() != errc::out_of_memory) std::abort();
    return 0;
  }
  std::map<std::string, symmetric_credential> records;
  for (auto& c : *parsed) records.insert_or_assign(c.id().str(), std::move(c));
  byte_vector out(store_format::write_records(records, {}));
  (void)store_format::write_records(records, out);
  auto again = store_format::parse_records(out);
  if (!again || again->size() != records.size()) std::abort();
  return 0;
}
