// Minimal internal logging until structured logging lands: warnings and errors as one text
// line on stderr (the documented default), nothing else.
#pragma once

#include <string_view>

namespace nadb::obs {

enum class Level { Warning, Error };

// Thread-safe; never throws.
void log(Level level, std::string_view component, std::string_view message) noexcept;

}  // namespace nadb::obs
