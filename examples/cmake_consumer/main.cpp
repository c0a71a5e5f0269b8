// A program of its own that links an installed NADB (see CMakeLists.txt next to it).
// Usage: consumer DATA_FOLDER
#include <nadb/nadb.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer DATA_FOLDER\n";
    return 2;
  }
  nadb::Options options;
  options.data_folder = argv[1];
  nadb::KeyValueStore store(options);
  store.set("greeting", "hello from an installed nadb", {"demo"});
  std::cout << store.get("greeting").value_or("<missing>") << "\n";
  std::cout << "keys tagged demo: " << store.query_by_tags({"demo"}).size() << "\n";
  return 0;
}
