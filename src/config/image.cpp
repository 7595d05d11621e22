// [image]: the image each platform's output becomes. Every key is optional: the name defaults
// to the project's, the tags to ["latest"], the base to "scratch", and without a copy list the
// whole output directory goes to "/". The name and the tags follow the OCI distribution spec's
// grammar (util/image_name.h, the registry's rules), checked here rather than when pushing, each
// tag once; copy entries must stay inside the output directory and land at absolute paths inside
// the image; label keys are not empty. A base of the form
// "oci:DIR[:TAG]" is an OCI layout on disk: the last ":" that no "/" follows starts the tag (as
// in emulate's rootfs = "oci:..."), DIR is made absolute against the project directory, and
// only the syntax is checked here (the layout itself by `xbuild plan` / `xbuild run`).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <set>

#include "config/keys.h"
#include "config/sections.h"
#include "util/image_name.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

// A tag of an OCI layout (org.opencontainers.image.ref.name) as a base image names it: the
// distribution spec's tag grammar, and also '+' and '@', which layouts written by other tools use.
bool is_layout_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](unsigned char c) { return std::isalnum(c) || c == '_'; };
  if (!word(static_cast<unsigned char>(tag.front()))) return false;
  return std::all_of(tag.begin(), tag.end(),
                     [&](unsigned char c) { return word(c) || c == '.' || c == '-' || c == '+' || c == '@'; });
}

// "oci:DIR[:TAG]" into the layout base, or a diagnostic at `value`.
std::optional<LayoutBase> read_layout_base(TomlReader& reader, const TomlValue& value, const std::string& from,
                                           const fs::path& project_directory) {
  const std::string forms =
      "write \"oci:DIR\" for the layout's only image or \"oci:DIR:TAG\" (DIR relative to "
      "the project directory)";
  std::string directory = from.substr(4);
  std::optional<std::string> tag;
  if (std::size_t colon = directory.rfind(':');
      colon != std::string::npos && directory.find('/', colon) == std::string::npos) {
    tag = directory.substr(colon + 1);
    directory.erase(colon);
  }
  if (directory.empty()) {
    reader.report(value, "base image " + in_quotes(from) + " names no layout directory: " + forms);
    return std::nullopt;
  }
  if (tag && tag->empty()) {
    reader.report(value, "base image " + in_quotes(from) + " has nothing after its last \":\": " + forms);
    return std::nullopt;
  }
  if (tag && !is_layout_tag(*tag)) {
    reader.report(value, "invalid tag " + in_quotes(*tag) + " in base image " + in_quotes(from) +
                             ": a tag is 1 to 128 letters, digits, '_', '.', '-', '+' and '@', and does not start "
                             "with '.', '-', '+' or '@'");
    return std::nullopt;
  }
  LayoutBase base;
  fs::path path = fs::path(directory).is_absolute() ? fs::path(directory) : project_directory / directory;
  base.directory = path.lexically_normal();
  // "oci:base/" names the directory "base", not an empty name inside it.
  if (!base.directory.has_filename() && base.directory != base.directory.root_path())
    base.directory = base.directory.parent_path();
  base.tag = tag.value_or("");
  return base;
}

void read_copy(TomlReader& reader, const TomlTable& image, std::vector<CopySpec>& copies) {
  const TomlValue* value = image.get("copy");
  if (!value) return;
  const std::string_view expected = "an array of tables such as { from = \"app\", to = \"/app\" }";
  const std::vector<TomlValue>* array = value->as_array();
  if (!array) {
    reader.wrong_type(*value, "copy", "[image]", expected);
    return;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const TomlValue& element = (*array)[i];
    const TomlTable* entry = element.as_table();
    if (!entry) {
      reader.report(element, "\"copy\" in [image]: expected " + std::string(expected) + ", but entry " +
                                 std::to_string(i + 1) + " is " + element.type_name());
      continue;
    }
    const std::string scope = "[image] copy entry " + std::to_string(i + 1);
    reader.check_keys(*entry, key_names(kCopySection), scope);
    CopySpec copy;
    if (std::optional<std::string> from = reader.required_string(*entry, "from", scope)) {
      fs::path path(*from);
      if (path.is_absolute()) {
        reader.report(*entry->get("from"), "\"from\" " + in_scope(scope) +
                                               " must be a path relative to the output directory, not an absolute "
                                               "path: " +
                                               in_quotes(*from));
      } else if (std::find(path.begin(), path.end(), fs::path("..")) != path.end()) {
        reader.report(*entry->get("from"), "\"from\" " + in_scope(scope) + " must stay inside the output directory: " +
                                               in_quotes(*from) + " contains \"..\"");
      }
      copy.from = *from;
    }
    if (std::optional<std::string> to = reader.required_string(*entry, "to", scope)) {
      fs::path path(*to);
      if (!starts_with(*to, "/")) {
        reader.report(*entry->get("to"), "\"to\" " + in_scope(scope) +
                                             " must be an absolute path in the image (starting with \"/\"), got " +
                                             in_quotes(*to));
      } else if (std::find(path.begin(), path.end(), fs::path("..")) != path.end()) {
        reader.report(*entry->get("to"), "\"to\" " + in_scope(scope) + " must stay inside the image: " +
                                             in_quotes(*to) + " contains \"..\"; write the path without it");
      }
      copy.to = *to;
    }
    copies.push_back(std::move(copy));
  }
}

}  // namespace

void read_image(TomlReader& reader, const TomlTable& root, Config& config) {
  const std::string scope = "[image]";
  ImageSpec& image = config.image;
  image.name = config.project.name;
  image.tags = {"latest"};
  const TomlTable* table = reader.table(root, "image", "");
  if (!table) return;
  reader.check_keys(*table, key_names(kImageSection), scope);

  if (std::optional<std::string> name = reader.non_blank_string(*table, "name", scope)) {
    if (std::string problem = image_name_problem(*name); !problem.empty())
      reader.report(*table->get("name"), "invalid image name " + in_quotes(*name) + " in [image]: it " + problem +
                                             "; for example name = \"registry.example:5000/team/app\"");
    image.name = *name;
  }
  if (std::optional<std::vector<TomlString>> tags = reader.strings(*table, "tags", scope)) {
    if (table->get("tags")->is_empty_array()) {
      reader.report(*table->get("tags"),
                    "\"tags\" in [image] must not be empty: remove it for the default [\"latest\"]");
    }
    std::set<std::string> seen;
    for (const TomlString& tag : *tags) {
      if (!is_tag(tag.value)) {
        reader.report(tag.at, "invalid tag " + in_quotes(tag.value) +
                                  " in [image] tags: a tag is 1 to 128 letters, digits, '_', '.' and '-', "
                                  "and does not start with '.' or '-'");
      } else if (!seen.insert(tag.value).second) {
        reader.report(tag.at, "duplicate tag " + in_quotes(tag.value) + " in [image] tags: list each tag once");
      }
    }
    if (!tags->empty()) image.tags = values_of(*tags);
  }
  if (std::optional<std::string> from = reader.string(*table, "from", scope)) {
    // "scratch", a layout, or an image reference; the reference itself is parsed (and its
    // platforms checked against the registry) by `xbuild plan` / `xbuild run`.
    if (starts_with(*from, "oci:")) {
      image.from_layout = read_layout_base(reader, *table->get("from"), *from, config.directory);
    } else if (from->empty() || from->find_first_of(" \t\n") != std::string::npos) {
      reader.report(*table->get("from"),
                    "base image " + in_quotes(*from) +
                        " is not \"scratch\", an image reference such as \"docker.io/library/debian:12\", or an "
                        "OCI layout \"oci:DIR[:TAG]\"");
    }
    image.from = *from;
  }
  if (std::optional<std::vector<TomlString>> entrypoint = reader.string_or_strings(*table, "entrypoint", scope))
    image.entrypoint = values_of(*entrypoint);
  if (std::optional<std::vector<TomlString>> cmd = reader.string_or_strings(*table, "cmd", scope))
    image.cmd = values_of(*cmd);
  image.env = reader.environment_table(*table, "env", scope);
  if (std::optional<std::string> workdir = reader.string(*table, "workdir", scope)) {
    if (!starts_with(*workdir, "/")) {
      reader.report(
          *table->get("workdir"),
          "\"workdir\" in [image] must be an absolute path (starting with \"/\"), got " + in_quotes(*workdir));
    }
    image.workdir = *workdir;
  }
  image.user = reader.string(*table, "user", scope).value_or("");
  image.labels = reader.string_table(*table, "labels", scope);
  if (const TomlValue* labels = table->get("labels"); labels && labels->as_table())
    for (const TomlEntry& entry : labels->as_table()->entries())
      if (entry.key.empty())
        reader.report(entry.key_position,
                      "empty label key in [image] labels: name each label, such as "
                      "\"org.opencontainers.image.source\"");
  if (std::optional<std::int64_t> level =
          reader.integer(*table, "compression_level", scope, 0, 9, "a gzip level from 0 (stored) to 9 (smallest)"))
    image.compression_level = static_cast<int>(*level);
  read_copy(reader, *table, image.copy);
}

}  // namespace xb
