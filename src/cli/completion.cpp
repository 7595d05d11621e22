// Completion scripts generated from the CLI11 definition. The definition is first walked into a
// list of commands (path, subcommands, options, whether it takes positional arguments); each
// option gets a kind of value from what CLI11 knows of it: none (a flag), a number (INT, UINT,
// FLOAT), a choice (an IsMember check, "TEXT:{auto,tty,...}" in its type name), a platform, a
// firmware target or an architecture (--platform, --target, --arch: the data directory's names;
// a comma-separated list when its help says so), a registry reference (HOST in its help:
// nothing to complete) or, otherwise, a file. Both scripts find the command path by walking the
// words before the cursor, skipping each option's value, then complete the value of the option
// before the cursor, an option, a subcommand, or a file.
#include "cli/completion.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "emulate/qemu_catalog.h"
#include "toolchain/firmware_target.h"
#include "toolchain/toolchain.h"
#include "util/strings.h"

namespace xb {

namespace {

enum class ValueKind { kFlag, kNumber, kChoice, kPlatform, kFirmwareTarget, kArch, kReference, kFile };

struct OptionSpec {
  std::vector<std::string> names;  // "-f", "--file"
  ValueKind kind = ValueKind::kFlag;
  std::vector<std::string> choices;
  bool list = false;      // a comma-separated list of values
  bool repeated = false;  // may be given more than once
  std::string description;
  std::string envname;  // the variable its default comes from, if any
};

struct CommandSpec {
  std::string path;  // "xbuild cache info"
  std::string description;
  std::vector<std::string> subcommands;
  std::vector<std::string> subcommand_descriptions;
  std::vector<OptionSpec> options;
  bool positionals = false;
  std::vector<std::string> positional_choices;  // an IsMember check's set (completion SHELL)
};

bool is_hidden(const CLI::App* command) { return command->get_name().rfind("__", 0) == 0; }

// "TEXT:{auto,tty,plain,json}": the set of an IsMember check, as CLI11 describes it.
std::vector<std::string> member_choices(const std::string& type_name) {
  std::string::size_type open = type_name.find(":{");
  std::string::size_type close = type_name.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return {};
  return split(type_name.substr(open + 2, close - open - 2), ',');
}

ValueKind value_kind(const CLI::Option& option, const std::string& name) {
  if (option.get_expected_max() == 0) return ValueKind::kFlag;  // add_flag: expected(0)
  std::string type = option.get_type_name();
  if (!member_choices(type).empty()) return ValueKind::kChoice;
  if (type.rfind("INT", 0) == 0 || type.rfind("UINT", 0) == 0 || type.rfind("FLOAT", 0) == 0) return ValueKind::kNumber;
  if (name == "--platform") return ValueKind::kPlatform;
  if (name == "--target") return ValueKind::kFirmwareTarget;
  if (name == "--arch") return ValueKind::kArch;
  if (option.get_description().find("HOST") != std::string::npos) return ValueKind::kReference;
  return ValueKind::kFile;
}

OptionSpec option_spec(const CLI::Option& option) {
  OptionSpec spec;
  for (const std::string& name : option.get_snames()) spec.names.push_back("-" + name);
  for (const std::string& name : option.get_lnames()) spec.names.push_back("--" + name);
  spec.kind = value_kind(option, spec.names.back());
  if (spec.kind == ValueKind::kChoice) spec.choices = member_choices(option.get_type_name());
  spec.list = option.get_description().find("comma-separated") != std::string::npos;
  spec.repeated = option.get_expected_max() > 1;
  spec.description = option.get_description();
  spec.envname = option.get_envname();
  return spec;
}

void walk(const CLI::App& command, const std::string& path, std::vector<CommandSpec>& out) {
  CommandSpec spec;
  spec.path = path;
  spec.description = command.get_description();
  for (const CLI::Option* option : command.get_options()) {
    if (option->nonpositional())
      spec.options.push_back(option_spec(*option));
    else {
      spec.positionals = true;
      std::vector<std::string> choices = member_choices(option->get_type_name());
      spec.positional_choices.insert(spec.positional_choices.end(), choices.begin(), choices.end());
    }
  }
  if (command.get_prefix_command()) spec.positionals = true;
  std::vector<const CLI::App*> children = command.get_subcommands([](const CLI::App*) { return true; });
  for (const CLI::App* child : children) {
    if (is_hidden(child)) continue;
    spec.subcommands.push_back(child->get_name());
    spec.subcommand_descriptions.push_back(child->get_description());
  }
  out.push_back(spec);
  for (const CLI::App* child : children)
    if (!is_hidden(child)) walk(*child, path + " " + child->get_name(), out);
}

std::vector<CommandSpec> commands_of(const CLI::App& app) {
  std::vector<CommandSpec> commands;
  walk(app, "xbuild", commands);
  // `xbuild help [COMMAND]` and `xbuild version` are aliases read before CLI11 parses.
  commands.front().subcommands.insert(commands.front().subcommands.end(), {"help", "version"});
  commands.front().subcommand_descriptions.insert(commands.front().subcommand_descriptions.end(),
                                                  {"Show a command's help", "Print the version"});
  return commands;
}

std::string names_of(const std::vector<OptionSpec>& options, bool values_only) {
  std::vector<std::string> names;
  for (const OptionSpec& option : options)
    if (!values_only || option.kind != ValueKind::kFlag)
      names.insert(names.end(), option.names.begin(), option.names.end());
  return join(names, " ");
}

// Single-quoted for any POSIX shell.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string table(const std::vector<CommandSpec>& commands, const std::string& name,
                  const std::function<std::string(const CommandSpec&)>& value) {
  std::string out = "  local -A " + name + "=(\n";
  for (const CommandSpec& command : commands)
    out += "    [" + quoted(command.path) + "]=" + quoted(value(command)) + "\n";
  return out + "  )\n";
}

std::string words_line(const std::string& name, const std::vector<std::string>& words) {
  return name + "=" + quoted(join(words, " ")) + "\n";
}

// The case arms of the value completions, one per kind: "xbuild run --progress"|... ) ACTION ;;
std::string bash_value_arms(const std::vector<CommandSpec>& commands) {
  std::vector<std::string> numbers, references, files, platforms, platform_lists, targets, arches;
  std::string choices;
  for (const CommandSpec& command : commands)
    for (const OptionSpec& option : command.options)
      for (const std::string& name : option.names) {
        std::string key = quoted(command.path + " " + name);
        switch (option.kind) {
          case ValueKind::kFlag:
            break;
          case ValueKind::kNumber:
            numbers.push_back(key);
            break;
          case ValueKind::kReference:
            references.push_back(key);
            break;
          case ValueKind::kFile:
            files.push_back(key);
            break;
          case ValueKind::kPlatform:
            (option.list ? platform_lists : platforms).push_back(key);
            break;
          case ValueKind::kFirmwareTarget:
            targets.push_back(key);
            break;
          case ValueKind::kArch:
            arches.push_back(key);
            break;
          case ValueKind::kChoice:
            choices += "      " + key + ") COMPREPLY=($(compgen -W " + quoted(join(option.choices, " ")) +
                       " -- \"$cur\")) ;;\n";
            break;
        }
      }
  std::string out = choices;
  auto arm = [&out](const std::vector<std::string>& keys, const std::string& action) {
    if (!keys.empty()) out += "      " + join(keys, "|") + ") " + action + " ;;\n";
  };
  arm(platform_lists, "_xbuild_list \"$_xbuild_platforms\"");
  arm(platforms, "COMPREPLY=($(compgen -W \"$_xbuild_platforms\" -- \"$cur\"))");
  arm(targets, "COMPREPLY=($(compgen -W \"$_xbuild_firmware_targets\" -- \"$cur\"))");
  arm(arches, "_xbuild_list \"$_xbuild_arches\"");
  arm(numbers, ":");
  arm(references, ":");
  arm(files, "_xbuild_files");
  return out;
}

// zsh's _arguments spec of one option name: '*--platform=[help]:platform:_xbuild_platforms'.
std::string zsh_option(const OptionSpec& option, const std::string& name) {
  std::string help;
  for (char c : option.description) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') help += '\\';
    help += c;
  }
  std::string spec = (option.repeated ? "*" : "") + name;
  if (option.kind != ValueKind::kFlag) spec += name.size() == 2 ? "+" : "=";
  spec += "[" + help + "]";
  switch (option.kind) {
    case ValueKind::kFlag:
      break;
    case ValueKind::kNumber:
      spec += ":number: ";
      break;
    case ValueKind::kReference:
      spec += ":reference: ";
      break;
    case ValueKind::kFile:
      spec += ":file:_files";
      break;
    case ValueKind::kChoice:
      spec += ":value:(" + join(option.choices, " ") + ")";
      break;
    case ValueKind::kPlatform:
      spec += option.list ? ":platform:_xbuild_platforms" : ":platform:_xbuild_platform";
      break;
    case ValueKind::kFirmwareTarget:
      spec += ":target:_xbuild_firmware_targets";
      break;
    case ValueKind::kArch:
      spec += ":architecture:_xbuild_arches";
      break;
  }
  return spec;
}

std::string zsh_arm(const CommandSpec& command) {
  std::string out = "    (" + quoted(command.path) + ")\n      _arguments -s -S :";
  for (const OptionSpec& option : command.options)
    for (const std::string& name : option.names) out += " \\\n        " + quoted(zsh_option(option, name));
  if (!command.subcommands.empty())
    out += " \\\n        '1:command:->command'";
  else if (!command.positional_choices.empty())
    out += " \\\n        '1:value:(" + join(command.positional_choices, " ") + ")'";
  else if (command.positionals)
    out += " \\\n        '*:file:_files'";
  out += " && return\n";
  if (!command.subcommands.empty()) {
    out += "      local -a subcommands=(";
    for (std::size_t i = 0; i < command.subcommands.size(); ++i)
      out += " " + quoted(command.subcommands[i] + ":" + command.subcommand_descriptions[i]);
    out += " )\n      [[ $state == command ]] && _describe -t commands command subcommands\n";
  }
  return out + "      ;;\n";
}

}  // namespace

CompletionWords completion_words() {
  CompletionWords words;
  std::filesystem::path data = data_directory();
  if (Result<ToolchainCatalog> catalog = ToolchainCatalog::load(data / "toolchains"))
    for (const Toolchain& toolchain : catalog.value().all()) words.platforms.push_back(toolchain.platform.str());
  if (Result<QemuCatalog> qemu = QemuCatalog::load(data / "qemu"))
    for (const QemuArch& arch : qemu.value().all()) {
      words.arches.push_back(arch.arch);
      if (std::find(words.platforms.begin(), words.platforms.end(), arch.platform.str()) == words.platforms.end())
        words.platforms.push_back(arch.platform.str());
    }
  words.arches.push_back("all");
  if (Result<std::vector<firmware::Target>> targets = firmware::load_targets(data / "toolchains" / "firmware"))
    for (const firmware::Target& target : targets.value()) {
      words.platforms.push_back("none/arm/" + target.name);
      words.firmware_targets.push_back(target.name);
    }
  // The short name of a firmware target (cortex-m4) is a --platform value too.
  words.platforms.insert(words.platforms.end(), words.firmware_targets.begin(), words.firmware_targets.end());
  return words;
}

std::string cli_spec(const CLI::App& app) {
  std::string out;
  for (const CommandSpec& command : commands_of(app)) {
    out += "command\t" + command.path + "\n";
    for (const OptionSpec& option : command.options)
      for (const std::string& name : option.names)
        out += "option\t" + command.path + "\t" + name + "\t" + (option.kind == ValueKind::kFlag ? "flag" : "value") +
               (option.envname.empty() ? "" : "\t" + option.envname) + "\n";
  }
  return out;
}

std::string bash_completion(const CLI::App& app, const CompletionWords& words) {
  std::vector<CommandSpec> commands = commands_of(app);
  std::string out =
      "# bash completion for xbuild, generated from its command line by `xbuild completion bash`.\n"
      "# Installed as <datadir>/bash-completion/completions/xbuild; or: source <(xbuild completion bash)\n\n";
  out += words_line("_xbuild_platforms", words.platforms);
  out += words_line("_xbuild_firmware_targets", words.firmware_targets);
  out += words_line("_xbuild_arches", words.arches);
  out += R"(
# The last item of a comma-separated list: linux/arm64,linux/ri -> linux/arm64,linux/riscv64.
_xbuild_list() {
  local head="" last=$cur
  if [[ $cur == *,* ]]; then head=${cur%,*},; last=${cur##*,}; fi
  COMPREPLY=($(compgen -P "$head" -W "$1" -- "$last"))
}

_xbuild_files() {
  if declare -F _filedir >/dev/null; then _filedir; else compopt -o filenames; COMPREPLY=($(compgen -f -- "$cur")); fi
}

_xbuild() {
  local cur prev words cword split=false
  if declare -F _init_completion >/dev/null; then
    _init_completion -s || return
  else
    words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; cur=${words[cword]}; prev=${words[cword-1]}
  fi
)";
  out += table(commands, "subcommands", [](const CommandSpec& c) { return join(c.subcommands, " "); });
  out += table(commands, "options", [](const CommandSpec& c) { return names_of(c.options, false); });
  out += table(commands, "values", [](const CommandSpec& c) { return names_of(c.options, true); });
  out += table(commands, "positionals", [](const CommandSpec& c) { return c.positionals ? "yes" : ""; });
  out += table(commands, "choices", [](const CommandSpec& c) { return join(c.positional_choices, " "); });
  out += R"(
  # The command path: the words before the cursor that name subcommands, options' values skipped.
  local path=xbuild i w
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    case $w in
      --*=*) ;;
      -*) [[ " ${values[$path]} " == *" $w "* ]] && ((i++)) ;;
      *) [[ " ${subcommands[$path]} " == *" $w "* && $w != help && $w != version ]] && path+=" $w" ;;
    esac
  done

  if [[ " ${values[$path]} " == *" $prev "* ]]; then
    case "$path $prev" in
)";
  out += bash_value_arms(commands);
  out += R"(    esac
    return
  fi
  $split && return
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${options[$path]}" -- "$cur"))
  elif [[ -n ${subcommands[$path]} ]]; then
    COMPREPLY=($(compgen -W "${subcommands[$path]}" -- "$cur"))
  elif [[ -n ${choices[$path]} ]]; then
    COMPREPLY=($(compgen -W "${choices[$path]}" -- "$cur"))
  elif [[ -n ${positionals[$path]} ]]; then
    _xbuild_files
  fi
}

complete -F _xbuild xbuild
)";
  return out;
}

std::string zsh_completion(const CLI::App& app, const CompletionWords& words) {
  std::vector<CommandSpec> commands = commands_of(app);
  std::string out =
      "#compdef xbuild\n"
      "# zsh completion for xbuild, generated from its command line by `xbuild completion zsh`.\n"
      "# Installed as <datadir>/zsh/vendor-completions/_xbuild; or: source <(xbuild completion zsh)\n\n";
  out += "_xbuild_platforms() { _values -s , platform " + join(words.platforms, " ") + " }\n";
  out += "_xbuild_platform() { compadd -- " + join(words.platforms, " ") + " }\n";
  out += "_xbuild_firmware_targets() { compadd -- " + join(words.firmware_targets, " ") + " }\n";
  out += "_xbuild_arches() { _values -s , architecture " + join(words.arches, " ") + " }\n";
  out += R"(
_xbuild() {
  local context state state_descr line
  typeset -A opt_args
)";
  out += table(commands, "subcommands", [](const CommandSpec& c) { return join(c.subcommands, " "); });
  out += table(commands, "values", [](const CommandSpec& c) { return names_of(c.options, true); });
  out += R"(
  # The command path: the words before the cursor that name subcommands, options' values skipped.
  local cmd=xbuild i w start=1
  for ((i = 2; i < CURRENT; i++)); do
    w=$words[i]
    case $w in
      --*=*) ;;
      -*) [[ " $values[$cmd] " == *" $w "* ]] && ((i++)) ;;
      *) if [[ " $subcommands[$cmd] " == *" $w "* && $w != help && $w != version ]]; then cmd+=" $w"; start=$i; fi ;;
    esac
  done
  words=("${(@)words[start,-1]}")
  ((CURRENT -= start - 1))

  case $cmd in
)";
  for (const CommandSpec& command : commands) out += zsh_arm(command);
  out += R"(  esac
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _xbuild "$@"
else
  compdef _xbuild xbuild
fi
)";
  return out;
}

std::function<int()> add_completion_commands(CLI::App& app) {
  auto shell = std::make_shared<std::string>();
  CLI::App* completion = app.add_subcommand("completion", "Print the completion script of a shell (bash or zsh)");
  completion->add_option("shell", *shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  CLI::App* spec = app.add_subcommand("__cli-spec", "Every command path and option, one a line");
  spec->group("");
  return [&app, completion, spec, shell]() -> int {
    std::string text;
    if (completion->parsed())
      text = *shell == "bash" ? bash_completion(app, completion_words()) : zsh_completion(app, completion_words());
    else if (spec->parsed())
      text = cli_spec(app);
    else
      return -1;
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  };
}

}  // namespace xb
