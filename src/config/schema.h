// The JSON Schema of xbuild.toml (draft-07, what Taplo and Even Better TOML read), generated from
// the key tables (config/keys.h): what `xbuild schema` prints and docs/xbuild.schema.json holds.
#pragma once

#include <string>

namespace xb {

// The schema as JSON text, two spaces of indentation, ending with a newline.
std::string config_json_schema();

}  // namespace xb
