// Rendering of one log line, JSON or text (docs/LOGGING.md). Pure functions: the sinks and
// levels are in logging.cpp.
#pragma once

#include <source_location>
#include <string>
#include <string_view>

#include "nadb/logging.hpp"

namespace nadb::obs {

// Appends text as the inside of a JSON string: quotes, backslashes and control characters
// escaped, valid UTF-8 kept, every byte of an invalid sequence as U+FFFD.
void append_json_string(std::string& out, std::string_view text);

// "trace", "debug", "info", "warning", "error", "off"; parse_level throws InvalidArgument.
const char* level_name(LogLevel level);
LogLevel parse_level(std::string_view name);

struct LineContext {
  LogLevel level;
  std::string_view component;
  std::string_view message;
  const LogFields& fields;
  std::source_location where;
};

// One whole line without its newline: a JSON object ({"ts", "level", "component", "msg",
// "thread", "src", then the fields}) or text ("<ts> <LEVEL> <component>: <msg> k=v ...
// (<src>)").
std::string render_line(const LineContext& line, LogFormat format);

}  // namespace nadb::obs
