#!/usr/bin/env bash
# Install the build into a scratch, non-default prefix and check what a consumer sees: only rl_
# symbols exported; pkg-config (without --define-prefix) points into the prefix, also after the
# installed tree moves; programs built with pkg-config and with find_package run.
# Usage: tests/install/check-install.sh BUILD_DIR CONSUMER_SOURCE_DIR [CFLAGS]
set -euo pipefail
build=$1 src=$2 cflags=${3:-}
scratch=$(realpath "$(mktemp -d)")
trap 'rm -rf "$scratch"' EXIT
prefix=$scratch/opt/ringline

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

# pkg-config, with the .pc file of the tree installed at $1, gives -I and -L of directories inside
# $1 that hold ringline.h and libringline.so.
pc_points_into() {
	local p=$1 pc flags inc lib
	pc=$(find "$p" -name ringline.pc)
	flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs ringline)
	inc=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --variable=includedir ringline)
	lib=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --variable=libdir ringline)
	for want in "-I$inc" "-L$lib"; do
		case " $flags " in
		*" $want "*) ;;
		*)
			echo "FAIL: pkg-config --cflags --libs ringline lacks $want: $flags"
			return 1
			;;
		esac
	done
	case $(realpath -m "$inc")/ in
	"$p"/*) ;;
	*)
		echo "FAIL: pkg-config's includedir $inc is outside $p"
		return 1
		;;
	esac
	case $(realpath -m "$lib")/ in
	"$p"/*) ;;
	*)
		echo "FAIL: pkg-config's libdir $lib is outside $p"
		return 1
		;;
	esac
	[ -f "$inc/ringline.h" ] || { echo "FAIL: no ringline.h in $inc"; return 1; }
	[ -f "$lib/libringline.so" ] || { echo "FAIL: no libringline.so in $lib"; return 1; }
}

export PKG_CONFIG_PATH=$libdir/pkgconfig
pc_points_into "$prefix"
echo "ok: pkg-config --cflags --libs ringline points into the prefix: $(pkg-config --cflags --libs ringline)"
# shellcheck disable=SC2046 # pkg-config's output is a list of words
cc $cflags -o "$scratch/pc-consumer" "$src/consumer.c" $(pkg-config --cflags --libs ringline)
LD_LIBRARY_PATH=$libdir "$scratch/pc-consumer" | grep -q "ringline engine up"
echo "ok: pkg-config consumer runs"

cmake -S "$src" -B "$scratch/cm" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$cflags" >/dev/null
cmake --build "$scratch/cm" >/dev/null
LD_LIBRARY_PATH=$libdir "$scratch/cm/consumer" | grep -q "ringline engine up"
echo "ok: find_package(ringline) consumer runs"

# The installed tree moves: the .pc file names its prefix relative to itself.
moved=$scratch/elsewhere
mv "$prefix" "$moved"
pc_points_into "$moved"
echo "ok: moved to another directory, pkg-config points into it"
