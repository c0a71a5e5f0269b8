// The maintenance commands of nadb: compact, cleanup-expired, stats, export, import.
#include "cli.hpp"

namespace nadb::cli {
namespace {

// A command without arguments.
void add_plain(CLI::App& app, Command& selected, const std::string& name, const std::string& help,
               std::function<Outcome(KeyValueStore&)> fn) {
  app.add_subcommand(name, help)->callback([&selected, fn] { selected = fn; });
}

}  // namespace

void add_maintenance_commands(CLI::App& app, Command& selected) {
  add_plain(app, selected, "compact", "reclaim the space of dead records", [](KeyValueStore& s) {
    CompactionReport r = s.compact_storage();
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
      ExportReport r = s.export_jsonl(*out);
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
      ImportOptions options;
      options.skip_invalid = *skip;
      ImportReport r = s.import_jsonl(*in, options);
      return Outcome{kOk,
                     {{"imported", r.imported}, {"invalid_lines", r.invalid_lines}},
                     std::to_string(r.imported) + "\n"};
    };
  });
}

}  // namespace nadb::cli
