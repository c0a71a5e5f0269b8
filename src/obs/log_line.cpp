#include "obs/log_line.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "nadb/errors.hpp"

namespace nadb::obs {
namespace {

// The length of the valid UTF-8 sequence at text[i], or 0.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  std::size_t n = c < 0x80           ? 1
                  : (c >> 5) == 0x6  ? 2
                  : (c >> 4) == 0xe  ? 3
                  : (c >> 3) == 0x1e ? 4
                                     : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  // Overlong forms and surrogates are invalid too.
  if (n == 2 && c < 0xc2) return 0;
  if (n == 3 && ((c == 0xe0 && byte(i + 1) < 0xa0) || (c == 0xed && byte(i + 1) >= 0xa0))) return 0;
  if (n == 4 &&
      ((c == 0xf0 && byte(i + 1) < 0x90) || c > 0xf4 || (c == 0xf4 && byte(i + 1) >= 0x90)))
    return 0;
  return n;
}

// ISO-8601 UTC with microseconds.
std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[80];  // room for any int the compiler can imagine in the fields
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(micros % 1'000'000));
  return out;
}

std::string source_of(const std::source_location& where) {
  std::string_view file = where.file_name();
  if (auto slash = file.rfind('/'); slash != std::string_view::npos) file.remove_prefix(slash + 1);
  return std::string(file) + ":" + std::to_string(where.line());
}

long thread_id() {
  thread_local long id = static_cast<long>(::syscall(SYS_gettid));
  return id;
}

void append_value(std::string& out, const LogField::Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) {
    out.push_back('"');
    append_json_string(out, *text);
    out.push_back('"');
  } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
    out += std::to_string(*number);
  } else if (const auto* real = std::get_if<double>(&value)) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", *real);
    out += buffer;
  } else {
    out += std::get<bool>(value) ? "true" : "false";
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static const char* hex = "0123456789abcdef";
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 15]);
      }
      ++i;
    } else if (std::size_t n = utf8_length(text, i); n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += "\\ufffd";
      ++i;
    }
  }
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Trace:
      return "trace";
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warning:
      return "warning";
    case LogLevel::Error:
      return "error";
    case LogLevel::Off:
      return "off";
  }
  return "off";
}

LogLevel parse_level(std::string_view name) {
  for (LogLevel level : {LogLevel::Trace, LogLevel::Debug, LogLevel::Info, LogLevel::Warning,
                         LogLevel::Error, LogLevel::Off}) {
    if (name == level_name(level)) return level;
  }
  if (name == "warn") return LogLevel::Warning;
  throw InvalidArgument("unknown log level '" + std::string(name) +
                        "' (trace, debug, info, warning, error, off)");
}

std::string render_line(const LineContext& line, LogFormat format) {
  std::string out;
  out.reserve(160);
  if (format == LogFormat::Json) {
    out += "{\"ts\":\"" + timestamp() + "\",\"level\":\"" + level_name(line.level) +
           "\",\"component\":\"";
    append_json_string(out, line.component);
    out += "\",\"msg\":\"";
    append_json_string(out, line.message);
    out += "\",\"thread\":" + std::to_string(thread_id()) + ",\"src\":\"";
    append_json_string(out, source_of(line.where));
    out.push_back('"');
    for (const auto& field : line.fields) {
      out += ",\"";
      append_json_string(out, field.name);
      out += "\":";
      append_value(out, field.value);
    }
    out.push_back('}');
    return out;
  }
  std::string level = level_name(line.level);
  for (char& c : level)
    c = static_cast<char>(c - 'a' + 'A');
  out += timestamp() + " " + level + " " + std::string(line.component) + ": ";
  append_json_string(out, line.message);  // one line whatever the message holds
  for (const auto& field : line.fields) {
    out += " " + field.name + "=";
    append_value(out, field.value);
  }
  // Text is read by people: where in NADB's sources an event was logged helps those who debug
  // NADB, not those who see a warning, so only debug and trace lines carry it (JSON always).
  if (line.level <= LogLevel::Debug) out += " (" + source_of(line.where) + ")";
  return out;
}

}  // namespace nadb::obs
