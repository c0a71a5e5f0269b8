// LoggingConfig, Logger and PerformanceLogger on spdlog. Lines are rendered here
// (log_line.cpp) and handed to spdlog sinks as they are ("%v"): spdlog does the writing,
// rotation and the async queue. The loggers are our own, never registered with spdlog, so
// an application's spdlog setup is untouched.
#include <spdlog/async.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "nadb/errors.hpp"
#include "nadb/logging.hpp"
#include "obs/log.hpp"
#include "obs/log_line.hpp"

namespace nadb {

namespace obs {
struct LoggerState {
  std::string name;
  std::atomic<int> level{static_cast<int>(LogLevel::Warning)};
};
}  // namespace obs

namespace {

spdlog::level::level_enum spdlog_level(LogLevel level) {
  switch (level) {
    case LogLevel::Trace:
      return spdlog::level::trace;
    case LogLevel::Debug:
      return spdlog::level::debug;
    case LogLevel::Info:
      return spdlog::level::info;
    case LogLevel::Warning:
      return spdlog::level::warn;
    case LogLevel::Error:
      return spdlog::level::err;
    case LogLevel::Off:
      return spdlog::level::off;
  }
  return spdlog::level::off;
}

// What one configuration writes with.
struct Output {
  LogConfig config;
  std::shared_ptr<spdlog::details::thread_pool> pool;  // async only
  std::shared_ptr<spdlog::logger> logger;
};

std::shared_ptr<const Output> make_output(const LogConfig& config) {
  auto out = std::make_shared<Output>();
  out->config = config;
  std::vector<spdlog::sink_ptr> sinks;
  if (config.to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!config.file.empty()) {
    if (config.max_file_bytes == 0) throw InvalidArgument("LogConfig::max_file_bytes must be > 0");
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          config.file, config.max_file_bytes, config.max_files));
    } catch (const spdlog::spdlog_ex& e) {
      throw IOError("cannot open log file '" + config.file + "': " + e.what());
    }
  }
  if (config.async) {
    out->pool = std::make_shared<spdlog::details::thread_pool>(8192, 1);
    out->logger = std::make_shared<spdlog::async_logger>(
        "nadb", sinks.begin(), sinks.end(), out->pool, spdlog::async_overflow_policy::block);
  } else {
    out->logger = std::make_shared<spdlog::logger>("nadb", sinks.begin(), sinks.end());
  }
  out->logger->set_pattern("%v");
  out->logger->set_level(spdlog::level::trace);  // filtering happens per component, before
  out->logger->flush_on(spdlog::level::warn);
  return out;
}

class Registry {
 public:
  static Registry& instance() {
    static Registry registry;
    return registry;
  }

  obs::LoggerState* component(std::string_view name) {
    std::lock_guard lock(mutex_);
    auto it = components_.find(name);
    if (it == components_.end()) {
      auto entry = std::make_unique<obs::LoggerState>();
      entry->name = name;
      entry->level = static_cast<int>(level_of(entry->name, output_.load()->config));
      it = components_.emplace(std::string(name), std::move(entry)).first;
    }
    return it->second.get();
  }

  PerformanceLogger& performance(std::string_view name) {
    Logger logger = LoggingConfig::get_logger(name);
    std::lock_guard lock(mutex_);
    auto it = performance_.find(name);
    if (it == performance_.end()) {
      it = performance_.emplace(std::string(name), std::make_unique<PerformanceLogger>(logger))
               .first;
    }
    return *it->second;
  }

  void setup(const LogConfig& config) {
    auto output = make_output(config);  // throws before anything changes
    std::lock_guard lock(mutex_);
    auto previous = output_.exchange(output);
    previous->logger->flush();
    for (auto& [name, entry] : components_)
      entry->level = static_cast<int>(level_of(name, config));
  }

  std::shared_ptr<const Output> output() const { return output_.load(); }

 private:
  Registry() {
    // The environment configures logging when it says anything; else the quiet default.
    bool from_environment = std::getenv("NADB_LOG_LEVEL") || std::getenv("NADB_LOG_FORMAT") ||
                            std::getenv("NADB_LOG_FILE");
    LogConfig config;
    if (from_environment) {
      try {
        config = LogConfig::from_environment();
      } catch (const Error& e) {
        std::fprintf(stderr, "nadb: ignoring the NADB_LOG_* environment: %s\n", e.what());
      }
    }
    try {
      output_ = make_output(config);
    } catch (const Error& e) {
      std::fprintf(stderr, "nadb: logging falls back to stderr: %s\n", e.what());
      output_ = make_output(LogConfig{});
    }
  }

  static LogLevel level_of(const std::string& component, const LogConfig& config) {
    auto it = config.component_levels.find(component);
    return it == config.component_levels.end() ? config.level : it->second;
  }

  // Guarded by mutex_ (the map; each entry's level is atomic).
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<obs::LoggerState>, std::less<>> components_;
  std::map<std::string, std::unique_ptr<PerformanceLogger>, std::less<>> performance_;
  // Swapped whole by setup; read without the mutex.
  std::atomic<std::shared_ptr<const Output>> output_;
};

std::atomic<std::uint64_t> next_operation_id{1};

}  // namespace

LogConfig LogConfig::from_environment() {
  LogConfig config;
  if (const char* level = std::getenv("NADB_LOG_LEVEL")) config.level = obs::parse_level(level);
  if (const char* format = std::getenv("NADB_LOG_FORMAT")) {
    std::string_view f = format;
    if (f != "text" && f != "json")
      throw InvalidArgument("NADB_LOG_FORMAT must be text or json, got '" + std::string(f) + "'");
    config.format = f == "json" ? LogFormat::Json : LogFormat::Text;
  }
  if (const char* file = std::getenv("NADB_LOG_FILE")) config.file = file;
  return config;
}

LogField LogField::key(std::string_view bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return LogField("key", std::move(out));
}

bool Logger::enabled(LogLevel level) const {
  return static_cast<int>(level) >= state_->level.load(std::memory_order_relaxed) &&
         level != LogLevel::Off;
}

const std::string& Logger::component() const {
  return state_->name;
}

void Logger::log(LogLevel level, std::string_view message, const LogFields& fields,
                 std::source_location where) const {
  if (!enabled(level)) return;
  try {
    auto output = Registry::instance().output();
    obs::LineContext line{level, state_->name, message, fields, where};
    output->logger->log(spdlog_level(level), obs::render_line(line, output->config.format));
  } catch (...) {
    // Logging never fails the operation that logs.
  }
}

void LoggingConfig::setup(const LogConfig& config) {
  Registry::instance().setup(config);
}

Logger LoggingConfig::get_logger(std::string_view component) {
  return Logger(Registry::instance().component(component));
}

PerformanceLogger& LoggingConfig::get_performance_logger(std::string_view component) {
  return Registry::instance().performance(component);
}

void LoggingConfig::flush() {
  Registry::instance().output()->logger->flush();
}

double obs::slow_query_threshold_ms() {
  return static_cast<double>(Registry::instance().output()->config.slow_query_threshold.count());
}

PerformanceLogger::Scope::Scope(Logger logger, std::string op, LogFields fields,
                                std::source_location where)
    : logger_(logger),
      op_(std::move(op)),
      fields_(std::move(fields)),
      where_(where),
      id_(next_operation_id.fetch_add(1)),
      start_(std::chrono::steady_clock::now()),
      exceptions_at_start_(std::uncaught_exceptions()) {}

void PerformanceLogger::Scope::fail(std::string_view error) {
  error_ = error;
}

PerformanceLogger::Scope::~Scope() {
  if (!logger_.enabled(LogLevel::Info)) return;
  if (error_.empty() && std::uncaught_exceptions() > exceptions_at_start_) error_ = "exception";
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  LogFields fields{{"op", op_}, {"op_id", id_}, {"duration_ms", ms}, {"success", error_.empty()}};
  if (!error_.empty()) fields.emplace_back("error", error_);
  for (auto& f : fields_)
    fields.push_back(std::move(f));
  logger_.log(LogLevel::Info, op_ + " done", fields, where_);
}

PerformanceLogger::Scope PerformanceLogger::start(std::string op, LogFields fields,
                                                  std::source_location where) {
  return Scope(logger_, std::move(op), std::move(fields), where);
}

void PerformanceLogger::log_metric(std::string_view name, double value, const LogFields& fields,
                                   std::source_location where) {
  if (!logger_.enabled(LogLevel::Debug)) return;
  LogFields all{{"metric", name}, {"value", value}};
  all.insert(all.end(), fields.begin(), fields.end());
  logger_.log(LogLevel::Debug, "metric", all, where);
}

}  // namespace nadb
