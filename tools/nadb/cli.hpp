// The nadb command-line tool: shared state of its commands (docs/CLI.md).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "nadb/nadb.hpp"

namespace nadb::cli {

// Exit codes: 0 ok, 1 key or backup not found, 2 usage error, 3 any other error.
enum ExitCode { kOk = 0, kNotFound = 1, kUsage = 2, kFailed = 3 };

// The global options, shared by every command.
struct Globals {
  std::string data = "./data";
  std::string db = "default";
  std::string ns = "default";
  std::string backend = "fs";
  std::string redis;  // redis://... URL
  bool json = false;
  std::string log_level;
};

// What a command ends with: its exit code, what it prints (text, binary-safe) and, in
// --json mode instead, its document.
struct Outcome {
  int code = kOk;
  nlohmann::json document = nlohmann::json::object();
  std::string text;
};

using Command = std::function<Outcome(KeyValueStore&)>;

// Adds the key commands (set, get, del, exists, ttl, expire, persist, incr, keys, tags,
// query) and the maintenance commands (compact, cleanup-expired, stats, export, import) to
// app; each stores what it runs into `selected`.
void add_key_commands(CLI::App& app, Command& selected);
void add_maintenance_commands(CLI::App& app, Command& selected);
// backup create|incremental|list|verify|restore|delete|prune.
void add_backup_commands(CLI::App& app, Command& selected);

// Reads a file whole (binary); "-" is standard input. Throws IOError.
std::string read_input(const std::string& path);

}  // namespace nadb::cli
