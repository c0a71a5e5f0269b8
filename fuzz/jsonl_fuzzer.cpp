// JSONL import: every line is a header, an entry or the end line, or InvalidArgument.
#include <cstddef>
#include <cstdint>
#include <string>

#include "backup/jsonl.hpp"
#include "nadb/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string line(reinterpret_cast<const char*>(data), size);
  try {
    nadb::backup::check_jsonl_header(line, 1);
  } catch (const nadb::InvalidArgument&) {
  }
  try {
    nadb::backup::parse_jsonl_line(line, 2);
  } catch (const nadb::InvalidArgument&) {
  }
  return 0;
}
