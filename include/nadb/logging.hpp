// Structured logging (docs/LOGGING.md): per-component loggers writing JSON lines or text to
// stderr and/or a rotating file, on spdlog. Until LoggingConfig::setup is called (or the
// NADB_LOG_* environment variables are set), warnings and errors go to stderr as text and
// nothing else happens: no file is created, no global state of the application (spdlog's
// default logger and registry included) is touched.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <source_location>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace nadb {

namespace obs {
struct LoggerState;
}  // namespace obs

enum class LogLevel { Trace, Debug, Info, Warning, Error, Off };
enum class LogFormat { Text, Json };

struct LogConfig {
  LogLevel level = LogLevel::Warning;
  // Per component ("nadb.store", "nadb.engine", "nadb.redis", "nadb.pool", "nadb.txn",
  // "nadb.backup", "nadb.index", "nadb.sync"): overrides level.
  std::map<std::string, LogLevel> component_levels;
  LogFormat format = LogFormat::Text;
  bool to_stderr = true;
  std::string file;  // a rotating file when not empty
  std::size_t max_file_bytes = 10u << 20;
  std::size_t max_files = 5;  // rotated files kept besides the current one
  bool async = false;         // lines are written by a background thread
  // Queries slower than this are logged at info by nadb.index.
  std::chrono::milliseconds slow_query_threshold{100};

  // The defaults overridden by NADB_LOG_LEVEL (trace|debug|info|warning|error|off),
  // NADB_LOG_FORMAT (text|json) and NADB_LOG_FILE (a path). InvalidArgument for a bad value.
  static LogConfig from_environment();
};

// One structured field of a log line. Strings are escaped into valid JSON whatever their
// bytes (keys are binary: see LogField::key).
struct LogField {
  using Value = std::variant<std::string, std::int64_t, double, bool>;
  std::string name;
  Value value;

  LogField(std::string field_name, std::string text)
      : name(std::move(field_name)), value(std::move(text)) {}
  LogField(std::string field_name, const char* text)
      : name(std::move(field_name)), value(std::string(text)) {}
  LogField(std::string field_name, std::string_view text)
      : name(std::move(field_name)), value(std::string(text)) {}
  template <typename Integer, typename = std::enable_if_t<std::is_integral_v<Integer> &&
                                                          !std::is_same_v<Integer, bool>>>
  LogField(std::string field_name, Integer number)
      : name(std::move(field_name)), value(static_cast<std::int64_t>(number)) {}
  LogField(std::string field_name, double number) : name(std::move(field_name)), value(number) {}
  LogField(std::string field_name, bool flag) : name(std::move(field_name)), value(flag) {}

  // A binary key as printable text: printable ASCII kept, backslash doubled, any other
  // byte as \xNN.
  static LogField key(std::string_view bytes);
};

using LogFields = std::vector<LogField>;

// A component's logger: a cheap handle, valid forever, thread-safe. A call below the
// component's level costs one atomic load.
class Logger {
 public:
  bool enabled(LogLevel level) const;
  void log(LogLevel level, std::string_view message, const LogFields& fields = {},
           std::source_location where = std::source_location::current()) const;
  void debug(std::string_view message, const LogFields& fields = {},
             std::source_location where = std::source_location::current()) const {
    log(LogLevel::Debug, message, fields, where);
  }
  void info(std::string_view message, const LogFields& fields = {},
            std::source_location where = std::source_location::current()) const {
    log(LogLevel::Info, message, fields, where);
  }
  void warn(std::string_view message, const LogFields& fields = {},
            std::source_location where = std::source_location::current()) const {
    log(LogLevel::Warning, message, fields, where);
  }
  void error(std::string_view message, const LogFields& fields = {},
             std::source_location where = std::source_location::current()) const {
    log(LogLevel::Error, message, fields, where);
  }
  const std::string& component() const;

 private:
  friend class LoggingConfig;  // hands out loggers
  explicit Logger(obs::LoggerState* state) : state_(state) {}
  obs::LoggerState* state_;  // src/obs/logging.cpp; lives as long as the process
};

// Timed operations and metrics of a component, logged at info (debug for metrics).
class PerformanceLogger {
 public:
  // Logs "<op> done" with op_id, duration_ms, success and the fields when it ends;
  // success=false with `error` when fail() was called or an exception left its scope.
  class Scope {
   public:
    Scope(Scope&&) = delete;
    ~Scope();
    void add(LogField field) { fields_.push_back(std::move(field)); }
    // Records the failure (the destructor cannot see an exception's text).
    void fail(std::string_view error);
    std::uint64_t id() const { return id_; }

   private:
    friend class PerformanceLogger;
    Scope(Logger logger, std::string op, LogFields fields, std::source_location where);
    Logger logger_;
    std::string op_;
    LogFields fields_;
    std::source_location where_;
    std::uint64_t id_;
    std::chrono::steady_clock::time_point start_;
    int exceptions_at_start_;
    std::string error_;
  };

  explicit PerformanceLogger(Logger logger) : logger_(logger) {}
  // Starts timing op; op ids are unique in the process.
  Scope start(std::string op, LogFields fields = {},
              std::source_location where = std::source_location::current());
  // Runs fn inside a scope, recording the text of an exception that leaves it.
  template <typename F>
  auto measure(std::string op, LogFields fields, F&& fn) -> decltype(fn()) {
    Scope scope = start(std::move(op), std::move(fields));
    try {
      return fn();
    } catch (const std::exception& e) {
      scope.fail(e.what());
      throw;
    }
  }
  // One "metric" line: name, value and the fields.
  void log_metric(std::string_view name, double value, const LogFields& fields = {},
                  std::source_location where = std::source_location::current());

 private:
  Logger logger_;
};

class LoggingConfig {
 public:
  // Replaces the logging configuration (sinks, levels, format); thread-safe. Throws
  // InvalidArgument for bad settings, IOError when the file cannot be opened (the previous
  // configuration then stays).
  static void setup(const LogConfig& config);
  // The logger of component (any name; the nadb.* ones are documented).
  static Logger get_logger(std::string_view component);
  static PerformanceLogger& get_performance_logger(std::string_view component);
  // Flushes the file. With async, the lines still queued are written by the background
  // thread shortly after; setup() (a new configuration) and process exit drain the queue.
  static void flush();
};

}  // namespace nadb
