#include "build/firmware_sizes.h"

#include "firmware/artifact.h"
#include "report/report.h"
#include "run/terminal.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

firmware::Budget budget_of(const FirmwareSpec& spec, const std::string& target) {
  auto limit = [&](const std::map<std::string, std::uint64_t>& limits) -> std::optional<std::uint64_t> {
    if (auto found = limits.find(target); found != limits.end()) return found->second;
    if (auto all = limits.find(""); all != limits.end()) return all->second;
    return std::nullopt;
  };
  return {limit(spec.max_flash), limit(spec.max_ram)};
}

}  // namespace

SizeBaseline read_size_baseline(const std::optional<fs::path>& file, const Config& config) {
  SizeBaseline baseline;
  if (!file) return baseline;
  baseline.file = fs::absolute(*file).lexically_normal();
  std::vector<std::string> targets;
  for (const Platform& platform : config.platforms)
    if (is_bare_metal(platform)) targets.push_back(platform.variant);
  if (targets.empty())
    throw Error("--size-baseline " + file->string() + ": " + config.file.string() +
                    " builds no firmware targets; add them to [targets] firmware, or drop --size-baseline",
                2);
  Result<std::string> text = read_file(*baseline.file);
  if (!text) throw Error("cannot read the size baseline: " + text.error(), 2);
  // A --metadata-file of an earlier run is JSON; a size table is text.
  const std::size_t first = text.value().find_first_not_of(" \t\r\n");
  Result<std::vector<firmware::SizeRow>> rows =
      first != std::string::npos && text.value()[first] == '{'
          ? metadata_firmware_sizes(text.value(), "the size baseline " + file->string())
          : firmware::parse_size_table(text.value(), file->string());
  if (!rows) throw Error(rows.error(), 2);
  Result<std::map<std::string, firmware::Sizes>> matched =
      firmware::match_baseline(rows.value(), targets, file->string());
  if (!matched) throw Error(matched.error(), 2);
  baseline.sizes = matched.value();
  return baseline;
}

fs::path size_table_file(const Plan& plan) { return plan.state_dir / "firmware-size.txt"; }

std::map<std::string, firmware::Sizes> check_firmware_sizes(const Config& config, const Plan& plan,
                                                            const SizeBaseline& baseline, Terminal& terminal) {
  std::map<std::string, firmware::Sizes> by_platform;
  std::vector<firmware::TargetSizes> measured;
  std::vector<std::string> overruns;
  for (const TargetPlan& target : plan.targets) {
    if (!target.firmware || !fs::is_regular_file(target.firmware->elf)) continue;
    const std::string& name = target.firmware->target.name;
    Result<firmware::SizeReport> report = firmware::size_report(target.firmware->target, target.firmware->elf);
    if (!report) throw Error(target.platform.str() + ": " + report.error());
    firmware::TargetSizes sizes{name,
                                {report.value().text, report.value().data, report.value().bss},
                                std::nullopt,
                                budget_of(config.firmware, name)};
    if (auto found = baseline.sizes.find(name); found != baseline.sizes.end()) sizes.baseline = found->second;
    terminal.status_line(firmware::size_line(sizes, baseline.file.has_value()));
    for (std::string& line : firmware::budget_overruns(name, sizes.sizes, sizes.budget)) overruns.push_back(line);
    measured.push_back(sizes);
    by_platform[target.platform.str()] = sizes.sizes;
  }
  if (measured.empty()) return by_platform;
  Status written =
      write_file_atomic(size_table_file(plan), firmware::render_size_table(measured, baseline.file.has_value()));
  if (!written) throw Error(written.error());
  if (!overruns.empty())
    throw Error(join(overruns, "\n") + "\nmake the firmware smaller, or raise max_flash / max_ram in [firmware] of " +
                config.file.string());
  return by_platform;
}

}  // namespace xb
