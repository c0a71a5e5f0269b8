// How a key's metadata is packed in its Redis string (lua/common.lua's HEADER, then the tags):
// version, created, updated, expires, raw size, stored size (8 bytes each, big-endian), the
// codec (1 byte), then each tag as a 4-byte big-endian length and its bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nadb/backend.hpp"

namespace nadb::backends::redis {

// A Put's metadata from the updated field on (the script prepends version and created, which
// only the server knows).
std::string metadata_tail(const WriteOp& op, std::int64_t now_ms);
std::string pack_tags(const std::vector<std::string>& tags);
// The metadata in packed (tags only when with_tags); Corruption when it is malformed.
RecordMeta unpack_metadata(std::string_view packed, bool with_tags);

}  // namespace nadb::backends::redis
