#include "backup/manifest.hpp"

#include <nlohmann/json.hpp>

#include "nadb/errors.hpp"
#include "util/encoding.hpp"

namespace nadb::backup {
namespace {

using Json = nlohmann::json;

// The document with a "checksum" over its other fields (sorted keys: a canonical text).
std::string sealed(Json document, std::string* seal = nullptr) {
  document.erase("checksum");
  std::string checksum = util::sha256_hex(document.dump());
  if (seal) *seal = checksum;
  document["checksum"] = std::move(checksum);
  return document.dump(1);
}

Json unsealed(const std::string& text, const std::string& what, std::string* seal = nullptr) {
  Json document = Json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains("checksum") ||
      !document["checksum"].is_string()) {
    throw Corruption(what + " is not a NADB backup document");
  }
  std::string checksum = document["checksum"].get<std::string>();
  document.erase("checksum");
  if (util::sha256_hex(document.dump()) != checksum) throw Corruption(what + " fails its checksum");
  if (seal) *seal = checksum;
  // Typed checks only: value() would throw json's own type_error for a mistyped field.
  auto version = document.find("format_version");
  if (version == document.end() || !version->is_number_integer() ||
      version->get<std::int64_t>() != kBackupFormatVersion) {
    throw Corruption(what + " has an unsupported format version");
  }
  return document;
}

// Names a manifest gives (its id, its parent's, its files') become paths under the backup
// folder: anything but a plain name could point elsewhere ("../../x").
void check_plain_name(const std::string& name, const std::string& what) {
  bool plain = !name.empty() && name != "." && name != ".." &&
               name.find_first_not_of(
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789._-") == std::string::npos;
  if (!plain) throw Corruption(what + " names '" + name + "', which is not a plain file name");
}

}  // namespace

std::string manifest_to_json(const Manifest& m, std::string* seal) {
  Json files = Json::array();
  for (const auto& f : m.files) {
    files.push_back({{"name", f.name},
                     {"size", f.size},
                     {"sha256", f.sha256},
                     {"compressed", f.compressed},
                     {"raw_size", f.raw_size},
                     {"raw_sha256", f.raw_sha256}});
  }
  const BackupInfo& i = m.info;
  return sealed({{"format_version", kBackupFormatVersion},
                 {"id", i.id},
                 {"type", i.type},
                 {"parent", i.parent},
                 {"created_at", i.created_at},
                 {"db", i.db},
                 {"namespaces", i.namespaces},
                 {"key_count", i.key_count},
                 {"compressed", i.compressed},
                 {"live_files", m.live_files},
                 {"logical", m.logical},
                 {"snapshot_ms", m.snapshot_ms},
                 {"files", files}},
                seal);
}

Manifest manifest_from_json(const std::string& text, const std::string& what) {
  Manifest m;
  Json d = unsealed(text, what, &m.info.checksum);
  try {
    BackupInfo& i = m.info;
    i.id = d.at("id");
    i.type = d.at("type");
    i.parent = d.at("parent");
    i.created_at = d.at("created_at");
    i.db = d.at("db");
    i.namespaces = d.at("namespaces").get<std::vector<std::string>>();
    i.key_count = d.at("key_count");
    i.compressed = d.at("compressed");
    m.live_files = d.at("live_files").get<std::vector<std::string>>();
    m.logical = d.value("logical", false);  // absent from the first physical manifests
    m.snapshot_ms = d.value("snapshot_ms", std::int64_t{0});
    for (const auto& f : d.at("files")) {
      m.files.push_back(ManifestFile{f.at("name"), f.at("size"), f.at("sha256"), f.at("compressed"),
                                     f.at("raw_size"), f.at("raw_sha256")});
      i.stored_bytes += m.files.back().size;
    }
    i.file_count = m.files.size();
  } catch (const Json::exception& e) {
    throw Corruption(what + " is malformed: " + e.what());
  }
  check_plain_name(m.info.id, what);
  if (!m.info.parent.empty()) check_plain_name(m.info.parent, what);
  for (const auto& f : m.files)
    check_plain_name(f.name, what);
  for (const auto& name : m.live_files)
    check_plain_name(name, what);
  return m;
}

std::string index_to_json(const BackupIndex& index) {
  return sealed(
      {{"format_version", kBackupFormatVersion}, {"kind", index.kind}, {"backups", index.ids}});
}

BackupIndex index_from_json(const std::string& text, const std::string& what) {
  Json d = unsealed(text, what);
  try {
    BackupIndex index;
    index.ids = d.at("backups").get<std::vector<std::string>>();
    if (d.contains("kind")) index.kind = d.at("kind").get<std::string>();
    for (const auto& id : index.ids)
      check_plain_name(id, what);
    return index;
  } catch (const Json::exception& e) {
    throw Corruption(what + " is malformed: " + e.what());
  }
}

}  // namespace nadb::backup
