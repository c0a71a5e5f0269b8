// Value compression: a value is compressed when it is at least the threshold and the result
// is smaller; the codec is recorded in the record header, never in the value bytes. A zstd
// frame made with a dictionary names it in its own header (store/dictionaries.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <zstd.h>

#include "nadb/backend.hpp"
#include "nadb/options.hpp"

namespace nadb::store {

struct EncodedValue {
  std::string bytes;  // empty and unused when codec is None (the caller keeps the original)
  ValueCodec codec = ValueCodec::None;
};

EncodedValue compress_value(std::string_view value, Compression compression, std::size_t threshold);
// value as one zstd frame made with dictionary (which the frame names by its id), checksummed
// like every frame; empty when the frame would not be smaller than value.
std::string compress_with_dictionary(std::string_view value, const ZSTD_CDict* dictionary);
// The id of the dictionary a stored zstd frame was made with: 0 when it needs none (every
// frame of compress_value), also for bytes that are not a zstd frame.
std::uint32_t dictionary_id_of(std::string_view frame);
// Corruption if frame does not decode with dictionary to exactly raw_size bytes.
std::string decompress_with_dictionary(std::string_view frame, const ZSTD_DDict* dictionary,
                                       std::uint64_t raw_size);
// Throws Corruption if stored does not decode to exactly raw_size bytes. Takes stored by
// value: an uncompressed value is returned as is, without a copy.
std::string decompress_value(std::string stored, ValueCodec codec, std::uint64_t raw_size);

}  // namespace nadb::store
