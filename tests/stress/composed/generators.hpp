// What the composed test writes: keys, tags and names from a hostile alphabet (the brace,
// glob and separator characters of the Redis layout, NUL, our own folder and key names), and
// values whose sizes cross the compression threshold and every batch limit.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace nadb::testing::composed {

using Rng = std::mt19937_64;

inline std::size_t pick(Rng& rng, std::size_t n) {
  return static_cast<std::size_t>(rng() % n);
}
inline bool chance(Rng& rng, double p) {
  return std::uniform_real_distribution<double>(0, 1)(rng) < p;
}

// Fragments keys and tags are made of: what could be mistaken for structure somewhere.
inline const std::vector<std::string>& hostile_fragments() {
  static const std::vector<std::string> fragments = {
      "{",   "}",     ":",   "*",   "?",    "[",       "]",       "\\", std::string(1, '\0'),
      "gen", "}:gen", ":m:", ":t:", "tags", "restore", "backups", "..", "/",
      "k",   "x",     "é",   " ",   "\n",   "%d",      "\xff"};
  return fragments;
}

// Drops every name with a closing brace (hunting past the Redis layout's brace defects).
inline std::vector<std::string> without_braces(std::vector<std::string> names) {
  std::erase_if(names, [](const std::string& s) { return s.find('}') != std::string::npos; });
  return names;
}

// The key universe of one run: short hostile keys, one of 64 KiB, one of a single byte.
inline std::vector<std::string> make_keys(Rng& rng, std::size_t n) {
  const auto& f = hostile_fragments();
  std::vector<std::string> keys = {"z}:gen", std::string(64 << 10, 'K'), "a", "tags",
                                   std::string("n\0l", 3)};
  while (keys.size() < n) {
    std::string key;
    for (std::size_t parts = 1 + pick(rng, 4); parts > 0; --parts)
      key += f[pick(rng, f.size())];
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  return keys;
}

// Tags: any bytes but NUL.
inline std::vector<std::string> make_tags(Rng& rng, std::size_t n) {
  const auto& f = hostile_fragments();
  std::vector<std::string> tags = {"red", "t}:gen", "*", "[x]"};
  while (tags.size() < n) {
    std::string tag;
    for (std::size_t parts = 1 + pick(rng, 3); parts > 0; --parts) {
      const std::string& part = f[pick(rng, f.size())];
      if (part.find('\0') == std::string::npos) tag += part;
    }
    if (!tag.empty() && std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
  }
  return tags;
}

inline std::vector<std::string> pick_tags(Rng& rng, const std::vector<std::string>& pool) {
  std::vector<std::string> tags;
  for (const auto& t : pool) {
    if (chance(rng, 0.3)) tags.push_back(t);
  }
  std::sort(tags.begin(), tags.end());
  return tags;
}

// Appends compressible text to value until it has at least size bytes.
inline void append_text(std::string& value, std::size_t size, std::uint64_t serial) {
  while (value.size() < size)
    value.append("compressible text " + std::to_string(serial) + " ");
}

// A value: mostly small; some compressible text above the compression threshold; a fifth
// random bytes up to max_size (which cross the byte limits of replays and batches).
inline std::shared_ptr<const std::string> make_value(Rng& rng, std::size_t max_size,
                                                     std::uint64_t serial) {
  auto value = std::make_shared<std::string>("v" + std::to_string(serial) + ":");
  unsigned roll = static_cast<unsigned>(pick(rng, 100));
  if (roll < 5) return std::make_shared<std::string>();  // empty
  if (roll < 60) {
    value->append(pick(rng, 100), static_cast<char>('a' + serial % 26));
  } else if (roll < 80) {
    append_text(*value, 1024 + pick(rng, 8192), serial);
  } else {
    std::size_t n = std::min<std::size_t>(max_size, 16 << 10) +
                    pick(rng, max_size > (16u << 10) ? max_size - (16 << 10) + 1 : 1);
    std::uint64_t x = rng() | 1;
    value->resize(n);
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      std::memcpy(value->data() + i, &x, 8);
    }
  }
  return value;
}

}  // namespace nadb::testing::composed
