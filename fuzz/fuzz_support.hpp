// Shared by the fuzz targets that need a db folder: one temporary folder per process, and a
// reader that opens it and reads every key (what recovery must survive: only Corruption may
// come out).
#pragma once

#include <fcntl.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "engine/engine.hpp"
#include "nadb/errors.hpp"
#include "util/files.hpp"

namespace nadb::fuzz {

// A fresh, empty folder for this input (the same path every time, emptied).
inline const std::string& empty_folder() {
  static const std::string folder = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "nadb-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    return pattern;
  }();
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  return folder;
}

inline void write_file(const std::string& path, const std::string& bytes) {
  util::File file(path, O_WRONLY | O_CREAT | O_TRUNC);
  file.write_at(0, bytes);
}

// Opens the db in folder and reads every key of every namespace; Corruption is the only
// accepted failure (anything else escapes and libFuzzer reports it).
inline void open_and_read_everything(const std::string& folder) {
  engine::EngineOptions options;
  options.background_maintenance = false;
  try {
    auto engine = engine::Engine::open(folder, options);
    for (const auto& ns : engine->namespaces()) {
      std::string cursor;
      do {
        KeyPage page = engine->scan(ns, "", cursor, 100, 0);
        for (const auto& key : page.keys)
          engine->get(ns, key, 0, true);
        cursor = page.next_cursor;
      } while (!cursor.empty());
    }
  } catch (const Corruption&) {
  }
}

}  // namespace nadb::fuzz
