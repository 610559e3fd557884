#!/usr/bin/env bash
# m2msec as its users take it (issue 17): installed into a temporary prefix, then
# three consumers built from it and run: with pkg-config and -Werror using the
# flags m2msec.pc gives, with CMake find_package(m2msec), and as a Meson
# subproject, where a plain ninja builds the consumer only.
# usage: consumers.sh <m2msec source folder>
set -euo pipefail
src=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

echo "== install"
meson setup "$work/build" "$src" --prefix "$prefix" -Dtools=disabled -Dtests=disabled -Dbench=disabled \
  -Dexamples=disabled -Dfuzz_replays=disabled >/dev/null
meson install -C "$work/build" >/dev/null
test -f "$prefix/include/m2msec/version.hpp"
test -f "$prefix/include/m2msec/enrolment/maf.hpp"
pc=$(dirname "$(find "$prefix" -name m2msec.pc)")
cmake_dir=$(dirname "$(find "$prefix" -name m2msecConfig.cmake)")

echo "== pkg-config, -Werror"
flags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs m2msec)
echo "flags: $flags"
c++ -Wall -Wextra -Werror "$here/consumer/main.cpp" $flags -o "$work/pc_consumer"
"$work/pc_consumer"

echo "== Botan through -I, not -isystem: still no warning (no future-internal Botan header)"
plain=$(echo "$flags" | sed 's/-isystem */-I/g')
printf '#include "m2msec/m2msec.hpp"\n#include "m2msec/channel/channel.hpp"\nint main() {}\n' > "$work/all.cpp"
c++ -Wall -Wextra -Wpedantic -Werror -fsyntax-only "$work/all.cpp" $plain
echo "flags: $plain"

echo "== below C++20: one clear error"
if c++ -std=c++17 $(PKG_CONFIG_PATH=$pc pkg-config --cflags m2msec | sed 's/-std=c++20//') -fsyntax-only \
     "$here/consumer/main.cpp" 2> "$work/cxx17.log"; then
  echo "compiled as C++17"; exit 1
fi
grep -q "m2msec needs C++20" "$work/cxx17.log"
head -c 300 "$work/cxx17.log"; echo

echo "== CMake find_package(m2msec)"
cmake -S "$here/consumer" -B "$work/cmake" -Dm2msec_DIR="$cmake_dir" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer"

echo "== Meson subproject"
cp -r "$here/consumer" "$work/sub"
mkdir -p "$work/sub/subprojects"
ln -s "$src" "$work/sub/subprojects/m2msec"
meson setup "$work/sub/build" "$work/sub" >/dev/null
targets=$(ninja -C "$work/sub/build" -t targets all | grep -c -E '^[^ ]*(test|bench|fuzz|replay|example|m2msec-m[ae]f)[^ ]*: (cpp_LINKER|c_LINKER)' || true)
ninja -C "$work/sub/build" >/dev/null
"$work/sub/build/consumer"
echo "programs of m2msec's own in the consumer's build: $targets"
test "$targets" -eq 0
echo "consumers OK"
