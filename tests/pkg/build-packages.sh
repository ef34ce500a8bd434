#!/usr/bin/env bash
# Build the Debian packages of a build tree with CPack into BUILD/packages and list them with
# their dependencies.
# Usage: build-packages.sh BUILD
set -euo pipefail
build=$1
out=$build/packages

for tool in cpack dpkg-deb dpkg-shlibdeps file fakeroot; do
	command -v "$tool" >/dev/null ||
		{ echo "FAIL: $tool is missing (scripts/setup installs scripts/packages-pkg.txt)"; exit 1; }
done
rm -rf "$out"
# CPack's DEB generator warns (for developers) that the fio engine, a plugin, has no SONAME.
cpack --config "$build/CPackConfig.cmake" -B "$out" 2>&1 |
	grep -v -e "^CPack: -   Install" -e "^CPackDeb: - Generating" || true
mapfile -t debs < <(find "$out" -maxdepth 1 -name '*.deb' | sort)
want="libringline-dev libringline0 ringline"
got=$(for d in "${debs[@]}"; do dpkg-deb -f "$d" Package; done | sort | xargs)
if [ "$got" != "$want" ]; then
	echo "FAIL: cpack made packages '$got', expected '$want'"
	exit 1
fi
for d in "${debs[@]}"; do
	echo "== $(basename "$d")"
	dpkg-deb -f "$d" Depends | sed 's/^/   Depends: /'
	dpkg-deb -c "$d" | awk '$1 !~ /^d/ { print "   " $6 ($7 ? " " $7 " " $8 : "") }'
done
echo "ok: ${#debs[@]} packages in $out"
