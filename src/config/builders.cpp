// [builder.NAME]: remote machines, reached with OpenSSH, that build the platforms they declare
// natively. Each platform a builder declares must be one of [targets] platforms, not bare metal
// (bare-metal targets build here, with their cross toolchain), and routed to one builder only;
// builders are taken in the order of their names, so the second name is the one reported.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>

#include "config/keys.h"
#include "config/sections.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

// ssh and platforms required; each platform in [targets] and routed to one builder.
void read_builders(TomlReader& reader, const TomlTable& root, Config& config) {
  const TomlTable* table = reader.table(root, "builder", "");
  if (!table) return;
  std::map<std::string, std::string> routed;  // platform -> builder
  for (const TomlEntry& entry : table->entries()) {
    BuilderSpec builder;
    builder.name = entry.key;
    builder.location = reader.location(entry.key_position);
    const std::string scope = "[builder." + header_key(builder.name) + "]";
    const TomlTable* body = entry.value.as_table();
    if (!body) {
      reader.wrong_type(entry.value, builder.name, "[builder]", "a table");
      continue;
    }
    reader.check_keys(*body, key_names(kBuilderSection), scope);
    builder.ssh = reader.required_string(*body, "ssh", scope).value_or("");
    if (starts_with(builder.ssh, "-"))
      reader.report(*body->get("ssh"), "\"ssh\" " + in_scope(scope) + " must be a destination, [USER@]HOST, not " +
                                           in_quotes(builder.ssh) +
                                           ", which ssh would read as an option; give options in an ssh_config file "
                                           "(ssh_config = \"...\")");
    if (std::optional<std::int64_t> port =
            reader.integer(*body, "port", scope, 1, 65535, "a TCP port number from 1 to 65535"))
      builder.port = static_cast<int>(*port);
    if (std::optional<std::int64_t> jobs =
            reader.integer(*body, "jobs", scope, 1, 1024, "a whole number from 1 to 1024"))
      builder.jobs = static_cast<unsigned>(*jobs);
    if (std::optional<std::string> fallback = reader.string(*body, "fallback", scope)) {
      if (*fallback == "local")
        builder.fallback_local = true;
      else
        reader.report(*body->get("fallback"), "invalid fallback " + in_quotes(*fallback) + " " + in_scope(scope) +
                                                  ": the only fallback is \"local\" (leave it out to fail instead)");
    }
    if (std::optional<std::string> file = reader.non_blank_string(*body, "ssh_config", scope))
      builder.ssh_config = fs::path(*file).is_absolute() ? fs::path(*file) : config.directory / *file;
    if (std::optional<std::string> dir = reader.non_blank_string(*body, "dir", scope)) builder.dir = *dir;
    reader.required(*body, "platforms", scope);
    for (const TomlString& specifier : reader.strings(*body, "platforms", scope).value_or(std::vector<TomlString>{})) {
      Result<Platform> platform = parse_platform(specifier.value);
      std::string variant;
      if (!platform || !is_known_variant(platform.value(), &variant)) {
        reader.report(specifier.at, "unknown platform " + in_quotes(specifier.value) + " in " + scope +
                                        " platforms: " + (platform ? variant : platform.error()));
        continue;
      }
      std::string name = platform.value().str();
      if (std::find(config.platforms.begin(), config.platforms.end(), platform.value()) == config.platforms.end()) {
        reader.report(specifier.at, scope + " builds " + name +
                                        ", which is not in [targets] platforms; add it there or remove it here");
        continue;
      }
      if (is_bare_metal(platform.value())) {
        reader.report(specifier.at, scope + " cannot build " + name +
                                        ": bare-metal targets build on this machine with their cross toolchain; "
                                        "remove it here");
        continue;
      }
      if (auto [it, inserted] = routed.try_emplace(name, builder.name); !inserted) {
        reader.report(specifier.at, name + " is declared by two builders, " + in_quotes(it->second) + " and " +
                                        in_quotes(builder.name) + "; a platform goes to one builder");
        continue;
      }
      builder.platforms.push_back(platform.value());
    }
    config.builders.push_back(std::move(builder));
  }
}

}  // namespace xb
