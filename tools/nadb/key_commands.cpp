// The key commands of nadb: set, get, del, exists, ttl, expire, persist, incr, keys, tags,
// query.
#include <fstream>
#include <iostream>
#include <iterator>

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

void add_set(CLI::App& app, Command& selected) {
  auto* cmd = app.add_subcommand("set", "set KEY to VALUE (or --file F, or - for stdin)");
  struct Args {
    std::string key, value, file;
    std::vector<std::string> tags;
    std::optional<long long> ttl;  // given or not: 0 and negatives go to the API, which refuses
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("KEY", args->key)->required();
  auto* value = cmd->add_option("VALUE", args->value, "the value; - reads standard input");
  auto* file = cmd->add_option("--file", args->file, "read the value from a file");
  value->excludes(file);
  cmd->add_option("--tag", args->tags, "a tag (repeatable)");
  cmd->add_option("--ttl", args->ttl, "seconds to live");
  cmd->callback([args, value, file, &selected] {
    if (value->count() == 0 && file->count() == 0)
      throw CLI::ValidationError("set", "give VALUE, - or --file F");
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

void add_get(CLI::App& app, Command& selected) {
  auto* cmd =
      app.add_subcommand("get", "print the value of KEY (binary-safe), or write it to --out");
  auto key = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("KEY", *key)->required();
  cmd->add_option("--out", *out, "write the value to this file");
  cmd->callback([=, &selected] {
    selected = [=](KeyValueStore& store) {
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
  cmd->add_option("KEY", *keys)->required();
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
  cmd->add_option("KEY", *key)->required();
  if (takes_number)
    cmd->add_option(name == "incr" ? "--by" : "SECONDS", *number)->required(name != "incr");
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

void add_listings(CLI::App& app, Command& selected) {
  auto* keys = app.add_subcommand("keys", "keys in byte order, a page at a time");
  struct Page {
    std::string prefix, cursor;
    std::size_t limit = 1000;
  };
  auto page = std::make_shared<Page>();
  keys->add_option("--prefix", page->prefix);
  keys->add_option("--limit", page->limit)->capture_default_str();
  keys->add_option("--cursor", page->cursor, "the next_cursor of the previous page");
  keys->callback([=, &selected] {
    selected = [=](KeyValueStore& store) {
      KeyPage result = store.scan(page->prefix, page->cursor, page->limit);
      return Outcome{
          kOk, {{"keys", result.keys}, {"next_cursor", result.next_cursor}}, lines(result.keys)};
    };
  });

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
    std::size_t page = 1, page_size = 100;
  };
  auto q = std::make_shared<QueryArgs>();
  query->add_option("EXPR", q->expression)->required();
  query->add_option("--page", q->page)->capture_default_str();
  query->add_option("--page-size", q->page_size)->capture_default_str();
  query->callback([=, &selected] {
    selected = [=](KeyValueStore& store) {
      QueryResult r = store.query(Query::parse(q->expression), q->page, q->page_size);
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

std::string read_input(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError("cannot read '" + path + "'");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void add_key_commands(CLI::App& app, Command& selected) {
  add_set(app, selected);
  add_get(app, selected);
  add_del(app, selected);
  add_single_key_commands(app, selected);
  add_listings(app, selected);
}

}  // namespace nadb::cli
