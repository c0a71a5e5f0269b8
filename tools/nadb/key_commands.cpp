// The key commands of nadb: set, get, meta, del, exists, ttl, expire, persist, incr, keys,
// tags, query.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>

#include <optional>

#include "cli.hpp"
#include "util/encoding.hpp"

namespace nadb::cli {
namespace {

Outcome missing(const std::string& key) {
  std::cerr << "nadb: key '" << key << "' not found\n";
  return Outcome{kNotFound, {{"key", key}, {"found", false}}, ""};
}

std::string lines(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items)
    text += item + '\n';
  return text;
}

void add_set(CLI::App& app, const Globals& g, Command& selected) {
  auto* cmd = app.add_subcommand("set", "set KEY to VALUE (or --file F, or - for stdin)");
  struct Args {
    std::string key, value, file;
    std::vector<std::string> tags;
    std::optional<long long> ttl;  // given or not: 0 and negatives go to the API, which refuses
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("KEY", args->key, "the key (any bytes but NUL, 1 B to 64 KiB)")->required();
  auto* value = cmd->add_option("VALUE", args->value, "the value; - reads standard input");
  auto* file = cmd->add_option("--file", args->file, "read the value from a file");
  value->excludes(file);
  cmd->add_option("--tag", args->tags, "a tag (repeatable)");
  cmd->add_option("--ttl", args->ttl, "seconds to live");
  cmd->callback([args, value, file, &g, &selected] {
    if (value->count() == 0 && file->count() == 0)
      throw CLI::ValidationError("set", "give VALUE, - or --file F");
    if (g.shell && args->value == "-")
      refuse_standard_input("set", "give the value inline or with --file F");
    selected = [args](KeyValueStore& store) {
      std::string bytes = !args->file.empty()  ? read_input(args->file)
                          : args->value == "-" ? read_input("-")
                                               : args->value;
      SetOptions options{args->tags, std::nullopt};
      if (args->ttl) options.ttl = std::chrono::seconds(*args->ttl);
      store.set(args->key, bytes, options);
      return Outcome{kOk, {{"key", args->key}, {"bytes", bytes.size()}}, ""};
    };
  });
}

// An instant as UTC ISO 8601 with milliseconds: 2026-12-06T04:00:00.123Z.
std::string utc(TimePoint at) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm parts{};
  ::gmtime_r(&seconds, &parts);
  char text[40];
  std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms % 1000));
  return text;
}

long long epoch_ms(TimePoint at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

// meta KEY (and get --meta): what the store knows of a key besides its value.
Outcome meta_outcome(KeyValueStore& store, const std::string& key) {
  auto meta = store.get_metadata(key);
  if (!meta) return missing(key);
  nlohmann::json tags = meta->tags;
  nlohmann::json doc = {{"key", key},
                        {"found", true},
                        {"size", meta->size},
                        {"stored_size", meta->stored_size},
                        {"compressed", meta->compressed},
                        {"tags", tags},
                        {"version", meta->version},
                        {"created", utc(meta->created_at)},
                        {"created_ms", epoch_ms(meta->created_at)},
                        {"updated", utc(meta->updated_at)},
                        {"updated_ms", epoch_ms(meta->updated_at)},
                        {"expires", nullptr},
                        {"expires_ms", nullptr},
                        {"ttl_seconds", nullptr}};
  std::string ttl = "none";
  if (meta->expires_at) {
    auto left = std::chrono::ceil<std::chrono::seconds>(*meta->expires_at - Clock::now());
    doc["expires"] = utc(*meta->expires_at);
    doc["expires_ms"] = epoch_ms(*meta->expires_at);
    doc["ttl_seconds"] = std::max<long long>(left.count(), 0);
    ttl = std::to_string(std::max<long long>(left.count(), 0)) + " s (expires " +
          utc(*meta->expires_at) + ")";
  }
  std::string tag_text;
  for (const auto& tag : meta->tags)
    tag_text += (tag_text.empty() ? "" : " ") + tag;
  std::string text =
      "key      " + key + "\nsize     " + std::to_string(meta->size) + " bytes\nstored   " +
      std::to_string(meta->stored_size) + " bytes" + (meta->compressed ? " (compressed)" : "") +
      "\ntags     " + tag_text + "\nversion  " + std::to_string(meta->version) + "\ncreated  " +
      utc(meta->created_at) + "\nupdated  " + utc(meta->updated_at) + "\nttl      " + ttl + "\n";
  return Outcome{kOk, doc, text};
}

void add_meta(CLI::App& app, Command& selected) {
  auto* cmd = app.add_subcommand("meta", "KEY's tags, size, version, times and TTL");
  auto key = std::make_shared<std::string>();
  cmd->add_option("KEY", *key, "the key")->required();
  cmd->callback([=, &selected] {
    selected = [=](KeyValueStore& store) { return meta_outcome(store, *key); };
  });
}

void add_get(CLI::App& app, Command& selected) {
  auto* cmd =
      app.add_subcommand("get", "print the value of KEY (binary-safe), or write it to --out");
  auto key = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto meta = std::make_shared<bool>(false);
  cmd->add_option("KEY", *key, "the key")->required();
  cmd->add_option("--out", *out, "write the value to this file");
  cmd->add_flag("--meta", *meta, "print KEY's metadata instead (as the meta command)");
  cmd->callback([=, &selected] {
    selected = [=](KeyValueStore& store) {
      if (*meta) return meta_outcome(store, *key);
      auto value = store.get(*key);
      if (!value) return missing(*key);
      Outcome outcome{kOk, {{"key", *key}, {"found", true}, {"bytes", value->size()}}, ""};
      if (!out->empty()) {
        std::ofstream file(*out, std::ios::binary | std::ios::trunc);
        file.write(value->data(), static_cast<std::streamsize>(value->size()));
        if (!file.flush()) throw IOError("cannot write '" + *out + "'");
      } else {
        outcome.document["value_base64"] = util::base64_encode(*value);
        outcome.text = std::move(*value);
      }
      return outcome;
    };
  });
}

void add_del(CLI::App& app, Command& selected) {
  auto* cmd = app.add_subcommand("del", "delete keys; exit 1 when none existed");
  auto keys = std::make_shared<std::vector<std::string>>();
  cmd->add_option("KEY", *keys, "the keys to delete")->required();
  cmd->callback([=, &selected] {
    selected = [=](KeyValueStore& store) {
      std::size_t removed = store.batch_remove(*keys);
      return Outcome{
          removed == 0 ? kNotFound : kOk, {{"removed", removed}}, std::to_string(removed) + "\n"};
    };
  });
}

// A command on one KEY whose result is a line of text; fn returns nullopt for a missing key.
void add_key_query(
    CLI::App& app, Command& selected, const std::string& name, const std::string& help,
    std::function<std::optional<nlohmann::json>(KeyValueStore&, const std::string&, long long)> fn,
    bool takes_number) {
  auto* cmd = app.add_subcommand(name, help);
  auto key = std::make_shared<std::string>();
  auto number = std::make_shared<long long>(1);
  cmd->add_option("KEY", *key, "the key")->required();
  if (name == "incr") cmd->add_option("--by", *number, "the amount to add (default 1)");
  if (takes_number && name != "incr")
    cmd->add_option("SECONDS", *number, "seconds from now (positive)")->required();
  cmd->callback([=, &selected] {
    selected = [=](KeyValueStore& store) {
      auto result = fn(store, *key, *number);
      if (!result) return missing(*key);
      std::string text = result->is_string() ? result->get<std::string>() : result->dump();
      return Outcome{kOk, {{"key", *key}, {name, *result}}, text + "\n"};
    };
  });
}

void add_single_key_commands(CLI::App& app, Command& selected) {
  add_key_query(
      app, selected, "exists", "exit 0 if KEY exists, 1 if not",
      [](KeyValueStore& s, const std::string& k, long long) -> std::optional<nlohmann::json> {
        if (!s.exists(k)) return std::nullopt;
        return true;
      },
      false);
  add_key_query(
      app, selected, "ttl", "seconds KEY has left (none: no expiry)",
      [](KeyValueStore& s, const std::string& k, long long) -> std::optional<nlohmann::json> {
        if (!s.exists(k)) return std::nullopt;
        auto ttl = s.ttl(k);
        return ttl ? nlohmann::json(ttl->count()) : nlohmann::json("none");
      },
      false);
  add_key_query(
      app, selected, "expire", "let KEY expire in SECONDS",
      [](KeyValueStore& s, const std::string& k,
         long long seconds) -> std::optional<nlohmann::json> {
        if (!s.expire(k, std::chrono::seconds(seconds))) return std::nullopt;
        return true;
      },
      true);
  add_key_query(
      app, selected, "persist", "remove KEY's expiry",
      [](KeyValueStore& s, const std::string& k, long long) -> std::optional<nlohmann::json> {
        if (!s.exists(k)) return std::nullopt;
        return s.persist(k);  // false: the key had no expiry, as the API says
      },
      false);
  add_key_query(
      app, selected, "incr", "add --by N (1) to the integer at KEY",
      [](KeyValueStore& s, const std::string& k, long long by) -> std::optional<nlohmann::json> {
        try {
          return s.increment(k, by);
        } catch (const InvalidArgument& e) {
          // A key that can be looked up was valid: then the value was wrong (not an integer,
          // or the sum overflows), not the command line.
          if (s.exists(k)) throw DataError(e.what());
          throw;
        }
      },
      true);
}

// Writes keys to stdout, one per line, as they come (a db of any size in constant memory).
void print_lines(const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    std::fwrite(key.data(), 1, key.size(), stdout);
    std::fputc('\n', stdout);
  }
}

// keys: in text mode every key (streamed) unless --limit; a cut is said on stderr with the
// cursor that continues. In --json mode one page (--limit, default 1000) and its next_cursor.
void add_keys(CLI::App& app, const Globals& g, Command& selected) {
  auto* keys = app.add_subcommand("keys", "keys in byte order (all of them, or --limit N)");
  struct Page {
    std::string prefix, cursor;
    std::optional<std::size_t> limit;
  };
  auto page = std::make_shared<Page>();
  keys->add_option("--prefix", page->prefix, "only keys starting with this");
  keys->add_option("--limit", page->limit,
                   "at most N keys (--json: one page, 1000 unless given); a cut names the cursor")
      ->check(at_least(1));
  keys->add_option("--cursor", page->cursor, "continue after this key (a cut's next cursor)");
  keys->callback([=, &g, &selected] {
    selected = [=, &g](KeyValueStore& store) {
      if (g.json) {
        KeyPage result = store.scan(page->prefix, page->cursor, page->limit.value_or(1000));
        return Outcome{kOk, {{"keys", result.keys}, {"next_cursor", result.next_cursor}}, ""};
      }
      constexpr std::size_t kChunk = 1000;
      std::size_t left = page->limit.value_or(std::numeric_limits<std::size_t>::max());
      std::string cursor = page->cursor;
      std::size_t printed = 0;
      while (left > 0) {
        KeyPage result = store.scan(page->prefix, cursor, std::min(left, kChunk));
        print_lines(result.keys);
        printed += result.keys.size();
        left -= result.keys.size();
        cursor = result.next_cursor;
        if (cursor.empty()) break;
      }
      std::fflush(stdout);
      if (!cursor.empty()) {
        std::cerr << "nadb: --limit " << printed << " cut the listing; more keys follow: "
                  << "--cursor '" << cursor << "' continues" << std::endl;
      }
      return Outcome{kOk, nullptr, ""};
    };
  });
}

void add_listings(CLI::App& app, const Globals& g, Command& selected) {
  add_keys(app, g, selected);

  auto* tags = app.add_subcommand("tags", "every tag with its number of keys");
  tags->callback([&selected] {
    selected = [](KeyValueStore& store) {
      auto counts = store.list_all_tags();
      std::string text;
      for (const auto& [tag, n] : counts)
        text += tag + ' ' + std::to_string(n) + '\n';
      return Outcome{kOk, {{"tags", counts}}, text};
    };
  });

  auto* query = app.add_subcommand("query", "keys matching EXPR, e.g. 'tag:a AND NOT tag:b'");
  struct QueryArgs {
    std::string expression;
    std::optional<std::size_t> page, page_size;
  };
  auto q = std::make_shared<QueryArgs>();
  query->add_option("EXPR", q->expression, "tag:NAME terms with AND, OR, NOT and parentheses")
      ->required();
  query->add_option("--page", q->page, "only this page (1-based; text: all pages unless given)");
  query->add_option("--page-size", q->page_size, "keys per page (100 unless given)");
  query->callback([=, &g, &selected] {
    selected = [=, &g](KeyValueStore& store) {
      Query parsed = Query::parse(q->expression);
      if (!g.json && !q->page && !q->page_size) {  // every matching key, a page at a time
        QueryResult r;
        for (std::size_t page = 1; page == 1 || r.has_more; ++page) {
          r = store.query(parsed, page, 1000);
          print_lines(r.keys);
        }
        std::fflush(stdout);
        return Outcome{kOk, nullptr, ""};
      }
      QueryResult r = store.query(parsed, q->page.value_or(1), q->page_size.value_or(100));
      if (!g.json && r.has_more) {
        std::cerr << "nadb: page " << r.page << " holds " << r.keys.size() << " of "
                  << r.total_count << " keys; --page " << r.page + 1 << " continues" << std::endl;
      }
      return Outcome{kOk,
                     {{"keys", r.keys},
                      {"total_count", r.total_count},
                      {"page", r.page},
                      {"page_size", r.page_size},
                      {"has_more", r.has_more}},
                     lines(r.keys)};
    };
  });
}

}  // namespace

void refuse_standard_input(const std::string& command, const std::string& instead) {
  throw CLI::ValidationError(
      command,
      "in the shell, standard input holds the commands: - cannot read it (" + instead + ")");
}

std::string read_input(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError("cannot read '" + path + "'");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void add_key_commands(CLI::App& app, const Globals& g, Command& selected) {
  add_set(app, g, selected);
  add_get(app, selected);
  add_meta(app, selected);
  add_del(app, selected);
  add_single_key_commands(app, selected);
  add_listings(app, g, selected);
}

}  // namespace nadb::cli
