// `xbuild schema`'s command line; the schema itself is config/schema.cpp's.
#include "cli/schema_command.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "config/schema.h"

namespace xb {

std::function<int()> add_schema_command(CLI::App& app) {
  CLI::App* schema = app.add_subcommand(
      "schema",
      "Print the JSON Schema of xbuild.toml (installed as share/xbuild/docs/xbuild.schema.json; editors with Taplo "
      "read it through a '#:schema' line)");
  return [schema]() {
    if (!schema->parsed()) return -1;
    const std::string text = config_json_schema();
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
      std::fprintf(stderr, "xbuild: error: cannot write the schema to stdout\n");
      return 1;
    }
    return 0;
  };
}

}  // namespace xb
