// nadb backup create|incremental|list|verify|restore|delete|prune.
#include "cli.hpp"
#include "progress_bar.hpp"

namespace nadb::cli {
namespace {

nlohmann::json info_json(const BackupInfo& b) {
  return {{"id", b.id},
          {"type", b.type},
          {"parent", b.parent},
          {"created_at", b.created_at},
          {"keys", b.key_count},
          {"files", b.file_count},
          {"bytes", b.stored_bytes},
          {"compressed", b.compressed}};
}

Outcome info_outcome(const BackupInfo& b) {
  return Outcome{kOk, info_json(b), b.id + "\n"};
}

struct BackupArgs {
  std::string id, parent;
  bool no_compression = false, clear = false, force = false, no_verify = false;
  std::size_t keep = 0;
  int keep_days = 0;
};

void add_create(CLI::App& backup, Command& selected, const std::shared_ptr<BackupArgs>& a) {
  auto* create = backup.add_subcommand("create", "a full backup; prints its id");
  create->add_option("--id", a->id, "the backup's id (default: a unique one)");
  create->add_flag("--no-compression", a->no_compression, "store the files uncompressed");
  create->callback([a, &selected] {
    selected = [a](KeyValueStore& s) {
      ProgressBar bar("backup", s.capabilities().physical_backups ? "bytes" : "keys");
      return info_outcome(s.create_backup(a->id, !a->no_compression, bar.callback()));
    };
  });
  auto* incremental = backup.add_subcommand("incremental", "what changed since PARENT");
  incremental->add_option("PARENT", a->parent, "the backup it builds on")->required();
  incremental->add_option("--id", a->id, "the backup's id (default: a unique one)");
  incremental->add_flag("--no-compression", a->no_compression, "store the files uncompressed");
  incremental->callback([a, &selected] {
    selected = [a](KeyValueStore& s) {
      ProgressBar bar("backup", s.capabilities().physical_backups ? "bytes" : "keys");
      return info_outcome(
          s.create_incremental_backup(a->parent, a->id, !a->no_compression, bar.callback()));
    };
  });
}

void add_inspect(CLI::App& backup, Command& selected, const std::shared_ptr<BackupArgs>& a) {
  backup.add_subcommand("list", "every backup, oldest first")->callback([&selected] {
    selected = [](KeyValueStore& s) {
      Outcome out{kOk, {{"backups", nlohmann::json::array()}}, ""};
      for (const auto& b : s.list_backups()) {
        out.document["backups"].push_back(info_json(b));
        out.text += b.id + " " + b.type + " " + b.created_at +
                    " keys=" + std::to_string(b.key_count) +
                    " bytes=" + std::to_string(b.stored_bytes) + "\n";
      }
      return out;
    };
  });
  auto* verify = backup.add_subcommand("verify", "check every file of ID's chain; exit 3 if bad");
  verify->add_option("ID", a->id, "the backup to verify")->required();
  verify->callback([a, &selected] {
    selected = [a](KeyValueStore& s) {
      VerifyReport r = s.verify_backup_report(a->id);
      std::string text = r.ok ? "ok\n" : "";
      for (const auto& p : r.problems)
        text += p + "\n";
      return Outcome{r.ok ? kOk : kFailed, {{"ok", r.ok}, {"problems", r.problems}}, text};
    };
  });
}

void add_change(CLI::App& backup, Command& selected, const std::shared_ptr<BackupArgs>& a) {
  auto* restore = backup.add_subcommand("restore", "restore ID (merging, or --clear first)");
  restore->add_option("ID", a->id, "the backup to restore")->required();
  restore->add_flag("--clear", a->clear, "replace the current data instead of merging");
  restore->add_flag("--no-verify", a->no_verify, "skip checking the chain's checksums first");
  restore->callback([a, &selected] {
    selected = [a](KeyValueStore& s) {
      ProgressBar bar("restore", s.capabilities().physical_backups ? "bytes" : "keys");
      s.restore_backup(a->id, !a->no_verify, a->clear, bar.callback());
      return Outcome{kOk, {{"restored", a->id}}, ""};
    };
  });
  auto* remove = backup.add_subcommand("delete", "delete ID (--force: with its dependents)");
  remove->add_option("ID", a->id, "the backup to delete")->required();
  remove->add_flag("--force", a->force, "also delete the backups that depend on it");
  remove->callback([a, &selected] {
    selected = [a](KeyValueStore& s) {
      bool deleted = s.delete_backup(a->id, a->force);
      if (!deleted) {
        throw InvalidArgument("other backups depend on '" + a->id +
                              "'; use --force to delete them too");
      }
      return Outcome{kOk, {{"deleted", a->id}}, ""};
    };
  });
  auto* prune = backup.add_subcommand(
      "prune", "keep the newest --keep N and those younger than --keep-days D");
  prune->add_option("--keep", a->keep, "how many of the newest to keep")
      ->check(at_least(0))
      ->required();
  prune->add_option("--keep-days", a->keep_days, "also keep those younger than this many days")
      ->required();
  prune->callback([a, &selected] {
    selected = [a](KeyValueStore& s) {
      std::size_t n = s.cleanup_old_backups(a->keep, a->keep_days);
      return Outcome{kOk, {{"deleted", n}}, std::to_string(n) + "\n"};
    };
  });
}

}  // namespace

void add_backup_commands(CLI::App& app, Command& selected) {
  auto* backup = app.add_subcommand("backup", "backups of the db (see docs/CLI.md)");
  backup->require_subcommand(1);
  auto args = std::make_shared<BackupArgs>();
  add_create(*backup, selected, args);
  add_inspect(*backup, selected, args);
  add_change(*backup, selected, args);
}

}  // namespace nadb::cli
