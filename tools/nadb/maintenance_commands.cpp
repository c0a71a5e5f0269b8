// The maintenance commands of nadb: compact, cleanup-expired, stats, export, import, sync.
#include <iostream>
#include <optional>

#include "cli.hpp"
#include "progress_bar.hpp"

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

  auto* exporter = app.add_subcommand("export", "write the namespace to a JSONL file (.gz/.zst)");
  auto out = std::make_shared<std::string>();
  exporter->add_option("FILE", *out)->required();
  exporter->callback([=, &selected] {
    selected = [=](KeyValueStore& s) {
      ProgressBar bar("export", "keys");
      ExportReport r = s.export_jsonl(*out, bar.callback());
      return Outcome{kOk, {{"keys", r.keys}, {"path", r.path}}, std::to_string(r.keys) + "\n"};
    };
  });

  auto* importer = app.add_subcommand("import", "read a JSONL export into the namespace");
  auto in = std::make_shared<std::string>();
  auto skip = std::make_shared<bool>(false);
  importer->add_option("FILE", *in)->required();
  importer->add_flag("--skip-invalid", *skip, "skip bad lines instead of refusing the file");
  importer->callback([=, &selected] {
    selected = [=](KeyValueStore& s) {
      ProgressBar bar("import", "keys");
      ImportOptions options;
      options.skip_invalid = *skip;
      options.progress = bar.callback();
      ImportReport r = s.import_jsonl(*in, options);
      for (const std::string& line : r.invalid_lines)  // "line N: what was wrong"
        std::cerr << "nadb: skipped " << line << '\n';
      return Outcome{kOk,
                     {{"imported", r.imported}, {"invalid_lines", r.invalid_lines}},
                     std::to_string(r.imported) + "\n"};
    };
  });
}

}  // namespace nadb::cli
