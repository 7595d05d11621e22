// Sizes, budgets and baselines. A size table is read by its header: the columns are found by
// name, so the Berkeley output of arm-none-eabi-size ("text data bss dec hex filename") and the
// table a run writes ("text data bss flash ram ... target") both serve as a baseline; the name
// column is the last one and takes the rest of the line. A baseline row belongs to the target
// it names (by name or by its ELF's name, "cortex-m4.elf"); a lone row of a lone target belongs
// to it whatever it names, as an artifact's NAME.size.txt names its ELF and not its target.
#include "firmware/size_budget.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "util/strings.h"

namespace xb::firmware {

namespace {

// The fields of a line split at spaces and tabs, at most `limit`; the last holds the rest.
std::vector<std::string> fields(std::string_view line, std::size_t limit) {
  std::vector<std::string> result;
  std::size_t at = 0;
  while (true) {
    at = line.find_first_not_of(" \t\r", at);
    if (at == std::string_view::npos) break;
    if (result.size() + 1 == limit) {
      std::string rest(line.substr(at));
      while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t' || rest.back() == '\r')) rest.pop_back();
      result.push_back(rest);
      break;
    }
    std::size_t end = line.find_first_of(" \t\r", at);
    result.emplace_back(line.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
    if (end == std::string_view::npos) break;
    at = end;
  }
  return result;
}

std::optional<std::uint64_t> number(const std::string& text) {
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoull(text);
}

std::string signed_delta(std::uint64_t now, std::uint64_t before) {
  return now >= before ? "+" + std::to_string(now - before) : "-" + std::to_string(before - now);
}

std::string with_delta(std::uint64_t now, const std::optional<std::uint64_t>& before) {
  return std::to_string(now) + (before ? " (" + signed_delta(now, *before) + ")" : "");
}

std::string of_limit(std::uint64_t bytes, const std::optional<std::uint64_t>& limit) {
  if (!limit) return std::to_string(bytes);
  char percent[32];
  std::snprintf(percent, sizeof percent, "%.1f%%", 100.0 * static_cast<double>(bytes) / static_cast<double>(*limit));
  return std::to_string(bytes) + " of " + format_bytes(*limit) + " (" + percent + ")";
}

}  // namespace

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const bool mebi = bytes >= 1024 * 1024;
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", static_cast<double>(bytes) / (mebi ? 1024.0 * 1024.0 : 1024.0));
  std::string shown = text;
  if (shown.ends_with(".0")) shown.resize(shown.size() - 2);
  return shown + (mebi ? " MiB" : " KiB");
}

std::vector<std::string> budget_overruns(const std::string& target, const Sizes& sizes, const Budget& budget) {
  std::vector<std::string> lines;
  if (budget.max_flash && sizes.flash() > *budget.max_flash)
    lines.push_back(target + ": flash " + format_bytes(sizes.flash()) + " > max_flash " +
                    format_bytes(*budget.max_flash) + ", " + format_bytes(sizes.flash() - *budget.max_flash) +
                    " over (text " + format_bytes(sizes.text) + " + data " + format_bytes(sizes.data) + ")");
  if (budget.max_ram && sizes.ram() > *budget.max_ram)
    lines.push_back(target + ": ram " + format_bytes(sizes.ram()) + " > max_ram " + format_bytes(*budget.max_ram) +
                    ", " + format_bytes(sizes.ram() - *budget.max_ram) + " over (data " + format_bytes(sizes.data) +
                    " + bss " + format_bytes(sizes.bss) + ")");
  return lines;
}

Result<std::vector<SizeRow>> parse_size_table(std::string_view text, const std::string& file) {
  std::vector<std::string> lines = split(std::string(text), '\n');
  std::vector<std::string> header = lines.empty() ? std::vector<std::string>{} : fields(lines[0], 64);
  auto column = [&](const char* name) -> std::optional<std::size_t> {
    auto found = std::find(header.begin(), header.end(), name);
    if (found == header.end()) return std::nullopt;
    return static_cast<std::size_t>(found - header.begin());
  };
  std::optional<std::size_t> text_at = column("text"), data_at = column("data"), bss_at = column("bss");
  if (!text_at || !data_at || !bss_at || header.size() < 4 ||
      (header.back() != "target" && header.back() != "filename"))
    return Failure{"the size baseline " + file +
                   " is not a size table: its first line must name the columns text, data and bss, and last target "
                   "or filename (as arm-none-eabi-size prints them, or as xbuild run writes "
                   "<state dir>/firmware-size.txt)"};
  std::vector<SizeRow> rows;
  for (std::size_t index = 1; index < lines.size(); ++index) {
    if (lines[index].find_first_not_of(" \t\r") == std::string::npos) continue;
    std::vector<std::string> row = fields(lines[index], header.size());
    std::optional<std::uint64_t> text_bytes, data_bytes, bss_bytes;
    if (row.size() == header.size()) {
      text_bytes = number(row[*text_at]);
      data_bytes = number(row[*data_at]);
      bss_bytes = number(row[*bss_at]);
    }
    if (!text_bytes || !data_bytes || !bss_bytes)
      return Failure{"the size baseline " + file + ":" + std::to_string(index + 1) + ": expected " +
                     std::to_string(header.size()) + " columns with numbers under text, data and bss, found \"" +
                     lines[index] + "\""};
    rows.push_back({row.back(), {*text_bytes, *data_bytes, *bss_bytes}});
  }
  if (rows.empty()) return Failure{"the size baseline " + file + " has no rows under its header"};
  return rows;
}

Result<std::map<std::string, Sizes>> match_baseline(const std::vector<SizeRow>& rows,
                                                    const std::vector<std::string>& targets, const std::string& file) {
  std::map<std::string, Sizes> matched;
  for (const std::string& target : targets)
    for (const SizeRow& row : rows)
      if (row.name == target || std::filesystem::path(row.name).stem() == target) matched[target] = row.sizes;
  if (matched.empty() && rows.size() == 1 && targets.size() == 1) matched[targets.front()] = rows.front().sizes;
  if (matched.empty()) {
    std::vector<std::string> names;
    for (const SizeRow& row : rows) names.push_back(row.name);
    return Failure{"the size baseline " + file + " names none of the firmware targets (" + join(targets, ", ") +
                   "), only " + join(names, ", ") +
                   "; use the firmware-size.txt of an earlier run, which names each target"};
  }
  return matched;
}

std::string size_line(const TargetSizes& target, bool have_baseline) {
  const Sizes& now = target.sizes;
  const std::optional<Sizes>& before = target.baseline;
  auto was = [&](std::uint64_t Sizes::*field) -> std::optional<std::uint64_t> {
    return before ? std::optional<std::uint64_t>((*before).*field) : std::nullopt;
  };
  std::string line = "firmware " + target.target + ": text " + with_delta(now.text, was(&Sizes::text)) + ", data " +
                     with_delta(now.data, was(&Sizes::data)) + ", bss " + with_delta(now.bss, was(&Sizes::bss)) +
                     "; flash " + of_limit(now.flash(), target.budget.max_flash) + ", ram " +
                     of_limit(now.ram(), target.budget.max_ram);
  if (have_baseline && !before) line += "; no baseline for it";
  return line;
}

std::string render_size_table(const std::vector<TargetSizes>& targets, bool have_baseline) {
  std::ostringstream table;
  table << "text\tdata\tbss\tflash\tram\t" << (have_baseline ? "text_delta\tdata_delta\tbss_delta\t" : "")
        << "target\n";
  for (const TargetSizes& target : targets) {
    const Sizes& now = target.sizes;
    table << now.text << "\t" << now.data << "\t" << now.bss << "\t" << now.flash() << "\t" << now.ram() << "\t";
    if (have_baseline) {
      if (target.baseline)
        table << signed_delta(now.text, target.baseline->text) << "\t" << signed_delta(now.data, target.baseline->data)
              << "\t" << signed_delta(now.bss, target.baseline->bss) << "\t";
      else
        table << "none\tnone\tnone\t";
    }
    table << target.target << "\n";
  }
  return table.str();
}

}  // namespace xb::firmware
