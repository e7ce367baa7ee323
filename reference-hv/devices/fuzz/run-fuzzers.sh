#!/usr/bin/env bash
# Runs every fuzz target once per device model, sharing SECONDS between them; prints executions/s and coverage per pair, fails on a finding.
set -euo pipefail
out_dir=$1 total_seconds=$2 models=$3
shift 3
targets=("$@")
read -r -a model_list <<<"$models"
pairs=$(( ${#targets[@]} * ${#model_list[@]} ))
per_pair=$(( total_seconds / pairs )); (( per_pair >= 1 )) || per_pair=1
status=0
printf '%-14s %-8s %10s %8s %8s %s\n' target model execs exec/s cov result
for target in "${targets[@]}"; do
  for model in "${model_list[@]}"; do
    name=$(basename "$target")
    corpus="$out_dir/corpus/$name-$model" log="$out_dir/$name-$model.log"
    mkdir -p "$corpus" "$out_dir/crashes"
    rc=0
    AVPS_FUZZ_MODEL=$model "$target" -max_total_time="$per_pair" -max_len=8192 -rss_limit_mb=1024 \
      -artifact_prefix="$out_dir/crashes/$name-$model-" -print_final_stats=1 "$corpus" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    result=clean
    if (( rc != 0 )); then result="FINDING (see $log)"; status=1; fi
    printf '%-14s %-8s %10s %8s %8s %s\n' "$name" "$model" "${execs:-?}" "${speed:-?}" "${cov:-?}" "$result"
  done
done
exit $status
