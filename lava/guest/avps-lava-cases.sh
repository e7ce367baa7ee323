#!/bin/sh
# Runs the avps-cts guest runner inside a LAVA test shell and reports every case through lava-test-case.
#
# Usage: avps-lava-cases.sh [INSTALL_DIR] [KTAP_FILE]
#   INSTALL_DIR  the installed collection (default /opt/avps-cts: avps-runner, kselftest-list.txt)
#   KTAP_FILE    parse this saved runner output instead of running the runner (for tests)
# Reporting: one lava-test-set per test program (e.g. virtio.blk); each case is a
# lava-test-case named by our case ID (virtio.blk.flush) with pass, fail or skip;
# each case's requirement IDs go to the log as "avps-requirements: <case> <id>; <id>".
# Cases the runner never reported (a crash or a timeout) get no lava-test-case at all:
# 'avps-cts report --lava-results' turns them into not-run. POSIX sh + busybox only.
set -u
dir=${1:-/opt/avps-cts}
ktap=${2:-}
work=${TMPDIR:-/tmp}/avps-lava.$$
mkdir -p "$work"

# Without LAVA (a dry run on any shell) print what would be reported.
if command -v lava-test-case >/dev/null 2>&1; then
  tc() { lava-test-case "$@"; }
  ts() { lava-test-set "$@"; }
else
  tc() { echo "lava-test-case $*"; }
  ts() { echo "lava-test-set $*"; }
fi

# The case manifest from the binaries' .avps_manifest ELF section: records are NUL-separated,
# fields separated by 0x1f: avps-case, case ID, KTAP name, requirement IDs...
: > "$work/manifest"
if [ -f "$dir/kselftest-list.txt" ]; then
  while IFS=: read -r collection test; do
    [ -f "$dir/$collection/$test" ] || continue
    tr '\000\037' '\n|' < "$dir/$collection/$test" | grep '^avps-case|' \
      | sed "s/^avps-case|/$collection.$test|/" >> "$work/manifest"
  done < "$dir/kselftest-list.txt"
fi

if [ -z "$ktap" ]; then
  ktap=$work/ktap
  "$dir/avps-runner" "$dir" | tee "$ktap"
fi

program=""
last_run=""
in_set=""
reported=0
end_set() {
  if [ -n "$in_set" ]; then ts stop; in_set=""; fi
}
report() {  # report PROGRAM KTAP_NAME RESULT
  line=$(grep -F "$1|" "$work/manifest" | grep -F "|$2|" | head -n 1)
  case_id=$(echo "$line" | cut -d'|' -f2)
  reqs=$(echo "$line" | cut -d'|' -f4- | sed 's/|/; /g')
  [ -n "$case_id" ] || case_id=$1.${2#global.}
  echo "avps-requirements: $case_id ${reqs:-(not in the manifest)}"
  tc "$case_id" --result "$3"
  reported=$((reported + 1))
}

tr -d '\r' < "$ktap" > "$work/ktap.clean"
while IFS= read -r raw || [ -n "$raw" ]; do
  line=${raw#"${raw%%[! ]*}"}
  case "$line" in
    "# avps-runner: start "*)
      end_set
      program=${line#"# avps-runner: start "}
      ts start "$program"; in_set=$program
      continue ;;
    "#"*" RUN "*)
      # kselftest_harness names the case here; its SKIP result line carries no name.
      last_run=${line#*RUN }
      last_run=${last_run#"${last_run%%[! ]*}"}
      last_run=${last_run%% *}
      continue ;;
    "ok "*) result=pass; rest=${line#ok } ;;
    "not ok "*) result=fail; rest=${line#not ok } ;;
    *) continue ;;
  esac
  case "$rest" in *" "*) rest=${rest#* } ;; *) rest="" ;; esac
  name=${rest%%[ #]*}
  [ -n "$name" ] || name=$last_run
  case "$rest" in
    *"# SKIP"*|*"#SKIP"*) [ "$result" = pass ] && result=skip ;;
  esac
  if [ "$line" = "$raw" ]; then
    # A top-level line is the program's own result: its set is complete.
    end_set
    program=""
  elif [ -n "$program" ]; then
    report "$program" "$name" "$result"
  fi
done < "$work/ktap.clean"
end_set
echo "avps-lava-cases: $reported cases reported"
rm -rf "$work"
