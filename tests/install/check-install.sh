#!/usr/bin/env bash
# Install the build into a scratch prefix and check what a consumer sees:
# only rl_ symbols exported, and programs built with pkg-config and with find_package run.
set -euo pipefail
build=$1 src=$2 cflags=${3:-}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT

cmake --install "$build" --prefix "$prefix" >/dev/null
lib=$(find "$prefix" -name 'libringline.so' | head -n1)
libdir=$(dirname "$lib")

bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^rl_' || true)
if [ -n "$bad" ]; then
	echo "FAIL: libringline.so exports non-rl_ symbols:" $bad
	exit 1
fi
internal=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep '^rl__' || true)
if [ -n "$internal" ]; then
	echo "FAIL: libringline.so exports internal rl__ symbols:" $internal
	exit 1
fi
echo "ok: $(nm -D --defined-only "$lib" | wc -l) exported symbols, all rl_"

# pkg-config: the scratch prefix stands in for the configured one (libdir may be multiarch).
export PKG_CONFIG_PATH=$libdir/pkgconfig
cc $cflags -o "$prefix/pc-consumer" "$src/consumer.c" $(pkg-config --define-variable=prefix="$prefix" --cflags --libs ringline)
LD_LIBRARY_PATH=$libdir "$prefix/pc-consumer" | grep -q "ringline engine up"
echo "ok: pkg-config consumer runs"

cmake -S "$src" -B "$prefix/cm" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$cflags" >/dev/null
cmake --build "$prefix/cm" >/dev/null
LD_LIBRARY_PATH=$libdir "$prefix/cm/consumer" | grep -q "ringline engine up"
echo "ok: find_package(ringline) consumer runs"
