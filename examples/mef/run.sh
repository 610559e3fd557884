#!/bin/sh
# The README's MEF walk-through as a test: start m2msec-mef, provision the Node, stop it.
# usage: run.sh <m2msec-mef> <mef_node> <examples/mef folder>
set -eu
work=$(mktemp -d)
trap 'kill $mef 2>/dev/null || true; rm -rf "$work"' EXIT
"$1" "$3/mef.json" > "$work/out" 2> "$work/log" &
mef=$!
for i in $(seq 50); do grep -q ready "$work/out" && break; sleep 0.1; done
cd "$work" && "$2" "$3/node.json"
kill -TERM $mef && wait $mef
grep -q "stopped" "$work/log"
