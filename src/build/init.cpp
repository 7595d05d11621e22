// `xbuild init`: the template is chosen (--template, else the files of the directory say
// which), the candidate platforms are planned with the template's stages by survey_targets()
// (the plan's own availability checks: compilers, C libraries, cmake/meson/make, QEMU), and
// the file is rendered from plain values: the ready platforms, or the ones --platforms names,
// and a comment saying which were left out and why. The text is parsed back as a config
// before anything is written.
#include "build/init.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <regex>

#include "build/targets.h"
#include "config/config.h"
#include "platform/platform.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

std::optional<ProjectTemplate> parse_template(std::string_view name) {
  if (name == "c") return ProjectTemplate::c;
  if (name == "cmake") return ProjectTemplate::cmake;
  if (name == "meson") return ProjectTemplate::meson;
  if (name == "autotools") return ProjectTemplate::autotools;
  return std::nullopt;
}

const char* template_name(ProjectTemplate kind) {
  switch (kind) {
    case ProjectTemplate::c:
      return "c";
    case ProjectTemplate::cmake:
      return "cmake";
    case ProjectTemplate::meson:
      return "meson";
    case ProjectTemplate::autotools:
      return "autotools";
  }
  return "c";
}

DetectedTemplate detect_template(const fs::path& directory) {
  std::error_code error;
  auto has = [&](const char* name) { return fs::is_regular_file(directory / name, error); };
  if (has("CMakeLists.txt")) return {ProjectTemplate::cmake, "CMakeLists.txt"};
  if (has("meson.build")) return {ProjectTemplate::meson, "meson.build"};
  if (has("configure")) return {ProjectTemplate::autotools, "configure"};
  if (has("configure.ac")) return {ProjectTemplate::autotools, "configure.ac"};
  if (has("Makefile")) return {ProjectTemplate::c, "Makefile"};
  return {ProjectTemplate::c, ""};
}

std::string template_stages(ProjectTemplate kind, const CProject& c) {
  switch (kind) {
    case ProjectTemplate::cmake:
      return R"(# Configure with $XBUILD_CMAKE_ARGS (-DCMAKE_TOOLCHAIN_FILE=<the file xbuild generates> when
# crossing, empty when native), build, and install into $XBUILD_OUT/install for the image.
[stage.build]
run = '''
cmake -S . -B "$XBUILD_OUT/build" $XBUILD_CMAKE_ARGS -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr
cmake --build "$XBUILD_OUT/build" --parallel
DESTDIR="$XBUILD_OUT/install" cmake --install "$XBUILD_OUT/build"
'''

# The project's own tests; target binaries run under QEMU when crossing
# (CMAKE_CROSSCOMPILING_EMULATOR in the toolchain file).
[stage.test]
needs = ["build"]
run = 'ctest --test-dir "$XBUILD_OUT/build" --output-on-failure'
)";
    case ProjectTemplate::meson:
      return R"(# Set up with $XBUILD_MESON_ARGS (--cross-file <the file xbuild writes> when crossing, empty
# when native), compile, and install into $XBUILD_OUT/install for the image.
[stage.build]
run = '''
meson setup "$XBUILD_OUT/build" $XBUILD_MESON_ARGS --prefix=/usr --buildtype=release
meson compile -C "$XBUILD_OUT/build"
meson install -C "$XBUILD_OUT/build" --no-rebuild --destdir "$XBUILD_OUT/install"
'''

# The project's own tests; the cross file's exe_wrapper runs target binaries under QEMU.
[stage.test]
needs = ["build"]
run = 'meson test -C "$XBUILD_OUT/build" --print-errorlogs'
)";
    case ProjectTemplate::autotools:
      return R"(# Configure out of the source tree with $XBUILD_CONFIGURE_ARGS (--build=... --host=<the
# target's triple> when crossing, empty when native), so that the platforms build side by side,
# then make and install into $XBUILD_OUT/install for the image. No configure yet? Run
# `autoreconf -fi` once, before xbuild run.
[stage.build]
run = '''
mkdir -p "$XBUILD_OUT/build"
cd "$XBUILD_OUT/build"
"$XBUILD_SRC/configure" $XBUILD_CONFIGURE_ARGS --prefix=/usr
make
make DESTDIR="$XBUILD_OUT/install" install
'''

# The project's own tests; target binaries run under QEMU when crossing.
[stage.test]
needs = ["build"]
run = 'make -C "$XBUILD_OUT/build" check'
)";
    case ProjectTemplate::c:
      break;
  }
  if (!c.makefile)
    return R"(# $CC is each platform's compiler: the directory's C files into one program under
# $XBUILD_OUT/install, in the platform's own output directory.
[stage.build]
run = '''
mkdir -p "$XBUILD_OUT/install/usr/bin"
$CC -O2 -Wall -o "$XBUILD_OUT/install/usr/bin/)" +
           c.program + R"(" *.c
'''

# Put the program's own test here: $XBUILD_EXEC runs a target binary on this machine (QEMU for
# foreign platforms), e.g. run = '$XBUILD_EXEC "$XBUILD_OUT/install/usr/bin/)" +
           c.program + R"(" --self-test'
[stage.test]
needs = ["build"]
run = 'test -x "$XBUILD_OUT/install/usr/bin/)" +
           c.program + R"("'
)";
  std::string stages = R"(# $CC is each platform's compiler. The platforms build side by side in this one source tree:
# the Makefile writes everything under $(OUT), each platform's own $XBUILD_OUT/install
# (as examples/hello/src/Makefile does).
[stage.build]
run = 'make CC="$CC" OUT="$XBUILD_OUT/install"'
)";
  if (c.make_check)
    return stages + R"(
# The Makefile's own tests; $XBUILD_EXEC runs a target binary here (QEMU for foreign platforms).
[stage.test]
needs = ["build"]
run = 'make CC="$CC" OUT="$XBUILD_OUT/install" XBUILD_EXEC="$XBUILD_EXEC" check'
)";
  return stages + R"(
# Tests: $XBUILD_EXEC runs a target binary here (QEMU for foreign platforms), e.g.
# run = '$XBUILD_EXEC "$XBUILD_OUT/install/PROGRAM" --self-test'
[stage.test]
needs = ["build"]
run = 'true'
)";
}

namespace {

std::string targets_section(const InitSpec& spec) {
  std::string out = "[targets]\n";
  if (spec.platforms_given) {
    out += "# The platforms given with --platforms.\n";
  } else {
    out += "# The platforms this machine builds now (native, or a cross compiler present).";
    if (spec.left_out.empty())
      out += "\n";
    else
      out += " Left out:\n";
    for (const std::string& line : spec.left_out) out += "#   " + line + "\n";
  }
  out += "# `xbuild targets` lists every target and what each needs.\n";
  out += "platforms = " + toml_list(spec.platforms) + "\n";
  if (!spec.firmware.empty())
    out +=
        "# Bare-metal targets (toolchains/firmware/): each is the platform none/arm/<name>, runs the\n"
        "# stages below with its own CC/CFLAGS/LDFLAGS, and $XBUILD_EXEC runs a test image under\n"
        "# qemu-system-arm. Give one a recipe of its own in [platform.\"none/arm/<name>\".stage.build].\n"
        "firmware = " +
        toml_list(spec.firmware) + "\n";
  return out;
}

std::string firmware_section(const InitSpec& spec) {
  if (spec.firmware.empty()) return "";
  return R"(
# The bare-metal targets' artifact: the ELF the build leaves in $XBUILD_OUT becomes an OCI artifact
# (.elf, .bin, .hex, size report) in the same index as the images.
[firmware]
elf = "firmware.elf"  # relative to $XBUILD_OUT
timeout = "30s"       # a test image still running then fails
)";
}

std::string image_section(const InitSpec& spec) {
  std::string out = R"(
# One image per platform, and their index, in .xbuild/oci (or -o oci-archive:FILE, local:DIR).
[image]
name = )" + json_quote(spec.project_name) +
                    R"(  # the repository: "registry.example/team/)" + spec.project_name + R"(" for --push
tags = ["latest"]
copy = [{ from = "install", to = "/" }]  # what the build installed under $XBUILD_OUT/install, at /
# from = "debian:12"              # a base image (default: scratch)
# entrypoint = ["/usr/bin/PROGRAM"]
)";
  return out;
}

}  // namespace

std::string render_init_config(const InitSpec& spec) {
  std::string out = "#:schema " + spec.schema.string() + "\n";
  out += "# xbuild.toml: one build, every platform at once (" + std::string(template_name(spec.kind)) + " template, " +
         spec.template_reason + ").\n";
  out += "# xbuild plan  shows what each platform uses; xbuild run  builds, tests and writes the images.\n\n";
  out += "[project]\nname = " + json_quote(spec.project_name) + "  # letters, digits, '.', '_', '-'\n";
  out += "version = \"0.1.0\"\n\n";
  out += targets_section(spec) + "\n";
  out +=
      "# Each stage runs in the project directory, once per platform, as /bin/sh -e -c; every\n"
      "# platform in parallel. $XBUILD_OUT is the platform's own output directory, emptied at the\n"
      "# start of each run.\n";
  out += template_stages(spec.kind, spec.c);
  out += firmware_section(spec);
  out += image_section(spec);
  return out;
}

std::string project_name_from(const std::string& directory_name) {
  std::string name;
  for (char c : directory_name) {
    unsigned char byte = static_cast<unsigned char>(c);
    bool kept = std::isalnum(byte) || c == '.' || c == '_' || c == '-';
    if (kept)
      name += static_cast<char>(std::tolower(byte));
    else if (!name.empty() && name.back() != '-')
      name += '-';
  }
  while (!name.empty() && !std::isalnum(static_cast<unsigned char>(name.front()))) name.erase(0, 1);
  while (!name.empty() && name.back() == '-') name.pop_back();
  if (name.size() > 128) name.resize(128);
  return name.empty() ? "app" : name;
}

std::vector<std::string> checked_names(const std::vector<std::string>& lists, const std::vector<std::string>& known,
                                       const char* option, bool platforms) {
  std::vector<std::string> chosen;
  for (const std::string& list : lists)
    for (const std::string& word : split(list, ',')) {
      std::string name(trim(word));
      if (name.empty()) throw Error(fmt::format("{} {}: an empty name; separate names with one ','", option, list), 2);
      std::string normalized = name;
      if (platforms)
        if (Result<Platform> parsed = parse_platform(name)) normalized = parsed.value().str();
      if (std::find(known.begin(), known.end(), normalized) == known.end()) {
        std::string meant = closest_match(name, known);
        throw Error(fmt::format("{} {}: not a target xbuild knows{}; the known ones are {} (xbuild targets lists "
                                "them with what each needs here)",
                                option, name, meant.empty() ? "" : "; did you mean " + meant + "?", join(known, ", ")),
                    2);
      }
      if (std::find(chosen.begin(), chosen.end(), normalized) == chosen.end()) chosen.push_back(normalized);
    }
  return chosen;
}

namespace {

bool makefile_has_check(const fs::path& directory) {
  Result<std::string> text = read_file(directory / "Makefile");
  return text && std::regex_search(text.value(), std::regex("(^|\\n)check\\s*:"));
}

std::string problems_line(const TargetAvailability& target) {
  return target.platform + ": " + join(target.missing, "; ");
}

}  // namespace

int init_project(const InitOptions& options, Services& services) {
  std::optional<ProjectTemplate> chosen;
  if (options.template_name) {
    chosen = parse_template(*options.template_name);
    if (!chosen)
      throw Error(
          fmt::format("--template {}: not a template; use c, cmake, meson or autotools", *options.template_name), 2);
  }
  std::vector<std::string> known_platforms = catalog_platforms(services.data_dir);
  std::vector<std::string> known_firmware = firmware_target_names(services.data_dir);
  std::vector<std::string> platforms = checked_names(options.platforms, known_platforms, "--platforms", true);
  std::vector<std::string> firmware = checked_names(options.firmware, known_firmware, "--firmware", false);
  std::error_code error;
  if (!fs::is_directory(options.directory, error))
    throw Error(fmt::format("{}: not a directory; create it first, or name the project's directory",
                            options.directory.string()),
                2);
  fs::path directory = fs::weakly_canonical(fs::absolute(options.directory));
  fs::path file = directory / "xbuild.toml";
  if (fs::symlink_status(file, error).type() != fs::file_type::not_found && !options.force)
    throw Error(
        fmt::format("{} exists; nothing was written: edit it, or replace it with xbuild init --force", file.string()),
        2);

  DetectedTemplate detected = detect_template(directory);
  InitSpec spec;
  spec.kind = chosen ? *chosen : detected.kind;
  spec.template_reason = chosen                      ? "--template " + *options.template_name
                         : detected.evidence.empty() ? "no build system found"
                                                     : "found " + detected.evidence;
  spec.project_name = project_name_from(directory.filename().string());
  spec.c.makefile = fs::is_regular_file(directory / "Makefile", error);
  spec.c.make_check = spec.c.makefile && makefile_has_check(directory);
  spec.c.program = spec.project_name;
  spec.schema = fs::weakly_canonical(fs::absolute(services.data_dir)) / "docs" / "xbuild.schema.json";
  spec.firmware = firmware;
  spec.platforms_given = !platforms.empty();

  // Linux images by default: a Windows build needs a recipe of its own (examples/greet).
  std::vector<std::string> candidates = platforms;
  if (candidates.empty())
    for (const std::string& name : known_platforms)
      if (starts_with(name, "linux/")) candidates.push_back(name);
  std::vector<TargetAvailability> survey =
      survey_targets(candidates, firmware, template_stages(spec.kind, spec.c), directory, services);
  std::vector<std::string> warnings;
  for (const TargetAvailability& target : survey) {
    if (target.firmware) {
      if (!target.ready()) warnings.push_back(problems_line(target));
      continue;
    }
    bool buildable = target.ready() && (target.strategy == "native" || target.strategy == "cross");
    if (spec.platforms_given || buildable) spec.platforms.push_back(target.platform);
    if (!target.ready()) (spec.platforms_given ? warnings : spec.left_out).push_back(problems_line(target));
  }
  if (spec.platforms.empty() && spec.firmware.empty())
    throw Error(fmt::format("no platform can be built on this machine; nothing was written:\n  {}\nxbuild targets "
                            "says what each needs",
                            join(spec.left_out, "\n  ")),
                2);

  std::string text = render_init_config(spec);
  ConfigResult parsed = parse_config(text, file);
  if (auto* errors = std::get_if<ConfigErrors>(&parsed))
    throw Error("the generated config does not parse (a bug in xbuild init):\n" + errors->render());
  if (Status written = write_file_atomic(file, text); !written) throw Error(written.error());

  std::string where = options.directory == "." ? "" : " " + (options.directory / "xbuild.toml").string();
  std::string message = fmt::format(
      "xbuild: wrote {} ({} template, {}) for {}\n", file.string(), template_name(spec.kind), spec.template_reason,
      join(spec.platforms, ", ") + (spec.firmware.empty() ? "" : ", ") + join(spec.firmware, ", "));
  for (const std::string& warning : warnings)
    message += "xbuild: warning: " + warning + " (xbuild plan will say so until it is installed)\n";
  message += fmt::format(
      "next: xbuild plan{}   (what each platform uses)\n      xbuild run{}    (build, test, "
      "write the images)\n",
      where, where);
  std::fputs(message.c_str(), stdout);
  return 0;
}

}  // namespace xb
