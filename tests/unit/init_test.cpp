// xbuild init's pure parts: the template a directory's files choose, the project's name, the
// names --platforms and --firmware take, and the rendered file, which parses as a config.
#include "build/init.h"

#include <gtest/gtest.h>

#include "config/config.h"
#include "support/scratch_dir.h"
#include "util/error.h"

namespace xb {
namespace {

using testing::ScratchDir;

TEST(InitTest, TheDirectorysFilesChooseTheTemplate) {
  ScratchDir scratch;
  EXPECT_EQ(detect_template(scratch.path()).kind, ProjectTemplate::c);
  EXPECT_EQ(detect_template(scratch.path()).evidence, "");
  scratch.write("Makefile", "all:\n");
  EXPECT_EQ(detect_template(scratch.path()).evidence, "Makefile");
  scratch.write("configure.ac", "AC_INIT\n");
  EXPECT_EQ(detect_template(scratch.path()).kind, ProjectTemplate::autotools);
  EXPECT_EQ(detect_template(scratch.path()).evidence, "configure.ac");
  scratch.write("configure", "#!/bin/sh\n");
  EXPECT_EQ(detect_template(scratch.path()).evidence, "configure");
  scratch.write("meson.build", "project('x', 'c')\n");
  EXPECT_EQ(detect_template(scratch.path()).kind, ProjectTemplate::meson);
  scratch.write("CMakeLists.txt", "project(x C)\n");
  EXPECT_EQ(detect_template(scratch.path()).kind, ProjectTemplate::cmake);
  EXPECT_EQ(parse_template("meson"), ProjectTemplate::meson);
  EXPECT_EQ(parse_template("scons"), std::nullopt);
}

TEST(InitTest, TheProjectsNameFollowsTheConfigsGrammar) {
  EXPECT_EQ(project_name_from("cJSON"), "cjson");
  EXPECT_EQ(project_name_from("cjson-1.7.15-1+deb12u4"), "cjson-1.7.15-1-deb12u4");
  EXPECT_EQ(project_name_from("__my app!"), "my-app");
  EXPECT_EQ(project_name_from("+++"), "app");
}

TEST(InitTest, NamesAreCheckedAgainstTheCatalogWithADidYouMean) {
  std::vector<std::string> known = {"linux/amd64", "linux/arm64", "linux/arm/v7"};
  EXPECT_EQ(checked_names({"linux/aarch64,linux/amd64", "linux/arm64"}, known, "--platforms", true),
            (std::vector<std::string>{"linux/arm64", "linux/amd64"}));
  try {
    checked_names({"linux/arm65"}, known, "--platforms", true);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_EQ(std::string(e.what()),
              "--platforms linux/arm65: not a target xbuild knows; did you mean linux/arm64?; the known ones are "
              "linux/amd64, linux/arm64, linux/arm/v7 (xbuild targets lists them with what each needs here)");
  }
  EXPECT_THROW(checked_names({"linux/amd64,"}, known, "--platforms", true), Error);
}

TEST(InitTest, EveryTemplateRendersAConfigThatParses) {
  for (ProjectTemplate kind :
       {ProjectTemplate::c, ProjectTemplate::cmake, ProjectTemplate::meson, ProjectTemplate::autotools}) {
    InitSpec spec;
    spec.project_name = "demo";
    spec.kind = kind;
    spec.template_reason = "--template " + std::string(template_name(kind));
    spec.platforms = {"linux/amd64", "linux/arm64"};
    spec.left_out = {"linux/riscv64: missing riscv64-linux-gnu-gcc (install gcc-riscv64-linux-gnu)"};
    spec.firmware = {"cortex-m4"};
    spec.schema = "/usr/share/xbuild/docs/xbuild.schema.json";
    std::string text = render_init_config(spec);
    EXPECT_EQ(text.rfind("#:schema /usr/share/xbuild/docs/xbuild.schema.json\n", 0), 0u);
    EXPECT_NE(text.find("#   linux/riscv64: missing riscv64-linux-gnu-gcc (install gcc-riscv64-linux-gnu)\n"),
              std::string::npos);
    ConfigResult parsed = parse_config(text, "/p/xbuild.toml");
    ASSERT_TRUE(std::holds_alternative<Config>(parsed)) << std::get<ConfigErrors>(parsed).render() << text;
    const Config& config = std::get<Config>(parsed);
    EXPECT_EQ(config.platforms.size(), 3u);  // and none/arm/cortex-m4
    EXPECT_EQ(config.firmware.elf, "firmware.elf");
    ASSERT_EQ(config.stages.size(), 2u);
    EXPECT_EQ(config.stages[1].needs, std::vector<std::string>{"build"});
  }
  EXPECT_NE(template_stages(ProjectTemplate::cmake).find("$XBUILD_CMAKE_ARGS"), std::string::npos);
  EXPECT_NE(template_stages(ProjectTemplate::cmake).find("ctest --test-dir"), std::string::npos);
  EXPECT_NE(template_stages(ProjectTemplate::meson).find("$XBUILD_MESON_ARGS"), std::string::npos);
  EXPECT_NE(template_stages(ProjectTemplate::meson).find("meson test"), std::string::npos);
  EXPECT_NE(template_stages(ProjectTemplate::autotools).find("configure\" $XBUILD_CONFIGURE_ARGS"), std::string::npos);
  EXPECT_NE(template_stages(ProjectTemplate::autotools).find("check"), std::string::npos);
  EXPECT_NE(template_stages(ProjectTemplate::c, {true, true, "x"}).find(" check'"), std::string::npos);
}

}  // namespace
}  // namespace xb
