// Remote builders ([builder.NAME] in xbuild.toml): a builder builds the platforms it declares
// natively, reached over OpenSSH. Here: which builder a platform goes to, the ssh command line,
// the local script a stage becomes, and reaching the builders before a run.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/model.h"
#include "util/error.h"

namespace xb {

// The builder that declares `platform`, or nullptr.
const BuilderSpec* builder_for(const Config& config, const Platform& platform);

// "builder pi (ssh me@pi port 2222)": how messages name a builder.
std::string describe_builder(const BuilderSpec& builder);

// The ssh command line for a builder: ssh [-F FILE] [-p PORT] -o BatchMode=yes
// -o ConnectTimeout=10. Host keys are checked by OpenSSH as configured (never turned off).
std::vector<std::string> ssh_argv(const BuilderSpec& builder);

// The directory on the builder for one target: DIR/<project>-<12 hex of the project path>/<slug>.
std::string remote_directory(const Config& config, const BuilderSpec& builder, const Platform& platform);

// The local shell script of a stage that runs on `builder`: copies the sources there (rsync over
// ssh, .xbuild left out), runs `command` there in `shell` (its last argument) under `env` and with
// $XBUILD_SRC/$XBUILD_OUT naming its own directories, then copies the outputs back into the
// local $XBUILD_OUT (whatever the stage's status) and exits with the stage's status. With
// jobs = N it first waits for one of N lock files in `slots_dir`.
std::string remote_stage_script(const Config& config, const BuilderSpec& builder, const Platform& platform,
                                const std::map<std::string, std::string>& env, const std::vector<std::string>& shell,
                                const std::string& command, const std::filesystem::path& slots_dir);

// A script that prints `message` on stderr and fails (exit 255): a job of an unreachable builder.
std::string failing_script(const std::string& message);

// Reaches every builder that one of the config's platforms is routed to, once per platform
// (`mkdir -p` of its source directory, which is also the check that it answers). Returns the
// builders that could not be reached, by name, with ssh's last line of error.
std::map<std::string, std::string> reach_builders(const Config& config);

// A kept directory ([stage.NAME] keep) on a builder: `path` under its work/ ($XBUILD_WORK
// there), the record of its key (`record`, kept in keys/<id> next to work/), and whether it
// starts empty (--clean).
struct RemoteKept {
  std::string path;
  std::string id;
  std::string record;
  bool clean = false;
};

// Empties the output directory on the builder of `platform` (a run starts from a clean
// $XBUILD_OUT there too) and brings its kept directories to their keys: each one there whose
// record differs (or that starts clean) is wiped, and every one is made and its record written;
// what its work/ holds besides `kept_names` (the first component of every directory the
// platform's stages keep, run or not) is removed. Returns the wiped ones by id, with the record
// each had (none: no record). Fails naming the builder and ssh's error.
Result<std::map<std::string, std::optional<std::string>>> reset_builder(const Config& config, const Platform& platform,
                                                                        const std::vector<RemoteKept>& kept,
                                                                        const std::set<std::string>& kept_names);

}  // namespace xb
