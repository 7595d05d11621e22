// What `xbuild run` reports for programs, read back in end-to-end tests: the --metadata-file JSON
// (per platform its strategy, each stage's result and the image digest; the index digest), so
// that tests need not parse the summary table or the closing digest lines meant for people.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "e2e/e2e_support.h"
#include "util/fs.h"

namespace xb::testing {

// A --metadata-file as JSON (null when it is missing or not JSON).
inline nlohmann::json read_metadata(const std::filesystem::path& file) {
  Result<std::string> text = read_file(file);
  nlohmann::json metadata = nlohmann::json::parse(text ? text.value() : std::string(), nullptr, false);
  return metadata.is_discarded() ? nlohmann::json() : metadata;
}

// The index digest a --metadata-file names ("" when the run wrote no image).
inline std::string metadata_index_digest(const nlohmann::json& metadata) {
  return metadata.is_object() ? metadata.value("containerimage.digest", "") : "";
}

// One run's output and the metadata it wrote.
struct ReportedRun : CommandResult {
  nlohmann::json metadata;  // null when the run wrote none

  std::string index_digest() const { return metadata_index_digest(metadata); }
  // {"containerimage.digest": ..., "strategy": ..., "stages": {"build": "ok", ...}}; {} when the
  // metadata has no such platform.
  nlohmann::json platform(const std::string& name) const {
    if (!metadata.is_object() || !metadata.contains("platforms") || !metadata["platforms"].contains(name))
      return nlohmann::json::object();
    return metadata["platforms"][name];
  }
};

// `xbuild run ARGS... --metadata-file FILE` in `cwd`, FILE a scratch file of its own (outside
// the project, so it is no input of the next run).
inline ReportedRun xbuild_run(const std::vector<std::string>& args, const std::filesystem::path& cwd = {},
                              const std::map<std::string, std::string>& env = {}) {
  ScratchDir reports;
  std::vector<std::string> argv = {"run"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--metadata-file", (reports / "metadata.json").string()});
  ReportedRun reported;
  static_cast<CommandResult&>(reported) = xbuild(argv, cwd, env);
  reported.metadata = read_metadata(reports / "metadata.json");
  return reported;
}

}  // namespace xb::testing
