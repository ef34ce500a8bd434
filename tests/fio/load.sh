#!/usr/bin/env bash
# How fio finds and loads the ringline engine: by name through LD_LIBRARY_PATH (the build tree),
# as --ioengine=external:PATH, and where `cmake --install` puts it (a directory the loader
# searches by default, so the stock fio finds --ioengine=ringline). Also: the module exports
# only `ioengine`, needs no ringline symbol from outside, and lists its options with help.
# Usage: tests/fio/load.sh PLUGIN BUILD_DIR
set -euo pipefail
plugin=$(realpath "$1") build=$(realpath "$2")
# shellcheck source=tests/fio/lib.sh
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d /var/tmp/rl-fio.XXXXXX)
trap 'rm -rf "$work"' EXIT

exports_only_ioengine() {
	local syms
	syms=$(nm -D --defined-only "$plugin" | awk '{print $3}')
	echo "exported: $syms"
	[ "$syms" = ioengine ]
}

# Undefined symbols are resolved in fio at load time; a ringline one would fail at run time.
no_undefined_ringline_symbols() {
	local undef
	undef=$(nm -D --undefined-only "$plugin" | awk '{print $2}' | grep '^rl_' || true)
	[ -z "$undef" ] || { echo "undefined: $undef"; return 1; }
}

enghelp_lists_options() {
	local opt
	rl_fio --enghelp=ringline >"$work/enghelp"
	cat "$work/enghelp"
	for opt in fixedbufs registerfiles sqthread_poll hipri nonvectored write_mode \
		namespace_size; do
		# name, a colon, and a help text of more than a few words
		grep -Eq "^$opt +: .{20,}" "$work/enghelp" || { echo "no help for $opt"; return 1; }
	done
}

# A short verified job; $@ chooses how the engine is named.
small_job() {
	"$@" --name=load --filename="$work/data" --size=1m --bs=4k --rw=randwrite \
		--iodepth=4 --verify=crc32c --output-format=json --output="$work/load.json" &&
		check_json "$work/load.json" "bytes=load:write:1048576" "bytes=load:read:1048576"
}

by_name_with_ld_library_path() {
	small_job rl_fio --ioengine=ringline
}

by_external_path() {
	small_job env ${RINGLINE_FIO_PRELOAD:+LD_PRELOAD=$RINGLINE_FIO_PRELOAD \
		ASAN_OPTIONS=detect_leaks=0} fio --ioengine="external:$plugin"
}

# Without the engine in reach, fio must fail (the checks above do not pass by accident).
unknown_without_path() {
	! fio --name=none --ioengine=ringline --filename="$work/none" --size=4k \
		--output="$work/none.out" 2>"$work/none.err" &&
		grep -q "engine ringline not loadable" "$work/none.err" "$work/none.out"
}

# cmake --install --prefix /usr puts the file named ringline in a directory of the loader's
# default search path (ld.so's system_dirs), where dlopen("ringline") finds it.
install_into_loader_path() {
	local dest=$work/destdir installed dir
	DESTDIR=$dest cmake --install "$build" --prefix /usr --component fio >/dev/null
	installed=$(find "$dest" -type f -name ringline)
	[ -n "$installed" ] || { echo "cmake --install put no file named ringline"; return 1; }
	dir=${installed#"$dest"}
	dir=${dir%/ringline}/
	echo "installed as ${installed#"$dest"}"
	ld.so --list-diagnostics | grep -F "path.system_dirs" | grep -qF "=\"$dir\"" ||
		{ echo "$dir is not in the loader's default path"; return 1; }
	small_job env ${RINGLINE_FIO_PRELOAD:+LD_PRELOAD=$RINGLINE_FIO_PRELOAD \
		ASAN_OPTIONS=detect_leaks=0} fio --ioengine="external:$installed"
}

check "module exports only ioengine" exports_only_ioengine
check "module needs no ringline symbol from elsewhere" no_undefined_ringline_symbols
check "fio --enghelp=ringline lists every option with help" enghelp_lists_options
check "--ioengine=ringline with LD_LIBRARY_PATH=$(dirname "$plugin")" by_name_with_ld_library_path
check "--ioengine=external:$plugin" by_external_path
check "--ioengine=ringline fails when the engine is not in reach" unknown_without_path
check "cmake --install puts ringline in the loader's default path" install_into_loader_path
summary
