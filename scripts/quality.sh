#!/usr/bin/env bash
# The quality jobs of CI, which scripts/test.sh runs after the test suite; each can run alone:
#
#   scripts/quality.sh [JOB...]      JOB: format, layering, tidy, sanitize (none named: all four)
#   scripts/quality.sh prebuild      only build the sanitized tree (scripts/test.sh, see there)
#
#   format    every C++ file of src/ and tests/ formatted per .clang-format (scripts/check-format.sh)
#   layering  the dependency rule of ARCHITECTURE.md (scripts/check-layering.py; also a `meson test`)
#   tidy      clang-tidy with .clang-tidy over the .cpp files of src/: those changed since the merge
#             base with main (a changed header brings the files that include it) plus one seventh
#             of the rest, a different seventh each day, so that a week covers all of src/.
#             XBUILD_TIDY=all checks every file (about 126 files: ~8 minutes on 2 cores).
#   sanitize  a clang build with AddressSanitizer and UndefinedBehaviorSanitizer (-O1): every unit
#             test, then the end-to-end tests of $sanitize_e2e below against the sanitized xbuild.
#             Any sanitizer report (of any process: a stage's `xbuild __contained` too) fails it.
#
# Each job writes a GoogleTest-style XML report, <build>/quality/<job>.xml, that
# scripts/summarize-tests.py counts with the rest of the suite (a job that did not finish leaves a
# failing one). Build trees: <build> (XBUILD_TEST_BUILD_DIR, default build/, whose e2e_tests
# binary drives the sanitized xbuild) and <build>/quality/asan (clang, sanitizers; its
# compile_commands.json is also the one clang-tidy reads). Exit status 1 if a job failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${XBUILD_TEST_BUILD_DIR:-$root/build}
reports=$build/quality
asan=$reports/asan
jobs_count=$(nproc)

# Quick end-to-end tests that take the sanitized binary through the job loop, packing, publishing,
# the registry client, the stage cache, reports and config errors (no emulation: binfmt_misc
# handlers are kernel-wide state the full suite already covers).
sanitize_e2e=(
  'RunFailure.ABrokenConfigIsReportedWithLineAndCaretAndChangesNothing'
  'ConfigCorpus.EveryCaseExitsTwoWithItsGoldenTextAndWritesNothing'
  'ConfigFiles.*'
  'Settings.BadSettingsAreRefusedByName'
  'CliHabits.HelpAndVersionAliasesAndAMistypedCommand'
  'Progress.PlainIsPrefixedLines'
  'Progress.JsonIsOneEventPerLine'
  'Progress.AutoOnATerminalDrawsTheBoard'
  'States.AFailureCancelsTheOthersAndSaysBecauseOfWhich'
  'States.KeepGoingSkipsWhatNeedsAFailureAndNamesEveryFailure'
  'Interrupt.SigintEndsEveryStageTreeKeepsTheLayoutAndExits130'
  'Cache.ARerunWithNothingChangedRunsNoStageAndWritesTheSameDigests'
  'Cache.InfoAndPrune'
  'Report.MetadataFileHoldsTheDigestsOfTheLayout'
  'Report.AFailedRunStillWritesJunitWithTheLogAndMetadataWithoutDigests'
  'RegistryE2E.BadInputIsRefusedBeforeAnythingHappens'
  'RegistryE2E.SkopeoReadsBackExactlyWhatWasPushed'
  'RegistryE2E.PushAndPullThroughAProxyThatDropsConnectionsAndAnswers503'
  'RegistryE2E.BearerTokensFromATokenServer'
  'RegistryCacheE2E.PushThenPullIntoAnEmptyCacheHoldsTheSameBytes'
  'HostileLayout.Merge'
  'HostileLayout.LayoutBaseImage'
  'ShardMerge.BadShardValuesAndArgumentsAreRefusedBeforeAnythingRuns'
  'LocalOutput.BadDestinationsAreRefusedAndChangeNothing'
)

# report FILE SUITE [CASE STATUS MESSAGE]...: a GoogleTest-style XML report, STATUS ok or failed.
report() {
  python3 - "$@" <<'EOF'
import sys
from xml.sax.saxutils import escape, quoteattr
path, suite, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
cases = [rest[i:i + 3] for i in range(0, len(rest), 3)]
lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<testsuites><testsuite name={quoteattr(suite)}>']
for name, status, message in cases:
    body = "" if status == "ok" else f"<failure message={quoteattr(message.splitlines()[0] if message else 'failed')}>{escape(message)}</failure>"
    lines.append(f'<testcase name={quoteattr(name)} classname={quoteattr(suite)}>{body}</testcase>')
lines.append("</testsuite></testsuites>")
with open(path + ".tmp", "w", encoding="utf-8", errors="replace") as out:
    out.write("\n".join(lines) + "\n")
import os
os.replace(path + ".tmp", path)
EOF
}

# job_format, job_layering: one case each, the check's output as the failure.
job_format() {
  local out status
  out=$("$root/scripts/check-format.sh" 2>&1); status=$?
  printf '%s\n' "$out"
  [ $status -eq 0 ] && report "$reports/format.xml" format check-format ok "" ||
    report "$reports/format.xml" format check-format failed "$out"
  return $status
}

job_layering() {
  local out status
  out=$(python3 "$root/scripts/check-layering.py" "$root" 2>&1); status=$?
  printf '%s\n' "$out"
  [ $status -eq 0 ] && report "$reports/layering.xml" layering check-layering ok "" ||
    report "$reports/layering.xml" layering check-layering failed "$out"
  return $status
}

# The clang build with sanitizers (only configured by tidy, which needs its compile commands).
configure_asan() {
  [ -f "$asan/build.ninja" ] && return 0
  CC=clang CXX=clang++ CC_LD=lld CXX_LD=lld meson setup "$asan" "$root" \
    -Dbuildtype=plain -Doptimization=1 -Ddebug=false \
    "-Dcpp_args=-gline-tables-only -fno-omit-frame-pointer" \
    -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true
}

# The .cpp files of src/ that clang-tidy checks (see the top of this file).
tidy_files() {
  local all
  all=$(cd "$root" && find src -name '*.cpp' | LC_ALL=C sort)
  if [ "${XBUILD_TIDY:-}" = "all" ]; then
    printf '%s\n' "$all"
    return
  fi
  local base changed day
  base=$(git -C "$root" merge-base HEAD origin/main 2>/dev/null || git -C "$root" merge-base HEAD main 2>/dev/null ||
    git -C "$root" rev-parse HEAD~1 2>/dev/null)
  if [ -n "$base" ]; then
    # Changed since the base, committed or not; a header brings every file that includes it.
    changed=$(git -C "$root" diff --name-only "$base" -- 'src/*.cpp' 'src/*.h')
    {
      printf '%s\n' "$changed" | grep '\.cpp$'
      for header in $(printf '%s\n' "$changed" | grep '\.h$'); do
        (cd "$root" && grep -rlF --include='*.cpp' "#include \"${header#src/}\"" src)
      done
    } | (cd "$root" && xargs -r ls 2>/dev/null)
  fi
  day=$(($(date -u +%s) / 86400 % 7))
  printf '%s\n' "$all" | awk -v day="$day" '(NR - 1) % 7 == day'
}

job_tidy() {
  configure_asan >"$reports/asan-setup.log" 2>&1 || {
    cat "$reports/asan-setup.log"
    report "$reports/tidy.xml" tidy configure failed "meson setup of $asan failed: $(tail -20 "$reports/asan-setup.log")"
    return 1
  }
  local files logs
  files=$(tidy_files | LC_ALL=C sort -u)
  logs=$reports/tidy-logs
  rm -rf "$logs" && mkdir -p "$logs"
  echo "tidy: $(printf '%s\n' "$files" | grep -c .) files"
  # One clang-tidy per file, nproc at once; each file's findings in its own log.
  printf '%s\n' "$files" | grep . | (cd "$root" && xargs -P "$jobs_count" -I{} sh -c \
    'log="$1/$(echo "$4" | tr / _).log"; clang-tidy -p "$2" --quiet "-header-filter=^$3/src/" "$4" >"$log" 2>&1 || echo "exit status $?" >>"$log"' \
    _ "$logs" "$asan" "$root" {})
  local args=() failed=0 file log findings
  for file in $files; do
    log="$logs/$(echo "$file" | tr / _).log"
    findings=$(grep -v -e '^[0-9]* warnings\? generated\.$' -e '^[0-9]* warnings\? and [0-9]* errors\? generated\.$' \
      -e '^[0-9]* errors\? generated\.$' -e '^Error while processing' "$log" 2>/dev/null)
    if [ -n "$findings" ] || [ ! -f "$log" ]; then
      failed=$((failed + 1))
      printf '%s\n' "$findings"
      args+=("$file" failed "${findings:-no output from clang-tidy}")
    else
      args+=("$file" ok "")
    fi
  done
  report "$reports/tidy.xml" tidy "${args[@]}"
  echo "tidy: $failed file(s) with findings"
  [ $failed -eq 0 ]
}

# run_sanitized NAME COMMAND...: COMMAND (a GoogleTest binary) under the sanitizers, its XML report
# <reports>/NAME.xml; each report a sanitized process wrote (in <reports>/NAME-sanitizer/) is a
# failing case of NAME-sanitizer.xml, and a binary that ended without its report fails too.
run_sanitized() {
  local name=$1
  shift
  local logs=$reports/$name-sanitizer
  rm -rf "$logs" && mkdir -p "$logs"
  report "$reports/$name.xml" "$name" run failed "$name did not finish: see the output above"
  local options="halt_on_error=1:log_path=$logs/report"
  ASAN_OPTIONS="$options:detect_leaks=1:abort_on_error=0" \
    UBSAN_OPTIONS="$options:print_stacktrace=1" \
    LSAN_OPTIONS="suppressions=$root/scripts/lsan-suppressions.txt:print_suppressions=0" \
    "$@" --gtest_output="xml:$reports/$name.xml"
  local status=$? args=() file
  for file in "$logs"/report.*; do
    [ -f "$file" ] || continue
    cat "$file"
    args+=("$(basename "$file")" failed "$(cat "$file")")
  done
  [ ${#args[@]} -gt 0 ] && report "$reports/$name-sanitizer.xml" "$name-sanitizer" "${args[@]}" ||
    report "$reports/$name-sanitizer.xml" "$name-sanitizer" "no sanitizer report" ok ""
  [ $status -eq 0 ] && [ ${#args[@]} -eq 0 ]
}

job_sanitize() {
  local status=0
  report "$reports/sanitize.xml" sanitize build failed "the sanitized build did not finish"
  if ! { configure_asan && ninja -C "$asan" xbuild tests/unit_tests; } >"$reports/asan-build.log" 2>&1 ||
    ! { [ -f "$build/build.ninja" ] || meson setup "$build" "$root" -Dwerror=true -Dbuildtype=debugoptimized; } ||
    ! ninja -C "$build" tests/e2e_tests >>"$reports/asan-build.log" 2>&1; then
    tail -50 "$reports/asan-build.log"
    report "$reports/sanitize.xml" sanitize build failed "$(tail -50 "$reports/asan-build.log")"
    return 1
  fi
  report "$reports/sanitize.xml" sanitize build ok ""
  (cd "$root" && XBUILD_DATA_DIR=$root run_sanitized sanitize-unit "$asan/tests/unit_tests") || status=1
  local filter
  filter=$(IFS=:; echo "${sanitize_e2e[*]}")
  (cd "$root" && XBUILD_BINARY=$asan/xbuild XBUILD_SOURCE_ROOT=$root XBUILD_DATA_DIR=$root \
    run_sanitized sanitize-e2e "$build/tests/e2e_tests" --gtest_filter="$filter") || status=1
  return $status
}

# prebuild: only builds the sanitized tree (no report), for scripts/test.sh to start at the lowest
# priority while the test suite runs, on the cores the tests leave idle.
if [ "${1:-}" = prebuild ]; then
  mkdir -p "$reports"
  configure_asan && ninja -C "$asan" -j "$jobs_count" xbuild tests/unit_tests
  exit
fi

requested=("$@")
[ ${#requested[@]} -eq 0 ] && requested=(format layering tidy sanitize)
mkdir -p "$reports"
for job in "${requested[@]}"; do
  case $job in
    format | layering | tidy | sanitize)
      rm -f "$reports/$job.xml" "$reports/$job"-*.xml
      report "$reports/$job.xml" "$job" run failed "$job did not finish: see the output of scripts/quality.sh" ;;
    *) echo "quality.sh: unknown job '$job' (format, layering, tidy, sanitize)" >&2; exit 2 ;;
  esac
done
failed=()
for job in "${requested[@]}"; do
  echo "== quality: $job"
  start=$SECONDS
  "job_$job" || failed+=("$job")
  echo "== quality: $job took $((SECONDS - start)) s"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "quality: failed: ${failed[*]}"
  exit 1
fi
echo "quality: ${requested[*]}: ok"
