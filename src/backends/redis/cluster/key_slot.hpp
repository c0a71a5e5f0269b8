// The Redis Cluster hash slot of a key, as the Redis Cluster specification defines it: CRC16
// (the XMODEM variant) of the key's hash tag — the bytes between its first '{' and the next
// '}', when there are any — or else of the whole key, modulo 16384. NADB's keys carry the tag
// `{<db>:<ns>}` so that a namespace lives in one slot.
#pragma once

#include <cstdint>
#include <string_view>

namespace nadb::backends::redis::cluster {

inline constexpr std::uint16_t kSlotCount = 16384;

// CRC16/XMODEM (polynomial 0x1021, initial value 0, no reflection) of bytes.
std::uint16_t crc16(std::string_view bytes);

// The part of key that decides its slot: the hash tag if key has a non-empty one, else key.
std::string_view hashed_part(std::string_view key);

// The slot of key, in [0, kSlotCount).
inline std::uint16_t key_slot(std::string_view key) {
  return static_cast<std::uint16_t>(crc16(hashed_part(key)) % kSlotCount);
}

}  // namespace nadb::backends::redis::cluster
