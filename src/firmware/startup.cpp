// Compiling a target's startup. The object is up to date when <object>.key holds the key of
// this compile: a digest over the source's digest, every word of the command, and the compiler
// as PATH finds it (resolved path, size and modification time, which a new compiler package
// changes). Otherwise the compiler writes a temporary sibling of the object, which is renamed
// over it once the compile succeeded, and then the key is written; a run stopped in between
// leaves an object without its key, which the next one compiles again.
#include "firmware/startup.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "util/fs.h"
#include "util/probe.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb::firmware {

namespace fs = std::filesystem;

namespace {

// What the compiler is: its file, size and modification time ("" when PATH lacks it: the
// compile then fails and says so).
std::string compiler_identity(const std::string& program) {
  fs::path found = find_program(program);
  if (found.empty()) return "";
  std::error_code error;
  if (fs::path resolved = fs::canonical(found, error); !error) found = resolved;
  auto size = fs::file_size(found, error);
  auto time = fs::last_write_time(found, error);
  if (error) return found.string();
  return found.string() + " " + std::to_string(size) + " " + std::to_string(time.time_since_epoch().count());
}

std::string compile_key(const Target& target, const std::vector<std::string>& command) {
  Sha256 hash;
  auto field = [&](const std::string& text) {
    const std::string length = std::to_string(text.size()) + ":";
    hash.update(length.data(), length.size());
    hash.update(text.data(), text.size());
  };
  field("xbuild-startup-1");
  field(target.startup->digest);
  for (const std::string& word : command) field(word);
  field(compiler_identity(command.front()));
  return hash.digest();
}

}  // namespace

std::vector<std::string> startup_command(const Target& target, const fs::path& output) {
  char stack_top[16];
  std::snprintf(stack_top, sizeof stack_top, "0x%08x", static_cast<unsigned>(target.stack_top));
  std::vector<std::string> command = {target.triple + "-gcc"};
  command.insert(command.end(), target.cflags.begin(), target.cflags.end());
  command.insert(command.end(), {"-O2", std::string("-DXBUILD_STACK_TOP=") + stack_top, "-c",
                                 target.startup->source.filename().string(), "-o", output.string()});
  return command;
}

Result<bool> prepare_startup(const Target& target) {
  if (!target.startup) return false;
  const fs::path& object = target.startup->object;
  const fs::path key_file = object.string() + ".key";
  const std::string key = compile_key(target, startup_command(target, object));
  if (fs::is_regular_file(object)) {
    Result<std::string> recorded = read_file(key_file);
    if (recorded && recorded.value() == key + "\n") return false;
  }
  std::error_code error;
  fs::create_directories(object.parent_path(), error);
  if (error) return fail("cannot create " + object.parent_path().string() + ": " + error.message());
  Result<TempFile> temp = TempFile::create(object);
  if (!temp) return Failure{temp.error()};
  const std::vector<std::string> command = startup_command(target, temp.value().path());
  std::string output;
  CommandOptions options;
  options.working_directory = target.startup->source.parent_path();
  options.timeout = std::chrono::minutes(2);
  options.on_line = [&](std::string_view line) { output.append(line).push_back('\n'); };
  Result<CommandExit> exit = run_sync(command, options);
  const std::string what =
      "cannot compile the startup of firmware target \"" + target.name + "\" (" + target.startup->source.string() + ")";
  if (!exit) return fail(what + ": " + exit.error() + "; install " + join(target.packages.at("compiler"), " "));
  if (!exit.value().success())
    return fail(what + ": " + shell_join(command) + " failed" + (output.empty() ? "" : ":\n" + output));
  if (Status done = temp.value().commit(object); !done) return Failure{done.error()};
  if (Status written = write_file_atomic(key_file, key + "\n"); !written) return Failure{written.error()};
  return true;
}

}  // namespace xb::firmware
