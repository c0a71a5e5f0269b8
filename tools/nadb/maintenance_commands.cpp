// The maintenance commands of nadb: compact, cleanup-expired, stats, export, import, sync.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>

#include "cli.hpp"
#include "progress_bar.hpp"
#include "temp_files.hpp"

namespace nadb::cli {
namespace {

// A command without arguments.
void add_plain(CLI::App& app, Command& selected, const std::string& name, const std::string& help,
               std::function<Outcome(KeyValueStore&)> fn) {
  app.add_subcommand(name, help)->callback([&selected, fn] { selected = fn; });
}

// The target store of sync: each --to-* option given, else the global option. The target
// is printed on stderr before anything is copied or removed.
void add_sync(CLI::App& app, const Globals& g, Command& selected) {
  auto* sync = app.add_subcommand("sync", "copy every key of the namespace to another store");
  struct Target {
    std::string backend;
    std::optional<std::string> data, db, ns, redis;
    bool remove = false;
  };
  auto target = std::make_shared<Target>();
  sync->add_option("--to-backend", target->backend, "fs, memory or redis")
      ->check(CLI::IsMember({"fs", "memory", "redis"}))
      ->required();
  sync->add_option("--to-data", target->data, "the target's data folder (default: --data)");
  sync->add_option("--to-db", target->db, "the target's db (default: --db)");
  sync->add_option("--to-ns", target->ns, "the target's namespace (default: --ns)");
  sync->add_option("--to-redis", target->redis, "the target's redis URL (default: --redis)");
  sync->add_flag("--remove-extraneous", target->remove,
                 "also delete the target's keys the source lacks");
  sync->callback([&g, target, &selected] {
    selected = [&g, target](KeyValueStore& s) {
      Globals to = g;
      to.backend = target->backend;
      to.data = target->data.value_or(g.data);
      to.db = target->db.value_or(g.db);
      to.ns = target->ns.value_or(g.ns);
      to.redis = target->redis.value_or(g.redis);
      std::string where =
          to.backend == "fs" ? " in " + to.data
          : to.backend == "redis"
              ? " on " + (to.redis.empty() ? std::string("redis://127.0.0.1:6379/0") : to.redis)
              : "";
      std::cerr << "nadb: sync " << g.db << ":" << g.ns << " to " << to.backend << " " << to.db
                << ":" << to.ns << where
                << (target->remove ? " (deleting the target's keys the source lacks)" : "")
                << std::endl;
      KeyValueStore destination(options_of(to));  // sync_to refuses the source itself
      ProgressBar bar("sync", "keys");
      SyncReport r = s.sync_to(destination, target->remove, bar.callback());
      nlohmann::json doc = {{"copied", r.copied},
                            {"removed", r.removed},
                            {"target", destination.name()},
                            {"target_backend", to.backend},
                            {"target_data", to.backend == "fs" ? to.data : ""},
                            {"duration_ms", r.duration_ms}};
      return Outcome{
          kOk, doc,
          std::to_string(r.copied) + " copied, " + std::to_string(r.removed) + " removed\n"};
    };
  });
}

// Copies everything from `from` to `to` in 64 KiB chunks; throws IOError naming what failed.
void copy_stream(std::FILE* from, std::FILE* to, const std::string& what) {
  std::vector<char> chunk(64 << 10);
  while (std::size_t n = std::fread(chunk.data(), 1, chunk.size(), from)) {
    if (std::fwrite(chunk.data(), 1, n, to) != n) throw IOError("cannot write " + what);
  }
  if (std::ferror(from) || std::fflush(to) != 0) throw IOError("cannot copy " + what);
}

// The file suffix of --format (jsonl, jsonl.gz, jsonl.zst) for FILE: "-" takes it from
// --format; a file name's own suffix decides, and a --format that disagrees is a usage error.
std::string suffix_of(const std::string& file, const std::optional<std::string>& format) {
  std::string wanted = format ? format->substr(5) : "";  // "", ".gz" or ".zst"
  if (file == "-") return wanted;
  std::string own = file.ends_with(".gz") ? ".gz" : file.ends_with(".zst") ? ".zst" : "";
  if (format && own != wanted)
    throw InvalidArgument("--format " + *format + " disagrees with the name '" + file + "'");
  return own;
}

void add_format_option(CLI::App& command, std::optional<std::string>& format) {
  command
      .add_option("--format", format,
                  "jsonl, jsonl.gz or jsonl.zst: the format of - (a file's name says its own)")
      ->check(CLI::IsMember({"jsonl", "jsonl.gz", "jsonl.zst"}));
}

// export FILE: the namespace as JSONL; "-" writes it to standard output.
void add_export(CLI::App& app, Command& selected) {
  auto* exporter = app.add_subcommand("export", "write the namespace to a JSONL file (.gz/.zst)");
  struct Args {
    std::string file;
    std::optional<std::string> format;
  };
  auto a = std::make_shared<Args>();
  exporter->add_option("FILE", a->file, "the file to write; - for standard output")->required();
  add_format_option(*exporter, a->format);
  exporter->callback([=, &selected] {
    selected = [=](KeyValueStore& s) {
      std::string suffix = suffix_of(a->file, a->format);
      ProgressBar bar("export", "keys");
      if (a->file != "-") {
        ExportReport r = s.export_jsonl(a->file, bar.callback());
        return Outcome{kOk, {{"keys", r.keys}, {"path", r.path}}, std::to_string(r.keys) + "\n"};
      }
      SpoolFile spool(".jsonl" + suffix);
      ExportReport r = s.export_jsonl(spool.path(), bar.callback());
      std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(spool.path().c_str(), "rb"),
                                                         std::fclose);
      if (!in) throw IOError("cannot read back " + spool.path());
      copy_stream(in.get(), stdout, "the export to standard output");
      std::cerr << "nadb: exported " << r.keys << " keys to standard output" << std::endl;
      return Outcome{kOk, nullptr, ""};  // stdout holds the export: nothing else goes there
    };
  });
}

// import FILE: a JSONL export into the namespace; "-" reads standard input.
void add_import(CLI::App& app, const Globals& g, Command& selected) {
  auto* importer = app.add_subcommand("import", "read a JSONL export into the namespace");
  struct Args {
    std::string file;
    std::optional<std::string> format;
    bool skip = false;
  };
  auto a = std::make_shared<Args>();
  importer->add_option("FILE", a->file, "the file to read; - for standard input")->required();
  add_format_option(*importer, a->format);
  importer->add_flag("--skip-invalid", a->skip, "skip bad lines instead of refusing the file");
  importer->callback([=, &g, &selected] {
    if (g.shell && a->file == "-") refuse_standard_input("import", "give a file name");
    selected = [=](KeyValueStore& s) {
      std::string suffix = suffix_of(a->file, a->format);
      std::optional<SpoolFile> spool;
      if (a->file == "-") {
        spool.emplace(".jsonl" + suffix);
        std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::fopen(spool->path().c_str(), "wb"),
                                                            std::fclose);
        if (!out) throw IOError("cannot write " + spool->path());
        copy_stream(stdin, out.get(), "standard input to " + spool->path());
      }
      ProgressBar bar("import", "keys");
      ImportOptions options;
      options.skip_invalid = a->skip;
      options.progress = bar.callback();
      ImportReport r;
      try {
        r = s.import_jsonl(spool ? spool->path() : a->file, options);
      } catch (const NotFound& e) {  // a missing file is an I/O error (3), not a missing key
        throw IOError(e.what());
      }
      for (const std::string& line : r.invalid_lines)  // "line N: what was wrong"
        std::cerr << "nadb: skipped " << line << '\n';
      return Outcome{kOk,
                     {{"imported", r.imported}, {"invalid_lines", r.invalid_lines}},
                     std::to_string(r.imported) + "\n"};
    };
  });
}

}  // namespace

void add_maintenance_commands(CLI::App& app, const Globals& g, Command& selected) {
  add_sync(app, g, selected);
  add_plain(app, selected, "compact", "reclaim the space of dead records", [](KeyValueStore& s) {
    ProgressBar bar("compact", "bytes");
    CompactionReport r = s.compact_storage(bar.callback());
    nlohmann::json doc = {{"segments_compacted", r.segments_compacted},
                          {"bytes_before", r.bytes_before},
                          {"bytes_after", r.bytes_after},
                          {"duration_ms", r.duration_ms}};
    return Outcome{kOk, doc, doc.dump() + "\n"};
  });
  add_plain(app, selected, "cleanup-expired", "delete the expired keys of the namespace",
            [](KeyValueStore& s) {
              std::size_t removed = s.cleanup_expired();
              return Outcome{kOk, {{"removed", removed}}, std::to_string(removed) + "\n"};
            });

  auto* stats = app.add_subcommand("stats", "statistics as JSON, or --prometheus text");
  auto prometheus = std::make_shared<bool>(false);
  stats->add_flag("--prometheus", *prometheus, "Prometheus text exposition");
  stats->callback([=, &selected] {
    selected = [=](KeyValueStore& s) {
      Stats st = s.get_stats();
      std::string text = *prometheus ? st.to_prometheus() : st.to_json() + "\n";
      return Outcome{kOk, nlohmann::json::parse(st.to_json()), text};
    };
  });

  add_export(app, selected);
  add_import(app, g, selected);
}

}  // namespace nadb::cli
