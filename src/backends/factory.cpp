// StorageFactory: the registry of backends by name.
#include <map>
#include <mutex>

#include "backends/fs_backend.hpp"
#include "backends/memory_backend.hpp"
#include "backends/redis_backend.hpp"
#include "nadb/errors.hpp"

namespace nadb {
namespace {

struct Factories {
  std::mutex mutex;
  std::map<std::string, BackendFactory> by_name{
      {"fs", backends::open_fs_backend},
      {"memory", backends::open_memory_backend},
      {"redis", backends::open_redis_backend},
  };
};

Factories& factories() {
  static Factories instance;
  return instance;
}

}  // namespace

void StorageFactory::register_backend(const std::string& name, BackendFactory factory) {
  if (name.empty() || !factory) throw InvalidArgument("a backend needs a name and a factory");
  std::lock_guard lock(factories().mutex);
  factories().by_name[name] = std::move(factory);
}

std::shared_ptr<StorageBackend> StorageFactory::create(const Options& options) {
  BackendFactory factory;
  {
    std::lock_guard lock(factories().mutex);
    auto it = factories().by_name.find(options.backend);
    if (it == factories().by_name.end()) {
      std::string known;
      for (const auto& [name, f] : factories().by_name)
        known += (known.empty() ? "" : ", ") + name;
      throw InvalidArgument("unknown backend '" + options.backend + "' (known: " + known + ")");
    }
    factory = it->second;
  }
  return factory(options);
}

}  // namespace nadb
