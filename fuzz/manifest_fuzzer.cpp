// Backup manifests and the backup index: parsed or Corruption, never anything else. The
// input is tried as it is and, when it is a JSON object, sealed with a valid checksum (else
// only the checksum check would ever run).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "backup/manifest.hpp"
#include "nadb/errors.hpp"
#include "util/encoding.hpp"

namespace {

void parse_both(const std::string& text) {
  try {
    nadb::backup::Manifest manifest = nadb::backup::manifest_from_json(text, "fuzz manifest");
    nadb::backup::manifest_from_json(nadb::backup::manifest_to_json(manifest), "round trip");
  } catch (const nadb::Corruption&) {
  }
  try {
    nadb::backup::index_from_json(text, "fuzz index");
  } catch (const nadb::Corruption&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  parse_both(text);
  nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (!document.is_discarded() && document.is_object()) {
    document.erase("checksum");
    document["checksum"] = nadb::util::sha256_hex(document.dump());
    parse_both(document.dump());
  }
  return 0;
}
