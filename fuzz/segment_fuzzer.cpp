// Recovery from arbitrary segment bytes: the input follows a valid segment header (so that
// the fuzzer spends its time on records), then the db is opened and read whole.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/segment.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& folder = nadb::fuzz::empty_folder();
  std::string bytes = nadb::engine::segment_header(1);
  bytes.append(reinterpret_cast<const char*>(data), size);
  nadb::fuzz::write_file(nadb::util::join_path(folder, nadb::engine::segment_file_name(1)), bytes);
  nadb::fuzz::open_and_read_everything(folder);
  return 0;
}
