// NADB quickstart: values, tags, TTL, compression and durability on the embedded fs backend.
// Usage: quickstart [DATA_FOLDER]   (default ./data)
#include <nadb/nadb.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::cout << std::boolalpha;
  nadb::Options options;
  options.data_folder = argc > 1 ? argv[1] : "./data";
  options.db = "quickstart";
  options.ns = "users";

  try {
    nadb::KeyValueStore store(options);
    std::cout << "opened " << store.name() << " in " << options.data_folder << " (backend "
              << store.capabilities().name << ")\n";

    // Values are bytes; tags are a set per key.
    store.set("user:1", R"({"name":"Ada"})", {"admin", "active"});
    store.set("user:2", R"({"name":"Linus"})", {"active"});
    std::cout << "get user:1 -> " << store.get("user:1").value_or("<missing>") << "\n";

    auto meta = store.get_metadata("user:1");
    std::cout << "user:1 tags:";
    for (const auto& tag : meta->tags)
      std::cout << ' ' << tag;
    std::cout << "  version " << meta->version << "\n";

    // A plain set replaces value, tags and TTL.
    store.set("user:1", R"({"name":"Ada Lovelace"})");
    std::cout << "after plain set, user:1 has " << store.get_metadata("user:1")->tags.size()
              << " tags\n";

    // TTL: invisible at its expiry instant, reclaimed later.
    store.set_with_ttl("session:abc", "token", 1s);
    std::cout << "session:abc ttl " << store.ttl("session:abc")->count() << " s, exists "
              << store.exists("session:abc") << "\n";
    std::this_thread::sleep_for(1100ms);
    std::cout << "after 1.1 s, session:abc exists " << store.exists("session:abc") << "\n";

    // Compression: values of at least compression_threshold bytes are stored compressed.
    std::string report;  // a JSON-lines log: repetitive, as real logs are
    for (int i = 0; report.size() < 64 * 1024; ++i) {
      report += "{\"ts\":" + std::to_string(1764000000 + i * 7) +
                ",\"user\":" + std::to_string(i * 7919 % 1000) + ",\"msg\":\"page served\"}\n";
    }
    store.set("report:2026", report, {"reports"});
    auto stored = store.get_metadata("report:2026");
    std::cout << "report:2026 is " << stored->size << " bytes, stored as " << stored->stored_size
              << " (compressed: " << (stored->compressed ? "yes" : "no") << ")\n";

    // Counters, conditional writes, ordered scans.
    store.increment("visits", 5);
    std::cout << "visits -> " << store.increment("visits") << "\n";
    std::cout << "set_if_absent user:2 -> " << store.set_if_absent("user:2", "x") << "\n";
    std::cout << "keys with prefix 'user:':";
    for (const auto& key : store.scan("user:").keys)
      std::cout << ' ' << key;
    std::cout << "\n";

    // flush() returns once everything before it is durable (on disk, fsynced).
    store.flush();
    auto stats = store.get_stats();
    std::cout << "live keys " << stats.key_count << ", on disk " << stats.storage.disk_bytes
              << " bytes in " << stats.storage.segments << " segment(s); compression ratio "
              << stats.compression_ratio << "\n";
  } catch (const nadb::Error& e) {
    std::cerr << "quickstart: " << nadb::error_code_name(e.code()) << ": " << e.what() << "\n";
    return 1;
  }

  // Reopen: everything acknowledged is there.
  nadb::KeyValueStore reopened(options);
  std::cout << "reopened: user:2 -> " << reopened.get("user:2").value_or("<missing>")
            << ", report:2026 " << reopened.get("report:2026")->size() << " bytes, "
            << reopened.get_all_keys().size() << " keys\n";
  return 0;
}
