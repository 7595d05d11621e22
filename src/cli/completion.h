// `xbuild completion bash|zsh` and the hidden `xbuild __cli-spec`: shell completion scripts and a
// plain listing, both generated from the CLI11 definition of the command line, so a command or
// option added there is completed and listed without further edits.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace xb {

// What the definition cannot say: the names a value may take, from the data directory.
struct CompletionWords {
  std::vector<std::string> platforms;         // linux/arm64, ..., none/arm/cortex-m4, cortex-m4
  std::vector<std::string> firmware_targets;  // cortex-m4 (toolchains/firmware/*.toml)
  std::vector<std::string> arches;            // qemu/*.toml architectures, and "all"
};

// The words of xbuild's data directory (toolchains/, toolchains/firmware/, qemu/).
CompletionWords completion_words();

// One line per command path ("command<TAB>xbuild cache info") and per option name of each
// ("option<TAB>xbuild cache info<TAB>--json<TAB>flag", or "...<TAB>value", then "<TAB>VARIABLE"
// when its default comes from one); hidden commands (named "__...") left out.
std::string cli_spec(const CLI::App& app);
std::string bash_completion(const CLI::App& app, const CompletionWords& words);
std::string zsh_completion(const CLI::App& app, const CompletionWords& words);

// Adds `completion SHELL` and the hidden `__cli-spec`. They walk `app` when they run, so every
// command added to `app` before the parse is in what they print.
std::function<int()> add_completion_commands(CLI::App& app);

}  // namespace xb
