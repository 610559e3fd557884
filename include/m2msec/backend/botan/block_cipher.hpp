// m2msec: AES on Botan 2 and the counter-mode loop the GCM and CCM adapters share.
#pragma once

#include <botan/block_cipher.h>
#include <botan/mem_ops.h>

#include <algorithm>
#include <memory>

#include "m2msec/backend/botan/common.hpp"
#include "m2msec/core/ct.hpp"
#include "m2msec/core/endian.hpp"

namespace m2msec::backend::botan_detail {

inline constexpr std::size_t block_size = 16;

[[nodiscard]] inline std::unique_ptr<Botan::BlockCipher> make_aes(bytes_view key) {
  auto c = Botan::BlockCipher::create_or_throw("AES-" + std::to_string(key.size() * 8));
  c->set_key(key.data(), key.size());
  return c;
}


// out = in XOR AES(counter blocks), where `counter(block, i)` writes block i of
// the key stream's input. Keystream is made in batches so AES-NI runs blocks
// in parallel; nothing is allocated.
template <class Counter>
void ctr_xor(const Botan::BlockCipher& aes, byte* out, const byte* in, std::size_t n, std::uint64_t first,
             Counter counter) noexcept {
  constexpr std::size_t batch = 16;
  alignas(16) byte ks[batch * block_size];
  std::uint64_t i = first;
  while (n > 0) {
    const std::size_t blocks = std::min(batch, (n + block_size - 1) / block_size);
    for (std::size_t b = 0; b < blocks; ++b) counter(ks + b * block_size, i++);
    aes.encrypt_n(ks, ks, blocks);
    const std::size_t take = std::min(n, blocks * block_size);
    Botan::xor_buf(out, in, ks, take);
    out += take;
    in += take;
    n -= take;
  }
  ct::wipe(ks, sizeof ks);
}

}  // namespace m2msec::backend::botan_detail
