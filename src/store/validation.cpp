#include "store/validation.hpp"

#include <algorithm>

#include "nadb/errors.hpp"
#include "store/layout.hpp"

namespace nadb::store {

void validate_name(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > kMaxNameSize) {
    throw InvalidArgument(std::string(what) + " name must be 1-128 characters, got " +
                          std::to_string(name.size()));
  }
  if (name == "." || name == "..") {
    throw InvalidArgument(std::string(what) + " name must not be '.' or '..'");
  }
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      throw InvalidArgument(std::string(what) + " name '" + std::string(name) +
                            "' may only contain A-Z a-z 0-9 . _ -");
    }
  }
}

void validate_key(std::string_view key) {
  if (key.empty()) throw InvalidArgument("key must not be empty");
  if (key.size() > kMaxKeySize) {
    throw InvalidArgument("key is " + std::to_string(key.size()) + " bytes; the limit is 65536");
  }
}

void validate_value(std::string_view value, std::uint64_t max_size) {
  if (value.size() > max_size) {
    throw InvalidArgument("value is " + std::to_string(value.size()) +
                          " bytes; this backend's limit is " + std::to_string(max_size));
  }
}

std::vector<std::string> normalize_tags(const std::vector<std::string>& tags) {
  for (const auto& tag : tags) {
    if (tag.empty() || tag.size() > kMaxTagSize) {
      throw InvalidArgument("tag must be 1-255 bytes, got " + std::to_string(tag.size()));
    }
    if (tag.find('\0') != std::string::npos)
      throw InvalidArgument("tag must not contain a NUL byte");
  }
  std::vector<std::string> set = tags;
  std::sort(set.begin(), set.end());
  set.erase(std::unique(set.begin(), set.end()), set.end());
  return set;
}

namespace {
constexpr std::chrono::hours kMaxTtl(24 * 365 * 100);
}  // namespace

void validate_ttl(std::chrono::seconds ttl) {
  if (ttl.count() <= 0) {
    throw InvalidArgument("ttl must be positive, got " + std::to_string(ttl.count()) + " s");
  }
  if (ttl > kMaxTtl) throw InvalidArgument("ttl must be at most 100 years");
}

void validate_expiry_instant(std::int64_t expires_ms, std::int64_t now_ms) {
  using std::chrono::milliseconds;
  std::int64_t latest =
      now_ms + std::chrono::duration_cast<milliseconds>(kMaxTtl + std::chrono::hours(24)).count();
  if (expires_ms < 0 || expires_ms > latest) {
    throw InvalidArgument("expires_at " + std::to_string(expires_ms) +
                          " ms is not an instant a TTL can reach (0 for none, at most 100 years "
                          "from now)");
  }
}

void validate_options(const Options& o) {
  validate_name("db", o.db);
  check_not_reserved(o.db);
  check_backup_dir(o);
  validate_name("namespace", o.ns);
  if (o.data_folder.empty()) throw InvalidArgument("data_folder must not be empty");
  if (!(o.buffer_size_mb > 0) || o.buffer_size_mb > 1024) {
    throw InvalidArgument("buffer_size_mb must be in (0, 1024]");
  }
  if (o.flush_interval.count() <= 0) throw InvalidArgument("flush_interval must be positive");
  // zstd trains a 16 KiB dictionary from no less than four times as many bytes of samples.
  if (o.compression == Compression::Zstd && o.dictionary_value_limit != 0 &&
      (o.dictionary_training_bytes < (64 << 10) || o.dictionary_training_bytes > (64 << 20))) {
    throw InvalidArgument("dictionary_training_bytes must be 64 KiB to 64 MiB, got " +
                          std::to_string(o.dictionary_training_bytes));
  }
  if (o.transaction_timeout.count() <= 0)
    throw InvalidArgument("transaction_timeout must be positive");
}

void validate_limit(std::size_t limit, const char* name) {
  if (limit < 1 || limit > kMaxPageSize) {
    throw InvalidArgument(std::string(name) + " must be 1-100000, got " + std::to_string(limit));
  }
}

}  // namespace nadb::store
