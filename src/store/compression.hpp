// Value compression: a value is compressed when it is at least the threshold and the result
// is smaller; the codec is recorded in the record header, never in the value bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "nadb/backend.hpp"
#include "nadb/options.hpp"

namespace nadb::store {

struct EncodedValue {
  std::string bytes;  // empty and unused when codec is None (the caller keeps the original)
  ValueCodec codec = ValueCodec::None;
};

EncodedValue compress_value(std::string_view value, Compression compression, std::size_t threshold);
// Throws Corruption if stored does not decode to exactly raw_size bytes. Takes stored by
// value: an uncompressed value is returned as is, without a copy.
std::string decompress_value(std::string stored, ValueCodec codec, std::uint64_t raw_size);

}  // namespace nadb::store
