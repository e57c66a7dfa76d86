#!/usr/bin/env bash
# End-to-end ingest benchmark (BENCHMARKS.md): starts a release kindling on a
# fresh data directory, pushes a loggen.py JSONL file with examples/loadgen.rs
# (protobuf+snappy, ~1 MiB batches, 2 connections), flushes, and reports the
# server's CPU seconds, peak and idle RSS, bytes on disk and bytes written.
#
#   scripts/bench-ingest.sh bench.jsonl [port]
#
# The data set of the benchmark: loggen.py --start <now-1h> --hours 0.25 --rate 1100 --seed 11
set -euo pipefail
data_file=${1:?usage: scripts/bench-ingest.sh FILE.jsonl [port]}
port=${2:-3197}
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin kindling --example loadgen
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
./target/release/kindling --listen 127.0.0.1:$port --data "$dir/data" \
  --ingestion-rate-mb 0 --per-stream-rate-limit 0 --log-level warn &
pid=$!
until curl -sf "http://127.0.0.1:$port/ready" >/dev/null; do sleep 0.1; done
ticks=$(getconf CLK_TCK)
cpu() { awk -v t="$ticks" '{print ($14+$15)/t}' "/proc/$pid/stat"; }
io() { awk -v k="$1" '$1==k":" {print $2}' "/proc/$pid/io"; }
cpu0=$(cpu); wb0=$(io write_bytes); wc0=$(io wchar)
./target/release/examples/loadgen --target "http://127.0.0.1:$port" --data "$data_file" --connections 2
curl -sf -XPOST "http://127.0.0.1:$port/flush"
cpu1=$(cpu); wb1=$(io write_bytes); wc1=$(io wchar)
sleep 5
text=$(python3 -c "import json,sys; print(sum(len(json.loads(l)['line'].encode()) for l in open(sys.argv[1])))" "$data_file")
peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
idle=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
chunks=$(du -sb "$dir/data/days" | cut -f1)
wal=$(du -sb "$dir/data/wal" | cut -f1)
awk -v c0="$cpu0" -v c1="$cpu1" -v peak="$peak" -v idle="$idle" -v chunks="$chunks" -v wal="$wal" \
    -v wb="$((wb1 - wb0))" -v wc="$((wc1 - wc0))" -v text="$text" 'BEGIN {
  printf "server CPU:          %.2f s\n", c1 - c0
  printf "peak RSS:            %.1f MiB\n", peak / 1024
  printf "idle RSS (5s after): %.1f MiB\n", idle / 1024
  printf "chunk files:         %.2f MB (%.1fx of %.1f MB text); WAL left: %.1f MB\n", chunks / 1e6, text / chunks, text / 1e6, wal / 1e6
  printf "written to disk:     %.1f MB = %.3f B per byte of text (write_bytes; write(2) total %.1f MB)\n", wb / 1e6, wb / text, wc / 1e6
}'
