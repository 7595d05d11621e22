// Reading --metadata-file documents back: for their firmware sizes (a --size-baseline), their
// stage durations (`--shard I/N --durations FILE`), and for `xbuild merge --metadata-file` (merge_metadata of
// report/merged_reports.h). nlohmann/json stays in this file: the rest of report/ writes JSON with fmt.
#include <nlohmann/json.hpp>

#include <map>

#include "report/merged_reports.h"
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

Result<std::map<std::string, double>> metadata_durations(std::string_view text, const std::string& file) {
  nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains("platforms") ||
      !document["platforms"].is_object())
    return fail(file + " is not the --metadata-file of an xbuild run (no \"platforms\" object)");
  std::map<std::string, double> costs;
  for (const auto& [platform, entry] : document["platforms"].items()) {
    if (!entry.is_object() || !entry.contains("durations")) continue;
    const nlohmann::json& durations = entry["durations"];
    if (!durations.is_object())
      return fail(file + ": \"durations\" of " + platform + " is not an object of stage names and seconds");
    double sum = 0;
    for (const auto& [stage, seconds] : durations.items()) {
      if (!seconds.is_number() || seconds.get<double>() < 0)
        return fail(file + ": \"durations\" of " + platform + ": \"" + stage + "\" is " + seconds.dump() +
                    ", not a number of seconds >= 0");
      sum += seconds.get<double>();
    }
    costs[platform] = sum;
  }
  return costs;
}

Result<std::string> merge_metadata(const std::vector<MetadataSource>& sources, const MergedIndex& index) {
  nlohmann::ordered_json merged = nlohmann::ordered_json::object();
  merged["containerimage.descriptor"] = {
      {"mediaType", "application/vnd.oci.image.index.v1+json"}, {"digest", index.digest}, {"size", index.size}};
  merged["containerimage.digest"] = index.digest;
  nlohmann::ordered_json platforms = nlohmann::ordered_json::object();
  std::map<std::string, std::string> found_in;
  for (const MetadataSource& source : sources) {
    const std::string& file = source.report.file;
    nlohmann::ordered_json document = nlohmann::ordered_json::parse(source.report.text, nullptr, false);
    if (document.is_discarded() || !document.is_object() || !document.contains("platforms") ||
        !document["platforms"].is_object())
      return fail(file + " is not the --metadata-file of an xbuild run (no \"platforms\" object)");
    std::string digest = document.value("containerimage.digest", std::string());
    if (digest != source.index_digest)
      return fail(file + " names the index " + (digest.empty() ? std::string("none") : digest) +
                  ", but its layout holds " +
                  (source.index_digest.empty() ? std::string("none") : source.index_digest) +
                  ": it is the report of another run; run the shard again");
    if (!merged.contains("image.name") && document.contains("image.name"))
      merged["image.name"] = document["image.name"];
    for (const auto& [platform, entry] : document["platforms"].items()) {
      auto [it, inserted] = found_in.try_emplace(platform, file);
      if (!inserted) return fail(platform + " is in two reports: " + it->second + " and " + file);
      platforms[platform] = entry;
    }
  }
  merged["platforms"] = platforms;
  return merged.dump(2) + "\n";
}

}  // namespace xb
