// nadb._core: the C++ core of the Python package. Applications import nadb, whose Python
// layer (python/nadb/) gives this module the original NADB API.
#include <pybind11/pybind11.h>

#include "errors.hpp"
#include "fork_guard.hpp"
#include "nadb/logging.hpp"
#include "nadb/version.hpp"
#include "store_binding.hpp"
#include "sync_binding.hpp"
#include "transaction_binding.hpp"

namespace nadb::python {
namespace {

LogLevel log_level(const std::string& name) {
  static const std::pair<const char*, LogLevel> levels[] = {
      {"trace", LogLevel::Trace},     {"debug", LogLevel::Debug}, {"info", LogLevel::Info},
      {"warning", LogLevel::Warning}, {"error", LogLevel::Error}, {"off", LogLevel::Off}};
  for (const auto& [text, level] : levels) {
    if (name == text) return level;
  }
  throw pybind11::value_error("unknown log level '" + name +
                              "' (trace, debug, info, warning, error, off)");
}

}  // namespace
}  // namespace nadb::python

PYBIND11_MODULE(_core, module) {
  module.doc() = "NADB's C++ core (use the nadb package, not this module)";
  module.attr("__version__") = nadb::version();
  nadb::python::ForkGuard::install();
  nadb::python::register_errors(module);
  auto store = nadb::python::bind_store(module);
  nadb::python::bind_transaction(module, store);
  nadb::python::bind_sync(module);
  module.def(
      "_setup_logging",
      [](const std::string& level, const std::string& file) {
        nadb::LogConfig config;
        config.level = nadb::python::log_level(level);
        config.format = file.empty() ? nadb::LogFormat::Text : nadb::LogFormat::Json;
        config.file = file;
        config.to_stderr = file.empty();
        nadb::LoggingConfig::setup(config);
      },
      pybind11::arg("level"), pybind11::arg("file"),
      "Sends the core's log lines at level and above to file as JSON lines, or to stderr as text "
      "when file is empty.");
  module.def(
      "_flush_logging", [] { nadb::LoggingConfig::flush(); },
      "Writes out the core's buffered log lines.");
}
