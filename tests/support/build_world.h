// A small world for the passes of build/ (ninja's BuildTest): a project in a scratch directory,
// the shipped data files (toolchains/, qemu/), a machine where every cross toolchain and QEMU is
// installed (FakeToolFinder), processes that spawn nothing but write "$XBUILD_OUT/<command>"
// (FakeProcessRunner), a recording terminal, and a cache and state directory in the scratch
// directory too.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "build/run.h"
#include "run/terminal.h"
#include "support/fake_process_runner.h"
#include "support/fake_tool_finder.h"
#include "support/scratch_dir.h"
#include "toolchain/toolchain.h"
#include "util/fs.h"

namespace xb::testing {

// Two platforms, a build and a test stage: the project most pass tests start from.
inline constexpr const char* kTwoPlatformProject = R"(
[project]
name = "hello"
[targets]
platforms = ["linux/amd64", "linux/arm64"]
[stage.build]
run = "build"
inputs = ["src"]
[stage.test]
needs = ["build"]
run = "test"
inputs = []
[image]
tags = ["1.0.0"]
)";

class BuildWorld {
 public:
  explicit BuildWorld(const std::string& config = kTwoPlatformProject) {
    scratch.write("project/src/hello.c", "int main(void) { return 0; }\n");
    write_config(config);
    options.config_file = project() / "xbuild.toml";
    options.cache_dir = scratch / "cache";
    options.progress = "plain";
    services.data_dir = data_directory();
    services.host = parse_platform("linux/amd64").value();
    services.root = false;
    services.xbuild_binary = "/usr/bin/xbuild";
    services.finder = &finder;
    services.process_runner = [this](uv_loop_t* loop, StageContainment*) {
      auto runner = std::make_unique<FakeProcessRunner>(loop);
      FakeProcessRunner::Script writes_its_output;
      writes_its_output.effect = [](const ProcessSpec& spec) {
        auto out = spec.env.find("XBUILD_OUT");
        if (out == spec.env.end()) return;
        (void)write_file_atomic(std::filesystem::path(out->second) / spec.argv.back(), spec.env.at("XBUILD_PLATFORM"));
      };
      runner->script_default(writes_its_output);
      for (const auto& [command, script] : scripts) runner->script(command, script);
      runner->log = &started;
      return runner;
    };
    ToolchainCatalog catalog = ToolchainCatalog::load(data_directory() / "toolchains").value();
    for (const Toolchain& toolchain : catalog.all()) {
      finder.add_program(toolchain.tools.at("CC"), "12.2.0");
      std::filesystem::path sysroot = toolchain.sysroot.empty() ? "/usr" : toolchain.sysroot;
      finder.add_file(sysroot / "include" / "stdio.h");
      if (!toolchain.runner.empty()) finder.add_program(toolchain.runner.front());
    }
  }

  std::filesystem::path project() const { return scratch / "project"; }
  std::filesystem::path state() const { return project() / ".xbuild"; }
  void write_config(const std::string& text) { scratch.write("project/xbuild.toml", text); }

  int run() { return run_build(options, services, terminal); }

  ScratchDir scratch;
  RunOptions options;
  Services services;
  FakeToolFinder finder;
  RecordingTerminal terminal;
  std::map<std::string, FakeProcessRunner::Script> scripts;  // by command, for runners made from now on
  std::vector<std::string> started;                          // every command started, across runs
};

}  // namespace xb::testing
