#!/usr/bin/env bash
# lintian on the Debian packages in DIR: no error. Warnings and overrides are printed: the
# remaining warnings are explained in packaging/README.md.
# Usage: lintian.sh DIR
set -euo pipefail
dir=$1
command -v lintian >/dev/null ||
	{ echo "FAIL: lintian is missing (scripts/setup installs scripts/packages-pkg.txt)"; exit 1; }
mapfile -t debs < <(find "$dir" -maxdepth 1 -name '*.deb' | sort)
[ ${#debs[@]} -gt 0 ] || { echo "FAIL: no package in $dir (pkg_build makes them)"; exit 1; }
# Root is how CI runs; lintian only warns about it.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# --show-overrides prints the overridden tags with their reasons (O: and N: lines); with it,
# lintian's exit status counts overrides too, so errors are the E: lines.
lintian --show-overrides "${debs[@]}" >"$log" 2>&1 || status=$?
grep -v "^running with root privileges" "$log" || true
if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
	echo "FAIL: lintian itself failed (exit status $status)"
	exit 1
fi
if grep -q '^E: ' "$log"; then
	echo "FAIL: lintian found errors in ${debs[*]##*/}"
	exit 1
fi
echo "ok: lintian: no error in ${debs[*]##*/}"
