#!/usr/bin/env bash
# End-to-end query benchmark (BENCHMARKS.md): loads a loggen.py JSONL file into
# a release kindling (examples/loadgen.rs, as bench-ingest.sh does), flushes,
# restarts the server so its peak RSS counts queries only, then times each
# benchmark query over the whole range of the data (one warm-up run, then
# RUNS timed runs; prints the median and the fastest) and reports the peak RSS.
#
#   scripts/bench-query.sh bench.jsonl [port]      (RUNS=7 by default)
#
# The data set: loggen.py --start <now-1h> --hours 0.25 --rate 1100 --seed 11
set -euo pipefail
data_file=${1:?usage: scripts/bench-query.sh FILE.jsonl [port]}
port=${2:-3198}
runs=${RUNS:-7}
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin kindling --example loadgen
dir=$(mktemp -d)
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
base="http://127.0.0.1:$port"

start_server() {
  ./target/release/kindling --listen 127.0.0.1:$port --data "$dir/data" \
    --ingestion-rate-mb 0 --per-stream-rate-limit 0 --log-level warn &
  pid=$!
  until curl -sf "$base/ready" >/dev/null; do sleep 0.1; done
}

start_server
./target/release/examples/loadgen --target "$base" --data "$data_file" --connections 2 >/dev/null
curl -sf -XPOST "$base/flush"
kill -TERM $pid; wait $pid || true
start_server

# The data's time range, in nanoseconds: [first, last + 1).
read -r first last < <(python3 -c '
import json, sys
lo, hi = None, None
for l in open(sys.argv[1]):
    t = int(json.loads(l)["ts"])
    lo = t if lo is None or t < lo else lo
    hi = t if hi is None or t > hi else hi
print(lo, hi + 1)' "$data_file")

# time_query LABEL PATH QUERY [extra curl args...]
time_query() {
  local label=$1 path=$2 query=$3
  shift 3
  local args=(-sf -o /dev/null -w '%{time_total}\n' -G "$base$path"
    --data-urlencode "start=$first" --data-urlencode "end=$last" "$@")
  if [ -n "$query" ]; then args+=(--data-urlencode "query=$query"); fi
  curl "${args[@]}" >/dev/null
  local times
  times=$(for _ in $(seq "$runs"); do curl "${args[@]}"; done | sort -n)
  local median fastest
  median=$(echo "$times" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] * 1000}')
  fastest=$(echo "$times" | head -1 | awk '{print $1 * 1000}')
  printf "%-90s median %7.1f ms  fastest %7.1f ms\n" "$label" "$median" "$fastest"
}

q=/loki/api/v1/query_range
time_query '{job="traefik-access"} |= "10.1.2.3"  (limit 100)' $q \
  '{job="traefik-access"} |= "10.1.2.3"' --data-urlencode limit=100
time_query '{source="heroku"} |= "request_id=deadbeef"  (limit 100)' $q \
  '{source="heroku"} |= "request_id=deadbeef"' --data-urlencode limit=100
time_query '{job="traefik-access"} | json | DownstreamStatus >= 500  (limit 100)' $q \
  '{job="traefik-access"} | json | DownstreamStatus >= 500' --data-urlencode limit=100
time_query 'sum by (level) (count_over_time({source="heroku"}[1m]))  step=60' $q \
  'sum by (level) (count_over_time({source="heroku"}[1m]))' --data-urlencode step=60
time_query 'sum by (service) (rate({job="traefik-access"} | json | DownstreamStatus >= 500 [5m]))  step=60' $q \
  'sum by (service) (rate({job="traefik-access"} | json | DownstreamStatus >= 500 [5m]))' --data-urlencode step=60
# Grafana's log-volume histogram: labels follow structured metadata.
time_query 'sum by (level, detected_level) (count_over_time({source="heroku"} | drop __error__ [1m]))  step=60' $q \
  'sum by (level, detected_level) (count_over_time({source="heroku"} | drop __error__ [1m]))' --data-urlencode step=60
time_query 'GET /loki/api/v1/labels' /loki/api/v1/labels ''
time_query 'GET /loki/api/v1/label/job/values' /loki/api/v1/label/job/values ''
time_query 'GET /loki/api/v1/series match[]={source="heroku"}' /loki/api/v1/series '' \
  --data-urlencode 'match[]={source="heroku"}'

peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
printf "peak RSS of the server during the queries: %.1f MiB\n" "$(echo "$peak / 1024" | bc -l)"
