#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace nadb::bench {
namespace {

using Json = nlohmann::json;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string cell(const char* format, double value) {
  char text[48];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string seconds_text(double secs) {
  return secs < 1 ? cell("%.1f ms", secs * 1000) : cell("%.2f s", secs);
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

std::string bytes_text(double bytes) {
  return cell("%.1f MB", bytes / 1e6);
}

// The cold-open figures shown (cold_open.hpp): row name, figure, format.
struct ColdFigure {
  const char* name;
  const char* figure;
  const char* format;
};
constexpr ColdFigure kColdFigures[] = {{"open+get", "open_get_ms", "%.1f ms"},
                                       {"anon/key", "anon_bytes_per_key", "%.1f B"},
                                       {"nadb get", "cli_get_ms", "%.1f ms"}};

}  // namespace

Json summarize(const std::vector<Json>& results, int repetitions) {
  std::map<std::string, std::map<std::string, std::vector<double>>> secs;  // system -> phase
  std::map<std::string, std::vector<double>> disk, memory;
  std::map<std::string, std::map<std::string, std::vector<double>>> cold;  // system -> figure
  Json ops = Json::object();  // phase -> operations in it
  for (const auto& r : results) {
    const std::string system = r["system"];
    const Json figures = r.value("cold_open", Json::object());
    for (const auto& [figure, value] : figures.items())
      cold[system][figure].push_back(value.get<double>());
    for (const auto& [phase, data] : r["phases"].items()) {
      secs[system][phase].push_back(data["secs"]);
      ops[phase] = data["ops"];
    }
    disk[system].push_back(r["disk_bytes"].get<double>());
    memory[system].push_back(r["memory_kb"].get<double>());
  }
  Json summary = {{"n", results.empty() ? Json(0) : results.front()["n"]},
                  {"repetitions", repetitions},
                  {"ops", ops},
                  {"median_secs", Json::object()},
                  {"ratio_to_nadb_fs", Json::object()},
                  {"median_disk_bytes", Json::object()},
                  {"median_memory_kb", Json::object()},
                  {"median_cold_open", Json::object()}};
  for (const auto& [system, phases] : secs) {
    for (const auto& [phase, values] : phases) {
      summary["median_secs"][system][phase] = median(values);
      for (const char* base : {"nadb-fs", "redis-raw"}) {
        if (secs.count(base) && secs[base].count(phase)) {
          summary[std::string("ratio_to_") + (base[0] == 'n' ? "nadb_fs" : "redis_raw")][system]
                 [phase] = median(values) / median(secs[base][phase]);
        }
      }
    }
    summary["median_disk_bytes"][system] = median(disk[system]);
    summary["median_memory_kb"][system] = median(memory[system]);
  }
  for (const auto& [system, figures] : cold) {
    for (const auto& [figure, values] : figures)
      summary["median_cold_open"][system][figure] = median(values);
  }
  return summary;
}

std::string summary_table(const Json& summary, const std::vector<std::string>& systems) {
  const Json& medians = summary["median_secs"];
  const Json& ratios = summary["ratio_to_nadb_fs"];
  std::string out = "N = " + summary["n"].dump() + ", medians of " + summary["repetitions"].dump() +
                    " interleaved runs; (x) = time ÷ nadb-fs's, above 1: nadb-fs is faster\n";
  auto row = [&](const std::string& name, auto&& text_of) {
    out += pad(name, 10);
    for (const auto& system : systems)
      out += " " + pad(text_of(system), 22);
    out += "\n";
  };
  row("", [](const std::string& system) { return system; });
  for (const char* phase : {"a_set", "b_get", "c_query", "d_delete", "e_reopen"}) {
    row(phase, [&](const std::string& system) -> std::string {
      if (!medians.contains(system) || !medians[system].contains(phase)) return "-";
      std::string text = seconds_text(medians[system][phase]);
      if (system != "nadb-fs" && ratios.contains(system) && ratios[system].contains(phase))
        text += cell(" (%.2f)", ratios[system][phase]);
      return text;
    });
  }
  row("memory", [&](const std::string& system) {
    return bytes_text(summary["median_memory_kb"].value(system, 0.0) * 1024);
  });
  row("disk", [&](const std::string& system) {
    return bytes_text(summary["median_disk_bytes"].value(system, 0.0));
  });
  const Json& cold = summary["median_cold_open"];
  for (const auto& [name, figure, format] : kColdFigures) {
    row(name, [&](const std::string& system) -> std::string {
      if (!cold.contains(system) || !cold[system].contains(figure)) return "-";
      return cell(format, cold[system][figure]);
    });
  }
  return out;
}

Json scale_summary(const std::vector<Json>& summaries) {
  Json scale = {{"n", Json::array()}, {"us_per_op", Json::object()}, {"cold_open", Json::object()}};
  for (const auto& summary : summaries) {
    scale["n"].push_back(summary["n"]);
    const Json cold = summary.value("median_cold_open", Json::object());
    for (const auto& [system, figures] : cold.items()) {
      for (const auto& [figure, value] : figures.items())
        scale["cold_open"][system][figure].push_back(value);
    }
    for (const auto& [system, phases] : summary["median_secs"].items()) {
      for (const auto& [phase, secs] : phases.items()) {
        double ops = summary["ops"].value(phase, 1.0);
        scale["us_per_op"][system][phase].push_back(secs.get<double>() * 1e6 / ops);
      }
    }
  }
  return scale;
}

std::string scale_table(const Json& scale, const std::vector<std::string>& systems) {
  std::string out =
      "cost per operation (µs) at each N; (x) = ÷ the previous N's: 1 is flat, 10 is linear "
      "in a 10× step\n" +
      pad("", 22);
  for (const auto& n : scale["n"])
    out += " " + pad("N = " + n.dump(), 20);
  out += "\n";
  for (const auto& system : systems) {
    if (!scale["us_per_op"].contains(system)) continue;
    for (const auto& [phase, costs] : scale["us_per_op"][system].items()) {
      out += pad(system + " " + phase, 22);
      for (std::size_t i = 0; i < costs.size(); ++i) {
        double cost = costs[i];
        std::string text = cell(cost < 100 ? "%.2f" : "%.0f", cost);
        if (i > 0) text += cell(" (%.2f)", cost / costs[i - 1].get<double>());
        out += " " + pad(text, 20);
      }
      out += "\n";
    }
    if (!scale["cold_open"].contains(system)) continue;
    for (const auto& [name, figure, format] : kColdFigures) {
      if (!scale["cold_open"][system].contains(figure)) continue;
      out += pad(system + " " + name, 22);
      for (const auto& value : scale["cold_open"][system][figure])
        out += " " + pad(cell(format, value), 20);
      out += "\n";
    }
  }
  return out;
}

}  // namespace nadb::bench
