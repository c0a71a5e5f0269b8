#include "backup/jsonl.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>

#include "nadb/errors.hpp"
#include "util/encoding.hpp"

namespace nadb::backup {
namespace {

using Json = nlohmann::json;

[[noreturn]] void bad(std::size_t line, const std::string& what) {
  throw InvalidArgument("line " + std::to_string(line) + ": " + what);
}

std::string decode64(std::string_view text, std::size_t line, const char* field) {
  auto bytes = util::base64_decode(text);
  if (!bytes) bad(line, std::string("field '") + field + "' is not valid base64");
  return *bytes;
}

std::int64_t number(const Json& object, const char* field, std::size_t line) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return 0;
  if (!it->is_number_integer()) bad(line, std::string("field '") + field + "' must be an integer");
  return it->get<std::int64_t>();
}

const std::string& text(const Json& object, const char* field, std::size_t line) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_string())
    bad(line, std::string("field '") + field + "' must be a string");
  return it->get_ref<const std::string&>();
}

// A field a line written by hand may leave out; when present it must be a string.
std::optional<std::string_view> optional_text(const Json& object, const char* field,
                                              std::size_t line) {
  if (!object.contains(field)) return std::nullopt;
  return text(object, field, line);
}

// The line's SHA-256: of its fields in a fixed order, NUL-separated (hashed piece by piece:
// a value can be a gigabyte).
template <typename Tags>
std::string line_checksum(std::string_view ns, std::string_view key64, std::string_view value64,
                          const Tags& tags64, std::int64_t expires, std::int64_t created,
                          std::int64_t updated) {
  const std::string_view nul("\0", 1);
  util::Sha256 sum;
  sum.update(ns).update(nul).update(key64).update(nul).update(value64).update(nul);
  for (const auto& tag : tags64)
    sum.update(tag).update(",");
  sum.update(nul).update(std::to_string(expires)).update(nul).update(std::to_string(created));
  sum.update(nul).update(std::to_string(updated));
  return sum.hex();
}

// The fields of an entry line, still base64.
struct RawEntry {
  std::string_view ns, key64, value64;
  std::optional<std::string_view> sum;  // absent only in lines written by hand
  std::vector<std::string> tags64;
  std::int64_t expires = 0, created = 0, updated = 0;
};

// Reads exactly the layout jsonl_entry writes, without building a JSON document (5x faster
// than a general parser); false for anything else, which then goes to the JSON parser.
class FastEntryParser {
 public:
  explicit FastEntryParser(std::string_view text) : text_(text) {}

  bool parse(RawEntry& e) {
    if (!literal("{\"ns\":\"") || !string(e.ns) || !literal(",\"key\":\"") || !string(e.key64) ||
        !literal(",\"value\":\"") || !string(e.value64) || !literal(",\"tags\":[")) {
      return false;
    }
    if (!literal("]")) {
      do {
        std::string_view tag;
        if (!literal("\"") || !string(tag)) return false;
        e.tags64.emplace_back(tag);
      } while (literal(","));
      if (!literal("]")) return false;
    }
    if (!literal(",\"expires_at\":")) return false;
    if (!literal("null") && !integer(e.expires)) return false;
    return literal(",\"created_at\":") && integer(e.created) && literal(",\"updated_at\":") &&
           integer(e.updated) && literal(",\"sha256\":\"") && string(e.sum.emplace()) &&
           literal("}") && pos_ == text_.size();
  }

 private:
  bool literal(std::string_view expected) {
    if (text_.substr(pos_, expected.size()) != expected) return false;
    pos_ += expected.size();
    return true;
  }
  // Up to the closing quote (consumed); an escape sends the line to the JSON parser.
  bool string(std::string_view& out) {
    std::size_t end = text_.find('"', pos_);
    if (end == std::string_view::npos) return false;
    out = text_.substr(pos_, end - pos_);
    if (out.find('\\') != std::string_view::npos) return false;
    pos_ = end + 1;
    return true;
  }
  bool integer(std::int64_t& out) {
    auto [end, error] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), out);
    if (error != std::errc()) return false;
    pos_ = static_cast<std::size_t>(end - text_.data());
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// The same fields through the JSON parser (any valid JSON layout). Only key and value are
// required, so that a line can be written by hand or by another tool: ns, tags, the instants
// and sha256 may be left out (the checksum is verified when present).
void parse_json_entry(const Json& object, std::size_t line, RawEntry& e) {
  e.ns = optional_text(object, "ns", line).value_or("");
  e.key64 = text(object, "key", line);
  e.value64 = text(object, "value", line);
  e.sum = optional_text(object, "sha256", line);
  if (auto tags = object.find("tags"); tags != object.end()) {
    if (!tags->is_array()) bad(line, "field 'tags' must be an array");
    for (const auto& tag : *tags) {
      if (!tag.is_string()) bad(line, "field 'tags' must hold base64 strings");
      e.tags64.push_back(tag.get<std::string>());
    }
  }
  e.expires = number(object, "expires_at", line);
  e.created = number(object, "created_at", line);
  e.updated = number(object, "updated_at", line);
}

}  // namespace

std::size_t max_entry_line(std::uint64_t max_value) {
  constexpr std::uint64_t kMaxKey = 64 << 10, kTagsAndFields = 16 << 20;
  return static_cast<std::size_t>(4 * ((kMaxKey + max_value + 2) / 3) + kTagsAndFields);
}

std::string jsonl_header(const std::string& source, const std::string& backend, std::size_t count,
                         std::int64_t now_ms) {
  return Json{{"format", "nadb-jsonl"}, {"version", kJsonlVersion}, {"source", source},
              {"backend", backend},     {"count", count},           {"exported_at", now_ms}}
      .dump();
}

// Written by hand: every string is base64 or a validated namespace name, nothing to escape.
std::string jsonl_entry(const std::string& ns, const JsonlEntry& e) {
  std::string key64 = util::base64_encode(e.key), value64 = util::base64_encode(e.value);
  std::vector<std::string> tags64;
  for (const auto& tag : e.tags)
    tags64.push_back(util::base64_encode(tag));
  std::string line =
      "{\"ns\":\"" + ns + "\",\"key\":\"" + key64 + "\",\"value\":\"" + value64 + "\",\"tags\":[";
  for (std::size_t i = 0; i < tags64.size(); ++i)
    line += (i ? ",\"" : "\"") + tags64[i] + "\"";
  line += "],\"expires_at\":" +
          (e.expires_ms == 0 ? std::string("null") : std::to_string(e.expires_ms)) +
          ",\"created_at\":" + std::to_string(e.created_ms) +
          ",\"updated_at\":" + std::to_string(e.updated_ms) + ",\"sha256\":\"" +
          line_checksum(ns, key64, value64, tags64, e.expires_ms, e.created_ms, e.updated_ms) +
          "\"}";
  return line;
}

std::string jsonl_end(std::size_t count) {
  return Json{{"end", true}, {"count", count}}.dump();
}

void check_jsonl_header(const std::string& line_text, std::size_t line) {
  Json header = Json::parse(line_text, nullptr, false);
  if (header.is_discarded() || !header.is_object()) bad(line, "the header is not a JSON object");
  // Typed checks only: value() would throw json's own type_error for a mistyped field.
  auto format = header.find("format");
  if (format == header.end() || !format->is_string() || *format != "nadb-jsonl")
    bad(line, "not a NADB JSONL export (format)");
  auto version = header.find("version");
  if (version == header.end() || !version->is_number_integer() ||
      version->get<std::int64_t>() != kJsonlVersion) {
    bad(line, "unsupported export version " +
                  (version == header.end() ? std::string("(none)") : version->dump()));
  }
}

JsonlLine parse_jsonl_line(const std::string& line_text, std::size_t line) {
  JsonlLine out;
  RawEntry raw;
  Json object;  // owns the strings raw points into when the JSON parser is used
  if (!FastEntryParser(line_text).parse(raw)) {
    raw = RawEntry{};
    object = Json::parse(line_text, nullptr, false);
    if (object.is_discarded() || !object.is_object()) bad(line, "not a JSON object");
    if (object.contains("end")) {
      out.kind = JsonlLine::Kind::End;
      out.end_count = static_cast<std::size_t>(number(object, "count", line));
      return out;
    }
    parse_json_entry(object, line, raw);
  }
  JsonlEntry& e = out.entry;
  e.expires_ms = raw.expires;
  e.created_ms = raw.created;
  e.updated_ms = raw.updated;
  if (raw.sum && line_checksum(raw.ns, raw.key64, raw.value64, raw.tags64, raw.expires, raw.created,
                               raw.updated) != *raw.sum) {
    bad(line, "checksum mismatch (the line was altered)");
  }
  e.key = decode64(raw.key64, line, "key");
  e.value = decode64(raw.value64, line, "value");
  for (const auto& tag : raw.tags64)
    e.tags.push_back(decode64(tag, line, "tags"));
  return out;
}

}  // namespace nadb::backup
