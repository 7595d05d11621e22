// The command line is discoverable: docs/commands.md (the source of xbuild(1)) names exactly the
// commands and options of the CLI definition (`xbuild __cli-spec`), the man page renders without
// groff warnings, and the generated completion scripts hold every command and option and complete
// in a real bash (with bash-completion) and load in a real zsh (with compinit).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "e2e/e2e_support.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

struct CliSpec {
  std::set<std::string> commands;              // "xbuild cache info"
  std::set<std::string> options;               // "xbuild cache info --json"
  std::map<std::string, std::string> envname;  // "xbuild run -j" -> "XBUILD_JOBS"
};

CliSpec cli_spec() {
  CommandResult result = xbuild({"__cli-spec"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  CliSpec spec;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields = split(line, '\t');
    if (fields[0] == "command") spec.commands.insert(fields.at(1));
    if (fields[0] == "option" && fields.at(2) != "-h" && fields.at(2) != "--help") {
      spec.options.insert(fields.at(1) + " " + fields.at(2));
      if (fields.size() == 5) spec.envname[fields.at(1) + " " + fields.at(2)] = fields.at(4);
    }
  }
  return spec;
}

// The commands and options docs/commands.md documents: a "### xbuild PATH ..." heading (PATH its
// lowercase words) under "## COMMANDS" opens a command; the options of "## OPTIONS" are the
// top-level command's. An option is a bold **-x** or **--name** on a definition's term line (the
// line before one starting with ": "). `sections` gets each command's text.
struct DocumentedCommands {
  std::set<std::string> commands;
  std::set<std::string> options;
  std::map<std::string, std::string> sections;
};

DocumentedCommands documented_commands() {
  std::string text = read_file(source_root() / "docs" / "commands.md").value();
  std::vector<std::string> lines = split(text, '\n');
  DocumentedCommands documented;
  std::string command;  // empty: outside OPTIONS and COMMANDS
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.rfind("## ", 0) == 0) command = line == "## OPTIONS" ? "xbuild" : "";
    if (line == "## OPTIONS") documented.commands.insert(command);
    if (line.rfind("### xbuild", 0) == 0) {
      command = "xbuild";
      for (const std::string& word : split(line.substr(std::string("### xbuild").size()), ' ')) {
        if (word.empty()) continue;
        if (!std::all_of(word.begin(), word.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; })) break;
        command += " " + word;
      }
      documented.commands.insert(command);
    }
    if (command.empty()) continue;
    documented.sections[command] += line + "\n";
    if (i + 1 >= lines.size() || lines[i + 1].rfind(": ", 0) != 0) continue;
    for (std::size_t at = line.find("**-"); at != std::string::npos; at = line.find("**-", at + 3)) {
      std::size_t end = line.find("**", at + 2);
      std::string name = line.substr(at + 2, end - at - 2);
      if (name != "-h" && name != "--help") documented.options.insert(command + " " + name);
    }
  }
  return documented;
}

std::vector<std::string> difference(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

TEST(CommandReference, DocumentsEveryCommandAndOptionOfTheCommandLineAndNoOther) {
  CliSpec spec = cli_spec();
  DocumentedCommands docs = documented_commands();
  ASSERT_GT(spec.commands.size(), 20u);
  EXPECT_TRUE(spec.commands.count("xbuild firmware debug"));
  EXPECT_TRUE(spec.options.count("xbuild run --progress"));
  EXPECT_FALSE(spec.commands.count("xbuild __cli-spec")) << "hidden commands are no part of the reference";

  EXPECT_EQ(difference(spec.commands, docs.commands), std::vector<std::string>{})
      << "commands of the command line that docs/commands.md lacks (add a \"### xbuild PATH\" section)";
  EXPECT_EQ(difference(docs.commands, spec.commands), std::vector<std::string>{})
      << "commands docs/commands.md names that the command line lacks";
  EXPECT_EQ(difference(spec.options, docs.options), std::vector<std::string>{})
      << "options of the command line that docs/commands.md lacks (a \"**--name** *ARG*\" line, then \": help\")";
  EXPECT_EQ(difference(docs.options, spec.options), std::vector<std::string>{})
      << "options docs/commands.md names that the command line lacks";
  for (const auto& [option, variable] : spec.envname) {
    std::string command = option.substr(0, option.rfind(' '));
    EXPECT_NE(docs.sections[command].find("**" + variable + "**"), std::string::npos)
        << option << " takes its default from " << variable << ": its section must say so";
  }
}

TEST(CommandReference, ManPageBuildsAndRendersWithoutWarnings) {
  XB_REQUIRE_TOOLS("groff", "man");
  fs::path page = xbuild_binary().parent_path() / "xbuild.1";
  ASSERT_TRUE(fs::exists(page)) << page << ": built by ninja from docs/commands.md with go-md2man";
  std::string roff = read_file(page).value();
  EXPECT_NE(roff.find(".TH xbuild 1"), std::string::npos);
  EXPECT_NE(roff.find(".SS xbuild firmware debug"), std::string::npos);

  CommandResult groff = run({"groff", "-ww", "-z", "-man", page.string()});
  EXPECT_EQ(groff.exit_code, 0);
  EXPECT_EQ(groff.err, "");
  CommandResult man = run({"man", "--warnings", "-l", page.string()}, {{"MANWIDTH", "80"}, {"MANPAGER", "cat"}});
  EXPECT_EQ(man.exit_code, 0);
  EXPECT_EQ(man.err, "");
  for (const char* heading : {"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "ENVIRONMENT", "EXIT STATUS",
                              "FILES", "EXAMPLES", "SEE ALSO"})
    EXPECT_NE(man.out.find(std::string("\n") + heading + "\n"), std::string::npos) << heading;
  EXPECT_NE(man.out.find("xbuild.toml(5)"), std::string::npos);
}

// The words of one table of the generated bash script: `local -A NAME=(` ... `)`, lines
// `['xbuild cache']='info prune push pull'`.
std::map<std::string, std::set<std::string>> bash_table(const std::string& script, const std::string& name) {
  std::map<std::string, std::set<std::string>> table;
  std::size_t at = script.find("local -A " + name + "=(\n");
  EXPECT_NE(at, std::string::npos) << name;
  std::istringstream lines(script.substr(script.find('\n', at) + 1));
  for (std::string line; std::getline(lines, line) && line != "  )";) {
    std::string key = line.substr(line.find("['") + 2, line.find("']") - line.find("['") - 2);
    std::string words = line.substr(line.find("]='") + 3);
    words.pop_back();
    table[key];
    for (const std::string& word : split(words, ' '))
      if (!word.empty()) table[key].insert(word);
  }
  return table;
}

TEST(Completion, ScriptsHoldEveryCommandAndOptionAndAreTheInstalledOnes) {
  CliSpec spec = cli_spec();
  CommandResult bash = xbuild({"completion", "bash"});
  ASSERT_EQ(bash.exit_code, 0) << bash.err;
  std::map<std::string, std::set<std::string>> subcommands = bash_table(bash.out, "subcommands");
  std::map<std::string, std::set<std::string>> options = bash_table(bash.out, "options");
  std::set<std::string> completed_commands, completed_options;
  for (const auto& [command, words] : subcommands) {
    completed_commands.insert(command);
    for (const std::string& word : words)
      if (word != "help" && word != "version") {
        EXPECT_TRUE(spec.commands.count(command + " " + word)) << word;
      }
  }
  for (const auto& [command, words] : options)
    for (const std::string& word : words)
      if (word != "-h" && word != "--help") completed_options.insert(command + " " + word);
  EXPECT_EQ(completed_commands, spec.commands);
  EXPECT_EQ(completed_options, spec.options);
  std::set<std::string> top_level = {"help", "version"};  // the aliases of --help and --version
  for (const std::string& command : spec.commands)
    if (std::count(command.begin(), command.end(), ' ') == 1) top_level.insert(command.substr(command.find(' ') + 1));
  EXPECT_EQ(subcommands["xbuild"], top_level);

  CommandResult zsh = xbuild({"completion", "zsh"});
  ASSERT_EQ(zsh.exit_code, 0) << zsh.err;
  for (const std::string& command : spec.commands)
    EXPECT_NE(zsh.out.find("    ('" + command + "')\n"), std::string::npos) << command;
  for (const std::string& option : spec.options) {
    std::string name = option.substr(option.rfind(' ') + 1);
    std::string command = option.substr(0, option.rfind(' '));
    std::size_t arm = zsh.out.find("    ('" + command + "')\n");
    std::size_t end = zsh.out.find(";;", arm);
    std::string specs = zsh.out.substr(arm, end - arm);  // '--json[...]', or '*--platform=[...]:...' (repeatable)
    EXPECT_TRUE(specs.find("'" + name) != std::string::npos || specs.find("'*" + name) != std::string::npos) << option;
  }

  // What the build generated and installs is what the binary prints.
  fs::path built = xbuild_binary().parent_path() / "completions";
  EXPECT_EQ(read_file(built / "xbuild").value(), bash.out);
  EXPECT_EQ(read_file(built / "_xbuild").value(), zsh.out);
}

// COMPREPLY of the script's _xbuild in a real bash with bash-completion loaded, for the words of
// a command line (the last one is the word being completed) typed as `line`.
std::string bash_complete(const fs::path& script, const std::vector<std::string>& words, const std::string& line) {
  std::string array;
  for (const std::string& word : words) array += " '" + word + "'";
  std::string program = "source /usr/share/bash-completion/bash_completion && source '" + script.string() +
                        "'\nCOMP_WORDS=(" + array + ")\nCOMP_CWORD=" + std::to_string(words.size() - 1) +
                        "\nCOMP_LINE='" + line + "'\nCOMP_POINT=${#COMP_LINE}\n" +
                        "_xbuild xbuild \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n" +
                        "printf '%s\\n' \"${COMPREPLY[@]}\" | sort\n";
  CommandResult result = run({"bash", "--norc", "--noprofile", "-c", program});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  return result.out;
}

TEST(Completion, CompletesInARealBash) {
  XB_REQUIRE_TOOLS("bash");
  ASSERT_TRUE(fs::exists("/usr/share/bash-completion/bash_completion")) << "install bash-completion";
  ScratchDir scratch;
  scratch.write("xbuild.bash", xbuild({"completion", "bash"}).out);
  fs::path script = scratch / "xbuild.bash";

  EXPECT_EQ(bash_complete(script, {"xbuild", "r"}, "xbuild r"), "run\n");
  EXPECT_EQ(bash_complete(script, {"xbuild", "run", "--pl"}, "xbuild run --pl"), "--platform\n");
  EXPECT_EQ(bash_complete(script, {"xbuild", "run", "--platform", "linux/ar"}, "xbuild run --platform linux/ar"),
            "linux/arm/v7\nlinux/arm64\n");
  EXPECT_EQ(bash_complete(script, {"xbuild", "run", "--platform", "=", "linux/ar"}, "xbuild run --platform=linux/ar"),
            "linux/arm/v7\nlinux/arm64\n");
  EXPECT_EQ(bash_complete(script, {"xbuild", "plan", "--platform", "linux/arm64,cortex-m3"},
                          "xbuild plan --platform linux/arm64,cortex-m3"),
            "linux/arm64,cortex-m3\nlinux/arm64,cortex-m33\n");
  EXPECT_EQ(bash_complete(script, {"xbuild", "binfmt", ""}, "xbuild binfmt "), "install\nstatus\nuninstall\n");
  EXPECT_EQ(bash_complete(script, {"xbuild", "run", "-j", "4", "--progress", ""}, "xbuild run -j 4 --progress "),
            "auto\njson\nplain\ntty\n");
  EXPECT_EQ(bash_complete(script, {"xbuild", "completion", ""}, "xbuild completion "), "bash\nzsh\n");
  EXPECT_EQ(bash_complete(script, {"xbuild", "help", "ca"}, "xbuild help ca"), "cache\n");
  EXPECT_EQ(bash_complete(script, {"xbuild", "firmware", "test", "--target", "cortex-m0"},
                          "xbuild firmware test --target cortex-m0"),
            "cortex-m0\ncortex-m0plus\n");
  EXPECT_EQ(bash_complete(script, {"xbuild", "cache", "info", "--"}, "xbuild cache info --"),
            "--cache-dir\n--help\n--json\n");
}

TEST(Completion, LoadsInARealZshWithCompinit) {
  XB_REQUIRE_TOOLS("zsh");
  ScratchDir scratch;
  scratch.write("functions/_xbuild", xbuild({"completion", "zsh"}).out);
  CommandResult syntax = run({"zsh", "-n", (scratch / "functions" / "_xbuild").string()});
  EXPECT_EQ(syntax.exit_code, 0) << syntax.err;
  // compinit finds the #compdef line; loading the function file runs no completion by itself.
  CommandResult loaded = run({"zsh", "-f", "-c",
                              "fpath=(" + (scratch / "functions").string() +
                                  " $fpath); autoload -U compinit; compinit -u -d " + (scratch / "dump").string() +
                                  "; print -r -- $_comps[xbuild]; autoload +X _xbuild && whence -w _xbuild"});
  EXPECT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_EQ(loaded.out, "_xbuild\n_xbuild: function\n");
  EXPECT_EQ(loaded.err, "");
}

}  // namespace
}  // namespace xb::testing
