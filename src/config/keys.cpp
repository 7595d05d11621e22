// The key tables of xbuild.toml (keys.h). Each section's keys are listed in the order
// docs/config.md documents them; the readers in this folder check tables against them.
// Longer than our files usually are because it is data: one entry per key of the file format,
// kept together so that the reader, the schema and the reference are read off one list.
#include "config/keys.h"

#include <algorithm>
#include <utility>

namespace xb {

namespace {

// Platform names as [platform."os/arch"] writes them: os/arch or os/arch/variant.
constexpr std::string_view kPlatformPattern = "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?$";

}  // namespace

std::string_view type_name(KeyType type) {
  switch (type) {
    case KeyType::string:
      return "string";
    case KeyType::integer:
      return "integer";
    case KeyType::boolean:
      return "boolean";
    case KeyType::strings:
      return "array of strings";
    case KeyType::string_or_strings:
      return "string or array of strings";
    case KeyType::string_table:
      return "table of strings";
    case KeyType::environment:
      return "table of strings";
    case KeyType::duration:
      return "integer or string";
    case KeyType::size_limit:
      return "integer, string or table";
    case KeyType::path_or_false:
      return "string or false";
    case KeyType::boolean_or_integer:
      return "boolean or integer";
    case KeyType::string_or_table:
      return "string or table";
    case KeyType::table:
      return "table";
    case KeyType::named_tables:
      return "tables by name";
    case KeyType::table_array:
      return "array of tables";
  }
  return "?";
}

SectionSpec::SectionSpec(std::string_view id_, std::string_view where_, std::string_view description_,
                         std::vector<KeySpec> keys_, std::string_view name_pattern_)
    : id(id_), where(where_), description(description_), keys(std::move(keys_)), name_pattern(name_pattern_) {
  for (const KeySpec& key : keys) names.emplace_back(key.name);
}

const KeySpec* SectionSpec::find(std::string_view key) const {
  auto found = std::find_if(keys.begin(), keys.end(), [&](const KeySpec& spec) { return spec.name == key; });
  return found == keys.end() ? nullptr : &*found;
}

const SectionSpec kTopLevelSection(
    "xbuild", "Top level", "An xbuild.toml: what is built, for which platforms, and the image it becomes.",
    {
        {.name = "project",
         .type = KeyType::table,
         .default_text = "required",
         .description = "The project's name and version.",
         .section = &kProjectSection,
         .required = true},
        {.name = "targets",
         .type = KeyType::table,
         .default_text = "required",
         .description = "The platforms and bare-metal targets built, and the Debian packages they build against.",
         .section = &kTargetsSection,
         .required = true},
        {.name = "stage",
         .type = KeyType::named_tables,
         .default_text = "required",
         .description = "The stages every platform runs, [stage.NAME] each, in the order their needs say.",
         .section = &kStageSection,
         .required = true},
        {.name = "image",
         .type = KeyType::table,
         .default_text = "{}",
         .description = "The image each platform's output becomes.",
         .section = &kImageSection},
        {.name = "platform",
         .type = KeyType::named_tables,
         .default_text = "{}",
         .description = "One platform's own strategy, environment, root filesystem and stage commands, "
                        "[platform.\"os/arch\"] each.",
         .section = &kPlatformSection},
        {.name = "builder",
         .type = KeyType::named_tables,
         .default_text = "{}",
         .description = "Remote machines reached with ssh that build the platforms they declare, [builder.NAME] each.",
         .section = &kBuilderSection},
        {.name = "firmware",
         .type = KeyType::table,
         .default_text = "{}",
         .description = "What the bare-metal targets' artifact holds and how their tests run.",
         .section = &kFirmwareSection},
        {.name = "cache",
         .type = KeyType::table,
         .default_text = "{}",
         .description = "The registry cache a run reads stage results from and writes them to.",
         .section = &kCacheSection},
    });

const SectionSpec kProjectSection(
    "project", "[project]", "The project.",
    {
        {.name = "name",
         .type = KeyType::string,
         .default_text = "required",
         .description = "The project's name: 1 to 128 letters, digits, '.', '_' and '-', starting with a letter or "
                        "digit; the image's default name.",
         .required = true},
        {.name = "version",
         .type = KeyType::string,
         .default_text = "\"\"",
         .description = "The project's version, as the reports show it.",
         .default_value = "\"\""},
    });

const SectionSpec kTargetsSection(
    "targets", "[targets]", "What is built: platforms, bare-metal targets, and their Debian packages.",
    {
        {.name = "platforms",
         .type = KeyType::strings,
         .default_text = "required without firmware",
         .description = "The OCI platforms built, such as \"linux/amd64\", \"linux/arm/v7\", \"windows/amd64\"."},
        {.name = "firmware",
         .type = KeyType::strings,
         .default_text = "[]",
         .description = "Bare-metal targets, files of toolchains/firmware/ or [firmware.target.NAME], each the "
                        "platform none/arm/NAME.",
         .default_value = "[]"},
        {.name = "packages",
         .type = KeyType::strings,
         .default_text = "[]",
         .description = "Debian packages of the targets' libraries: a sysroot of them for each crossing target.",
         .default_value = "[]"},
        {.name = "suite",
         .type = KeyType::string,
         .default_text = "the host's",
         .description = "The Debian suite the packages come from, such as \"bookworm\"."},
        {.name = "mirror",
         .type = KeyType::string,
         .default_text = "the machine's apt sources",
         .description = "The Debian archive the packages come from: an http://, https:// or file: URL."},
        {.name = "ccache",
         .type = KeyType::boolean,
         .default_text = "false",
         .description = "ccache in front of every target's C and C++ compilers, each target with a cache of its own.",
         .default_value = "false"},
        {.name = "ccache_remote",
         .type = KeyType::string,
         .default_text = "none",
         .description = "ccache's remote storage for every target: redis://, redis+unix:, http:// or https:// URL."},
    });

const SectionSpec kStageSection(
    "stage", "[stage.NAME]", "A stage: a command every platform runs.",
    {
        {.name = "run",
         .type = KeyType::string,
         .default_text = "required",
         .description = "The command, run as /bin/sh -e -c RUN (or with `shell`) in the project directory.",
         .required = true},
        {.name = "needs",
         .type = KeyType::strings,
         .default_text = "[]",
         .description = "The stages that must finish first.",
         .default_value = "[]"},
        {.name = "env",
         .type = KeyType::environment,
         .default_text = "{}",
         .description = "Environment variables of this stage.",
         .default_value = "{}"},
        {.name = "timeout",
         .type = KeyType::duration,
         .default_text = "none",
         .description = "The stage fails after this long: seconds, or a duration such as \"90s\", \"10m\", \"1h30m\"."},
        {.name = "inputs",
         .type = KeyType::strings,
         .default_text = "every project file",
         .description = "Globs relative to the project directory naming the files the stage's cache key covers."},
        {.name = "shell",
         .type = KeyType::strings,
         .default_text = "[\"/bin/sh\", \"-e\", \"-c\"]",
         .description = "The program and arguments the command follows, the command added last.",
         .default_value = "[\"/bin/sh\", \"-e\", \"-c\"]"},
        {.name = "pass_env",
         .type = KeyType::strings,
         .default_text = "[]",
         .description = "Variables of xbuild's own environment the stage reads; they are in its cache key.",
         .default_value = "[]"},
        {.name = "keep",
         .type = KeyType::strings,
         .default_text = "[]",
         .description = "Directories under $XBUILD_WORK that survive between runs, for incremental builds.",
         .default_value = "[]"},
        {.name = "reports",
         .type = KeyType::strings,
         .default_text = "[]",
         .description = "Globs of the JUnit XML reports the stage writes, under $XBUILD_OUT/ or $XBUILD_WORK/.",
         .default_value = "[]"},
    },
    "^[A-Za-z0-9_-]+$");

const SectionSpec kImageSection(
    "image", "[image]", "The image each platform's output becomes.",
    {
        {.name = "name",
         .type = KeyType::string,
         .default_text = "the project's name",
         .description = "The image's repository, [HOST[:PORT]/]PATH with lowercase path components."},
        {.name = "tags",
         .type = KeyType::strings,
         .default_text = "[\"latest\"]",
         .description = "The image's tags, each once; the first names the layout's index.",
         .default_value = "[\"latest\"]"},
        {.name = "from",
         .type = KeyType::string,
         .default_text = "\"scratch\"",
         .description = "The base image: \"scratch\", a multi-platform image reference, or an OCI layout "
                        "\"oci:DIR[:TAG]\".",
         .default_value = "\"scratch\""},
        {.name = "entrypoint",
         .type = KeyType::string_or_strings,
         .default_text = "[]",
         .description = "The image's entrypoint.",
         .default_value = "[]"},
        {.name = "cmd",
         .type = KeyType::string_or_strings,
         .default_text = "[]",
         .description = "The image's command (the entrypoint's arguments).",
         .default_value = "[]"},
        {.name = "env",
         .type = KeyType::environment,
         .default_text = "{}",
         .description = "The image's environment variables.",
         .default_value = "{}"},
        {.name = "workdir",
         .type = KeyType::string,
         .default_text = "the base image's",
         .description = "The image's working directory, an absolute path."},
        {.name = "user",
         .type = KeyType::string,
         .default_text = "the base image's",
         .description = "The user the image's processes run as."},
        {.name = "labels",
         .type = KeyType::string_table,
         .default_text = "{}",
         .description = "The image's labels.",
         .default_value = "{}"},
        {.name = "copy",
         .type = KeyType::table_array,
         .default_text = "all of $XBUILD_OUT at /",
         .description = "What of the output goes where in the image.",
         .section = &kCopySection},
        {.name = "compression_level",
         .type = KeyType::integer,
         .default_text = "1",
         .description = "The gzip level of the layers, 0 (stored) to 9 (smallest).",
         .minimum = 0,
         .maximum = 9,
         .default_value = "1"},
    });

const SectionSpec kCopySection("copy", "[[image.copy]]",
                               "One entry of [image] copy: a file or directory of the output put in the image.",
                               {
                                   {.name = "from",
                                    .type = KeyType::string,
                                    .default_text = "required",
                                    .description = "A path relative to $XBUILD_OUT, inside it.",
                                    .required = true},
                                   {.name = "to",
                                    .type = KeyType::string,
                                    .default_text = "required",
                                    .description = "An absolute path in the image.",
                                    .required = true},
                               });

const SectionSpec kPlatformSection(
    "platform", "[platform.\"os/arch\"]", "One platform's own settings; the platform must be in [targets].",
    {
        {.name = "strategy",
         .type = KeyType::string,
         .default_text = "\"auto\"",
         .description = "How the platform is built: auto takes native, else cross, else emulate.",
         .allowed = {"auto", "native", "cross", "emulate"},
         .default_value = "\"auto\""},
        {.name = "env",
         .type = KeyType::environment,
         .default_text = "{}",
         .description = "Environment variables of every stage of the platform.",
         .default_value = "{}"},
        {.name = "rootfs",
         .type = KeyType::string_or_table,
         .default_text = "none",
         .description = "The root filesystem of an emulated platform: a directory, \"oci:DIR[:TAG]\", an image "
                        "reference, or a table of Debian packages.",
         .section = &kRootfsSection},
        {.name = "os_version",
         .type = KeyType::string,
         .default_text = "the base image's",
         .description = "Windows only: the image's os.version, such as \"10.0.20348.2582\"."},
        {.name = "entrypoint",
         .type = KeyType::string_or_strings,
         .default_text = "[image] entrypoint",
         .description = "The platform's entrypoint, in place of [image] entrypoint."},
        {.name = "packages",
         .type = KeyType::strings,
         .default_text = "[]",
         .description = "More Debian packages of the platform's libraries, besides [targets] packages.",
         .default_value = "[]"},
        {.name = "suite",
         .type = KeyType::string,
         .default_text = "[targets] suite",
         .description = "The Debian suite of the platform's sysroot or root filesystem."},
        {.name = "stage",
         .type = KeyType::named_tables,
         .default_text = "{}",
         .description = "The platform's own command or environment for a stage of the file.",
         .section = &kPlatformStageSection},
        {.name = "ccache",
         .type = KeyType::boolean,
         .default_text = "[targets] ccache",
         .description = "ccache in front of this platform's compilers, in place of [targets] ccache."},
    },
    kPlatformPattern);

const SectionSpec kPlatformStageSection(
    "platform_stage", "[platform.\"os/arch\".stage.NAME]", "A stage's command or environment on one platform.",
    {
        {.name = "run",
         .type = KeyType::string,
         .default_text = "the stage's run",
         .description = "The command of the stage on this platform."},
        {.name = "env",
         .type = KeyType::environment,
         .default_text = "{}",
         .description = "Environment variables of the stage on this platform, over the stage's own.",
         .default_value = "{}"},
    },
    "^[A-Za-z0-9_-]+$");

const SectionSpec kRootfsSection(
    "rootfs", "[platform.\"os/arch\".rootfs]",
    "A root filesystem xbuild makes of Debian packages with mmdebstrap, for an emulated platform.",
    {
        {.name = "suite",
         .type = KeyType::string,
         .default_text = "the platform's suite",
         .description = "The Debian suite of the packages, such as \"bookworm\"."},
        {.name = "packages",
         .type = KeyType::strings,
         .default_text = "required",
         .description = "The Debian packages the root filesystem holds.",
         .required = true},
    });

const SectionSpec kBuilderSection(
    "builder", "[builder.NAME]", "A remote machine, reached with OpenSSH, that builds the platforms it declares.",
    {
        {.name = "ssh",
         .type = KeyType::string,
         .default_text = "required",
         .description = "The destination, [USER@]HOST or a Host of the ssh configuration.",
         .required = true},
        {.name = "port",
         .type = KeyType::integer,
         .default_text = "ssh's",
         .description = "The TCP port of its ssh server.",
         .minimum = 1,
         .maximum = 65535},
        {.name = "platforms",
         .type = KeyType::strings,
         .default_text = "required",
         .description = "The platforms it builds natively, each in [targets] and on one builder only.",
         .required = true},
        {.name = "jobs",
         .type = KeyType::integer,
         .default_text = "only -j limits",
         .description = "How many of its stages run at once.",
         .minimum = 1,
         .maximum = 1024},
        {.name = "fallback",
         .type = KeyType::string,
         .default_text = "none: fail",
         .description = "\"local\" builds its platforms here when it cannot be reached.",
         .allowed = {"local"}},
        {.name = "ssh_config",
         .type = KeyType::string,
         .default_text = "the user's own",
         .description = "An ssh configuration file (ssh -F FILE), relative to the project directory."},
        {.name = "dir",
         .type = KeyType::string,
         .default_text = "\".cache/xbuild-remote\"",
         .description = "The work directory on the builder, relative to its home.",
         .default_value = "\".cache/xbuild-remote\""},
    });

const SectionSpec kFirmwareSection(
    "firmware", "[firmware]", "The bare-metal targets' artifact and tests; [targets] must name firmware targets.",
    {
        {.name = "elf",
         .type = KeyType::string,
         .default_text = "\"firmware.elf\"",
         .description = "The file of $XBUILD_OUT that becomes the artifact.",
         .default_value = "\"firmware.elf\""},
        {.name = "name",
         .type = KeyType::string,
         .default_text = "the ELF's name",
         .description = "The name of the artifact's files (NAME.elf, NAME.bin, NAME.hex)."},
        {.name = "timeout",
         .type = KeyType::duration,
         .default_text = "10",
         .description = "A test image still running after this long is stopped and fails.",
         .default_value = "10"},
        {.name = "pass_pattern",
         .type = KeyType::string,
         .default_text = "Unity's summary line",
         .description = "A regular expression the test's console must match."},
        {.name = "hang_timeout",
         .type = KeyType::duration,
         .default_text = "10",
         .description = "A test silent this long is stopped as hung; at most timeout.",
         .default_value = "10"},
        {.name = "icount",
         .type = KeyType::boolean_or_integer,
         .default_text = "6",
         .description = "QEMU instruction counting: a shift from 0 to 10, true (shift 6) or false (host clock).",
         .minimum = 0,
         .maximum = 10,
         .default_value = "6"},
        {.name = "startup",
         .type = KeyType::path_or_false,
         .default_text = "xbuild's own",
         .description = "The startup linked in: a .c, .S or .s of the project, or false for none."},
        {.name = "max_flash",
         .type = KeyType::size_limit,
         .default_text = "no limit",
         .description = "The flash (text + data) a target's firmware may take, or a table of limits by target."},
        {.name = "max_ram",
         .type = KeyType::size_limit,
         .default_text = "no limit",
         .description = "The RAM (data + bss) a target's firmware may take, or a table of limits by target."},
        {.name = "target",
         .type = KeyType::named_tables,
         .default_text = "{}",
         .description = "The project's own bare-metal targets, [firmware.target.NAME] each.",
         .section = &kFirmwareTargetSection},
    });

const SectionSpec kFirmwareTargetSection(
    "firmware_target", "[firmware.target.NAME]",
    "A bare-metal target of the project's own: a board, from a bundled target (base) or from nothing.",
    {
        {.name = "base",
         .type = KeyType::string,
         .default_text = "none",
         .description = "A bundled target (toolchains/firmware/BASE.toml) whose keys this one starts from."},
        {.name = "cpu",
         .type = KeyType::string,
         .default_text = "the base's",
         .description = "The CPU, as -mcpu names it."},
        {.name = "qemu_cpu",
         .type = KeyType::string,
         .default_text = "the base's",
         .description = "The CPU QEMU emulates (qemu-system-arm -cpu)."},
        {.name = "machine",
         .type = KeyType::string,
         .default_text = "the base's",
         .description = "The QEMU machine the tests boot (qemu-system-arm -M)."},
        {.name = "cflags",
         .type = KeyType::strings,
         .default_text = "the base's",
         .description = "The compiler flags of the target."},
        {.name = "ldflags",
         .type = KeyType::strings,
         .default_text = "the base's",
         .description = "The linker flags of the target, in place of the base's."},
        {.name = "qemu_args",
         .type = KeyType::strings,
         .default_text = "the base's",
         .description = "More arguments of qemu-system-arm."},
        {.name = "linker_script",
         .type = KeyType::string,
         .default_text = "the base's layout",
         .description = "A linker script of the project the link uses; needs vector_table and stack_top."},
        {.name = "vector_table",
         .type = KeyType::integer,
         .default_text = "the base's",
         .description = "Where the reset reads the vector table, a word-aligned address.",
         .minimum = 0,
         .maximum = 0xffffffff},
        {.name = "stack_top",
         .type = KeyType::integer,
         .default_text = "the base's",
         .description = "The initial stack pointer of xbuild's startup, a word-aligned address.",
         .minimum = 0,
         .maximum = 0xffffffff},
    },
    "^[A-Za-z0-9][A-Za-z0-9._-]*$");

const SectionSpec kCacheSection(
    "cache", "[cache]", "The registry cache of xbuild run; --cache-from and --cache-to replace it.",
    {
        {.name = "from",
         .type = KeyType::string_or_strings,
         .default_text = "[]",
         .description = "The caches read, in order, the first hit winning: HOST[:PORT]/PATH each.",
         .default_value = "[]"},
        {.name = "to",
         .type = KeyType::string,
         .default_text = "none",
         .description = "The cache written: HOST[:PORT]/PATH, optionally with ,mode=min or ,mode=max."},
        {.name = "mode",
         .type = KeyType::string,
         .default_text = "\"min\"",
         .description = "What is written: min, one entry per target; max, one per stage.",
         .allowed = {"min", "max"},
         .default_value = "\"min\""},
    });

const std::vector<const SectionSpec*>& config_sections() {
  static const std::vector<const SectionSpec*> kSections = {
      &kTopLevelSection, &kProjectSection,        &kTargetsSection,       &kStageSection,  &kImageSection,
      &kCopySection,     &kPlatformSection,       &kPlatformStageSection, &kRootfsSection, &kBuilderSection,
      &kFirmwareSection, &kFirmwareTargetSection, &kCacheSection};
  return kSections;
}

}  // namespace xb
