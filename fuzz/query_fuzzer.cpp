// The query language parser: any text parses or throws InvalidArgument, and what parses has a
// canonical text that parses to the same canonical text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "nadb/errors.hpp"
#include "nadb/query.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string canonical;
  try {
    canonical = nadb::Query::parse(text).to_string();
  } catch (const nadb::InvalidArgument&) {
    return 0;
  }
  if (nadb::Query::parse(canonical).to_string() != canonical) std::abort();
  return 0;
}
