// check and repair: an fs db's files, without (check) or before (repair) opening the store.
#include "cli.hpp"

namespace nadb::cli {
namespace {

nlohmann::json check_document(const CheckReport& r) {
  return {{"ok", r.ok},           {"problems", r.problems},
          {"notes", r.notes},     {"segments", r.segments},
          {"records", r.records}, {"hints", r.hints},
          {"bytes", r.bytes}};
}

std::string check_text(const CheckReport& r) {
  std::string text;
  for (const auto& p : r.problems)
    text += "problem: " + p + "\n";
  for (const auto& n : r.notes)
    text += "note: " + n + "\n";
  text += (r.ok ? "ok: " : "DAMAGED: ") + std::to_string(r.segments) + " segments, " +
          std::to_string(r.records) + " records, " + std::to_string(r.hints) + " hints, " +
          std::to_string(r.bytes) + " bytes read\n";
  return text;
}

// A missing db is not a missing key (exit 1): it is exit 3, like any read of a missing db.
template <typename F>
auto on_existing_db(F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const NotFound& e) {
    throw DataError(e.what());
  }
}

}  // namespace

void add_check_commands(CLI::App& app, const Globals& g, StandaloneCommand& selected) {
  app.add_subcommand("check",
                     "verify every record, hint and mark of the fs db (exit 3 on damage); the "
                     "db must not be open elsewhere")
      ->callback([&g, &selected] {
        selected = [&g] {
          CheckReport r = on_existing_db([&] { return check_db(options_of(g)); });
          return Outcome{r.ok ? kOk : kFailed, check_document(r), check_text(r)};
        };
      });
  app.add_subcommand("repair",
                     "keep every intact record of a damaged fs db and rewrite its segments; "
                     "what is lost stays beside its segment and is reported")
      ->callback([&g, &selected] {
        selected = [&g] {
          if (g.read_only) throw NotSupported("repair rewrites the db: not with --read-only");
          RepairReport r = on_existing_db([&] { return repair_db(options_of(g)); });
          nlohmann::json doc = {{"torn_bytes", r.torn_bytes},
                                {"damaged_bytes", r.damaged_bytes},
                                {"keys", r.keys},
                                {"after", check_document(r.after)}};
          std::string text = "repaired: " + std::to_string(r.keys) + " keys kept; " +
                             std::to_string(r.torn_bytes) + " torn and " +
                             std::to_string(r.damaged_bytes) +
                             " damaged bytes left out (kept beside their segments as "
                             "<segment>.<offset>.torn/.damaged)\n" +
                             check_text(r.after);
          return Outcome{r.after.ok ? kOk : kFailed, doc, text};
        };
      });
}

}  // namespace nadb::cli
