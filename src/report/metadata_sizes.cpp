// Reading a --metadata-file back for its firmware sizes (a --size-baseline). nlohmann/json stays
// in this file: the rest of report/ writes JSON with fmt.
#include <nlohmann/json.hpp>

#include "report/report.h"

namespace xb {

Result<std::vector<firmware::SizeRow>> metadata_firmware_sizes(std::string_view text, const std::string& file) {
  nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object())
    return fail(file +
                " is not JSON (a --size-baseline is an earlier run's --metadata-file, its firmware-size.txt, "
                "or arm-none-eabi-size output)");
  std::vector<firmware::SizeRow> rows;
  const nlohmann::json& platforms = document.value("platforms", nlohmann::json::object());
  if (platforms.is_object()) {
    for (const auto& [platform, entry] : platforms.items()) {
      if (!platform.starts_with("none/arm/") || !entry.is_object() || !entry.contains("firmware.size")) continue;
      const nlohmann::json& size = entry["firmware.size"];
      auto field = [&](const char* name) -> std::optional<std::uint64_t> {
        if (!size.is_object() || !size.contains(name) || !size[name].is_number_unsigned()) return std::nullopt;
        return size[name].get<std::uint64_t>();
      };
      std::optional<std::uint64_t> text_size = field("text"), data = field("data"), bss = field("bss");
      if (!text_size || !data || !bss)
        return fail(file + ": \"firmware.size\" of " + platform +
                    " must hold \"text\", \"data\" and \"bss\" as byte counts");
      rows.push_back({platform.substr(std::string_view("none/arm/").size()), {*text_size, *data, *bss}});
    }
  }
  if (rows.empty())
    return fail(file +
                " is a metadata file without firmware sizes: use the --metadata-file of a run that built "
                "firmware targets (xbuild run --metadata-file FILE)");
  return rows;
}

}  // namespace xb
