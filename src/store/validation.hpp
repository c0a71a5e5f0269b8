// Validation at the API edge (DESIGN.md section 5): every violation is an InvalidArgument
// that says what was wrong, thrown before anything changes.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "nadb/options.hpp"

namespace nadb::store {

inline constexpr std::size_t kMaxKeySize = 64 * 1024;
inline constexpr std::size_t kMaxTagSize = 255;
inline constexpr std::size_t kMaxNameSize = 128;
inline constexpr std::size_t kMaxPageSize = 100000;

// db and namespace names: 1-128 chars of [A-Za-z0-9._-], not "." or "..".
void validate_name(std::string_view what, std::string_view name);
void validate_key(std::string_view key);
void validate_value(std::string_view value, std::uint64_t max_size);
// Returns the tags as a set: sorted, duplicates removed.
std::vector<std::string> normalize_tags(const std::vector<std::string>& tags);
// A TTL must be positive (0 would mean "already expired") and at most 100 years.
void validate_ttl(std::chrono::seconds ttl);
// An absolute expiry instant from outside (an import, a backup being restored, a sync): 0
// (never) or an instant no later than the longest TTL reaches from now_ms (100 years, plus a
// day for clocks that differ). Anything else is InvalidArgument: no TTL could have made it,
// and a backend need not store it exactly.
void validate_expiry_instant(std::int64_t expires_ms, std::int64_t now_ms);
void validate_options(const Options& options);
// A page size (scan's limit, a query's page_size): 1-100000; InvalidArgument naming `name`.
void validate_limit(std::size_t limit, const char* name = "limit");

}  // namespace nadb::store
