// The JSONL export format (docs/FORMAT.md, "JSONL export"): a header line, one line per key
// with binary fields in base64 and a SHA-256 of the line's other fields, and an end line
// with the exact count.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nadb::backup {

inline constexpr int kJsonlVersion = 1;

struct JsonlEntry {
  std::string key;
  std::string value;  // raw (uncompressed) value
  std::vector<std::string> tags;
  std::int64_t expires_ms = 0;  // 0: none
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

// The longest line an entry with a value of at most max_value bytes can take: key and value
// in base64, and room for tags and fields. Longer lines are refused before they are held.
std::size_t max_entry_line(std::uint64_t max_value);

std::string jsonl_header(const std::string& source, const std::string& backend, std::size_t count,
                         std::int64_t now_ms);
std::string jsonl_entry(const std::string& ns, const JsonlEntry& entry);
std::string jsonl_end(std::size_t count);

// What one line of an export holds.
struct JsonlLine {
  enum class Kind { Entry, End } kind = Kind::Entry;
  JsonlEntry entry;
  std::size_t end_count = 0;
};
// Throws InvalidArgument("line N: ...") when the header is not a NADB export of a known version.
void check_jsonl_header(const std::string& line, std::size_t line_number);
// Throws InvalidArgument("line N: ...") for bad JSON, a missing field, bad base64 or a
// checksum mismatch.
JsonlLine parse_jsonl_line(const std::string& line, std::size_t line_number);

}  // namespace nadb::backup
