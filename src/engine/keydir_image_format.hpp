// The keydir image file's constants, shared by its writer (keydir_image_writer.cpp) and its
// reader (keydir_image.cpp). docs/FORMAT.md "KEYDIR".
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/key_table.hpp"
#include "engine/verified_blocks.hpp"

namespace nadb::engine::image_format {

inline constexpr char kMagic[8] = {'N', 'A', 'D', 'B', 'K', 'D', 'I', 'R'};
// The header: magic, format version, layout, where the metadata lies, and their checksum. The
// body (the arrays) starts at kBodyOffset; the metadata follows it.
inline constexpr std::size_t kHeaderSize = 40;
inline constexpr std::uint64_t kBodyOffset = 4096;
inline constexpr std::uint64_t kBlockBytes = VerifiedBlocks::kBlockBytes;
inline constexpr std::uint64_t kAlign = 64;
inline constexpr std::uint64_t kEndBytes = 4096;

// The image holds this build's structures as they are in memory: another layout is ignored.
inline constexpr std::uint32_t kLayout = static_cast<std::uint32_t>(
    sizeof(KeyEntry) | sizeof(KeyTable::Slot) << 8 | sizeof(KeyBytes) << 16 | 1u << 24);

inline std::uint64_t align_up(std::uint64_t n) {
  return (n + kAlign - 1) / kAlign * kAlign;
}

}  // namespace nadb::engine::image_format
