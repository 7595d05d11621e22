#include "build/ccache_pass.h"

#include "run/terminal.h"

namespace xb {

namespace {

// The remote storage of the targets that use it, each probed once: a remote that is down costs
// every compile ccache's own timeout and then falls back to the local cache; the user hears why
// once instead of finding out from the hit rates.
void warn_when_remote_is_down(const Plan& plan, const std::set<std::string>& running, Terminal& terminal) {
  std::set<std::string> remotes;
  for (const TargetPlan& target : plan.targets)
    if (target.ccache && !target.ccache->remote.empty() && running.count(target.platform.str()))
      remotes.insert(target.ccache->remote);
  for (const std::string& remote : remotes)
    if (Status reached = probe_ccache_remote(remote); !reached)
      terminal.status_line("xbuild: warning: ccache remote storage " + remote + " unreachable (" + reached.error() +
                           "): compiling with the local cache only");
}

}  // namespace

CcacheByPlatform ccache_before_run(const Plan& plan, const std::set<std::string>& running, Terminal& terminal) {
  warn_when_remote_is_down(plan, running, terminal);
  CcacheByPlatform counts;
  for (const TargetPlan& target : plan.targets) {
    if (!target.ccache || !running.count(target.platform.str())) continue;
    // A directory ccache cannot read here (an emulated target's, without ccache on the host)
    // has no counters to show: its row says nothing of ccache.
    if (Result<CcacheCounts> read = read_ccache_stats(target.ccache->dir)) counts[target.platform.str()] = read.value();
  }
  return counts;
}

CcacheByPlatform ccache_of_run(const Plan& plan, const CcacheByPlatform& before) {
  CcacheByPlatform counts;
  for (const TargetPlan& target : plan.targets) {
    auto then = before.find(target.platform.str());
    if (!target.ccache || then == before.end()) continue;
    if (Result<CcacheCounts> now = read_ccache_stats(target.ccache->dir))
      counts[target.platform.str()] = now.value().since(then->second);
  }
  return counts;
}

}  // namespace xb
