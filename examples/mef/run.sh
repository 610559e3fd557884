#!/bin/sh
# The README's MEF walk-through as a test: start m2msec-mef, provision the Node, stop it.
# usage: run.sh <m2msec-mef> <mef_node> <examples/mef folder>
# The example's port, 24740, lies below Linux's ephemeral range (32768-60999): no
# client socket of a test running beside it can be holding it.
set -eu
work=$(mktemp -d)
trap 'kill $mef 2>/dev/null || true; rm -rf "$work"' EXIT
"$1" "$3/mef.json" > "$work/out" 2> "$work/log" &
mef=$!
for i in $(seq 100); do grep -q ready "$work/out" && break; sleep 0.1; done
grep -q ready "$work/out" || { echo "m2msec-mef is not ready:"; cat "$work/log"; exit 1; }
cd "$work" && "$2" "$3/node.json"
kill -TERM $mef && wait $mef
grep -q "stopped" "$work/log"
