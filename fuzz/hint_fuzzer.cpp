// Hint files: the input is a hint body between a valid header and a valid checksum (a random
// body would never pass the checksum), beside a valid segment of two records; the db is then
// opened and read whole. Entries that lie about offsets must end in Corruption, not a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/hint.hpp"
#include "engine/record.hpp"
#include "engine/segment.hpp"
#include "fuzz_support.hpp"
#include "util/checksum.hpp"
#include "util/varint.hpp"

namespace {

std::string two_records() {
  std::string out = nadb::engine::segment_header(1);
  nadb::engine::RecordFields put;
  put.seq = 1;
  put.ns = "ns";
  put.key = "key";
  put.tags = {"tag"};
  put.value = "value";
  nadb::engine::encode_record(out, put);
  put.seq = 2;
  put.key = "other";
  nadb::engine::encode_record(out, put);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& folder = nadb::fuzz::empty_folder();
  nadb::fuzz::write_file(nadb::util::join_path(folder, nadb::engine::segment_file_name(1)),
                         two_records());
  std::string hint("NADBHNT\0", 8);
  nadb::util::put_fixed<std::uint32_t>(hint, nadb::engine::kHintFormatVersion);
  nadb::util::put_fixed<std::uint32_t>(hint, 1);
  hint.append(reinterpret_cast<const char*>(data), size);
  nadb::util::put_fixed<std::uint64_t>(hint, nadb::util::checksum(hint));
  nadb::fuzz::write_file(nadb::util::join_path(folder, nadb::engine::hint_file_name(1)), hint);
  nadb::fuzz::open_and_read_everything(folder);
  return 0;
}
