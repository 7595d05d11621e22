// [firmware] max_flash and max_ram: how much flash and RAM each bare-metal target's firmware may
// take. A value is a size ("256K", "1M", "65536" or 65536: bytes, K = 1024, M = 1024 K) for every
// target, or an inline table of sizes by firmware target name ({ cortex-m4 = "256K" }) for those
// targets only. The run compares them with arm-none-eabi-size's numbers (build/firmware_sizes.h).
#include <algorithm>
#include <cctype>

#include "config/sections.h"

namespace xb {

namespace {

constexpr std::uint64_t kMaxSize = std::uint64_t{4096} << 20;  // 4096M: no Cortex-M maps more

// Bytes of "256K", "1M", "64KiB", "65536"; nullopt when it is none of those forms.
std::optional<std::uint64_t> parse_size(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 10) return std::nullopt;
  const std::string suffix = text.substr(digits);
  std::uint64_t unit = 1;
  if (suffix == "K" || suffix == "KiB")
    unit = 1024;
  else if (suffix == "M" || suffix == "MiB")
    unit = 1024 * 1024;
  else if (!suffix.empty())
    return std::nullopt;
  return std::stoull(text.substr(0, digits)) * unit;
}

// One size: a string with an optional suffix, or an integer of bytes. `what` names it in
// messages ("\"max_flash\" in [firmware]", "cortex-m4 in \"max_flash\" of [firmware]").
std::optional<std::uint64_t> read_size(TomlReader& reader, const TomlValue& value, const std::string& what) {
  std::optional<std::uint64_t> bytes;
  std::string shown;
  if (const std::int64_t* number = value.as_integer()) {
    shown = std::to_string(*number);
    if (*number > 0) bytes = static_cast<std::uint64_t>(*number);
  } else if (const std::string* text = value.as_string()) {
    shown = in_quotes(*text);
    bytes = parse_size(*text);
    if (!bytes) {
      reader.report(value, "invalid size " + shown + " for " + what +
                               ": expected bytes with an optional K or M suffix (K = 1024 bytes), such as \"256K\", "
                               "\"1M\" or \"65536\"");
      return std::nullopt;
    }
  } else {
    reader.report(value, what + ": expected a size such as \"256K\", found " + value.type_name());
    return std::nullopt;
  }
  if (!bytes || *bytes == 0) {
    reader.report(value, what + " must be more than 0 bytes, got " + shown);
    return std::nullopt;
  }
  if (*bytes > kMaxSize) {
    reader.report(value, what + " must be at most \"4096M\", got " + shown);
    return std::nullopt;
  }
  return bytes;
}

void read_limit(TomlReader& reader, const TomlTable& firmware, const std::string& key, const Config& config,
                std::map<std::string, std::uint64_t>& limits) {
  const TomlValue* value = firmware.get(key);
  if (!value) return;
  const std::string what = in_quotes(key) + " in [firmware]";
  if (value->as_string() || value->as_integer()) {
    if (std::optional<std::uint64_t> bytes = read_size(reader, *value, what)) limits[""] = *bytes;
    return;
  }
  const TomlTable* by_target = value->as_table();
  if (!by_target) {
    reader.wrong_type(*value, key, "[firmware]",
                      "a size such as \"256K\", or a table of sizes by firmware target such as { cortex-m4 = "
                      "\"256K\" }");
    return;
  }
  std::vector<std::string> targets;
  for (const Platform& platform : config.platforms)
    if (is_bare_metal(platform)) targets.push_back(platform.variant);
  for (const TomlEntry* entry : by_target->in_written_order()) {
    if (std::find(targets.begin(), targets.end(), entry->key) == targets.end()) {
      reader.report(entry->key_position, in_quotes(entry->key) + " in " + what +
                                             " is not a firmware target of [targets]" +
                                             did_you_mean(entry->key, targets, "the firmware targets are ", "and"));
      continue;
    }
    if (std::optional<std::uint64_t> bytes =
            read_size(reader, entry->value, header_key(entry->key) + " in " + in_quotes(key) + " of [firmware]"))
      limits[entry->key] = *bytes;
  }
}

}  // namespace

void read_firmware_budget(TomlReader& reader, const TomlTable& firmware, Config& config) {
  read_limit(reader, firmware, "max_flash", config, config.firmware.max_flash);
  read_limit(reader, firmware, "max_ram", config, config.firmware.max_ram);
}

}  // namespace xb
