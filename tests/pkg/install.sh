#!/usr/bin/env bash
# Install the Debian packages in DIR on a clean root and check, as a user would, with no
# environment variable but a standard PATH: the command and its man page, the fio engine in
# stock fio, the library through pkg-config and find_package(ringline), the systemd unit and the
# bash completion; then purge them and check nothing is left.
#
# The clean root: this machine's root as the lower layer of an overlay whose upper layer is a
# tmpfs, in a private mount namespace, chroot'ed into. Every write (dpkg's database, the files,
# the triggers) lands on the tmpfs, which goes when the namespace does: the machine is left as it
# was. Inside, /usr/local is hidden and any ringline package already installed is purged first,
# so nothing but the packages under test can answer.
#
# Usage: install.sh DIR CONSUMER HAVE_FIO
#   CONSUMER: tests/install/consumer, consumer.c and a CMakeLists.txt calling find_package(ringline)
#   HAVE_FIO: 1 if the build has the fio engine
set -euo pipefail
dir=$(realpath "$1") consumer=$(realpath "$2") have_fio=${3:-1}

if [ "${4:-}" != --inside ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "skip: installing on an overlay root needs root (mount namespace, chroot, dpkg)"
		exit 77
	fi
	mapfile -t debs < <(find "$dir" -maxdepth 1 -name '*.deb')
	[ ${#debs[@]} -eq 3 ] || { echo "FAIL: expected 3 packages in $dir (pkg_build)"; exit 1; }
	# The mounts live and die with the namespace; out here only the empty folders are left,
	# and --one-file-system keeps rm out of anything still mounted.
	tmp=$(mktemp -d /tmp/rl-pkg.XXXXXX)
	trap 'rm -rf --one-file-system "$tmp"' EXIT
	status=0
	unshare --mount --propagation private "$0" "$dir" "$consumer" "$have_fio" --inside "$tmp" ||
		status=$?
	exit $status
fi

# ---- inside the private mount namespace ----
tmp=$5
root=$tmp/root
mkdir -p "$tmp/layer" "$root"
mount -t tmpfs -o size=2g rl-pkg-layer "$tmp/layer"
mkdir "$tmp/layer/upper" "$tmp/layer/work"
mount -t overlay rl-pkg-root -o "lowerdir=/,upperdir=$tmp/layer/upper,workdir=$tmp/layer/work" \
	"$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs tmpfs "$root/dev/shm" # fio's file: not the machine's /dev/shm
mount -t tmpfs tmpfs "$root/tmp"
mount -t tmpfs tmpfs "$root/usr/local" # a hand-made `cmake --install` must not answer
mkdir "$root/tmp/debs"
cp "$dir"/*.deb "$root/tmp/debs/"
cp -r "$consumer" "$root/tmp/consumer"

# What runs in the root sees no environment variable but PATH.
in_root() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$root" /bin/sh -c "$1"
}

failed=0
check() {
	local what=$1 out
	shift
	if out=$(in_root "$1" 2>&1); then
		echo "ok: $what"
	else
		echo "FAIL: $what"
		echo "  \$ $1"
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/  /'
		failed=1
	fi
}

pkgs="ringline libringline-dev libringline0"
in_root "dpkg --purge $pkgs >/dev/null 2>&1 || true"
check "a clean root: no ringline command, engine, library or man page before the install" "
	! command -v ringline && ! pkg-config --exists ringline && ! man -w ringline &&
	! fio --enghelp=ringline >/dev/null 2>&1"

start=$(date +%s)
check "dpkg -i ${pkgs// /, } (their dependencies are Debian's)" "dpkg -i /tmp/debs/*.deb"
echo "   installed in $(($(date +%s) - start)) s"
check "dpkg -s: each package is installed" "
	for p in $pkgs; do dpkg -s \$p | grep -qx 'Status: install ok installed' || exit 1; done"

check "ringline --help lists the commands; ringline version" "
	ringline --help | grep -q '^commands:' && ringline --help | grep -q '^  serve ' &&
	ringline version | grep -qx 'ringline [0-9.]*'"
check "man ringline: ringline(1), every command's options" "
	man -w ringline | grep -qx '/usr/share/man/man1/ringline.1.gz' &&
	man ringline 2>/dev/null | grep -q 'Options of bench and lat' &&
	man ringline 2>/dev/null | grep -q 'Options of serve'"
check "man 3 libringline: the function index" "
	man 3 libringline 2>/dev/null | grep -q 'rl_engine_create'"
check "pkg-config --libs ringline, and a program built with it runs" "
	test \"\$(echo \$(pkg-config --libs ringline))\" = -lringline &&
	cc -o /tmp/pc-consumer /tmp/consumer/consumer.c \$(pkg-config --cflags --libs ringline) &&
	/tmp/pc-consumer | grep -q 'ringline engine up'"
check "find_package(ringline): a CMake consumer builds and runs" "
	cmake -S /tmp/consumer -B /tmp/cm >/dev/null && cmake --build /tmp/cm >/dev/null &&
	/tmp/cm/consumer | grep -q 'ringline engine up'"
if [ "$have_fio" = 1 ]; then
	check "fio --enghelp=ringline lists the engine's options" "
		fio --enghelp=ringline | grep -q '^fixedbufs' &&
		fio --enghelp=ringline | grep -q '^write_mode'"
	check "fio --ioengine=ringline runs a job with the stock fio" "
		fio --name=pkg --ioengine=ringline --filename=/dev/shm/rl-pkg --size=1m --bs=4k \
			--rw=randrw --verify=crc32c --output-format=terse >/dev/null"
else
	echo "skip: fio checks: this build has no fio engine (scripts/fio-source, fio-plugin/)"
fi
if in_root "command -v systemd-analyze" >/dev/null; then
	check "systemd-analyze verify ringline-serve@ng0n1.service (ExecStart, man page)" "
		systemd-analyze verify /usr/lib/systemd/system/ringline-serve@ng0n1.service"
	check "systemd-analyze verify ringline-nbd@ng0n1.service (ExecStart, man page)" "
		systemd-analyze verify /usr/lib/systemd/system/ringline-nbd@ng0n1.service"
else
	echo "skip: systemd-analyze verify: systemd-analyze is not installed"
fi
if in_root "test -f /usr/share/bash-completion/bash_completion"; then
	check "bash-completion loads the completion of ringline on demand" "
		bash -c '. /usr/share/bash-completion/bash_completion; _completion_loader ringline;
			complete -p ringline' | grep -q '_ringline'"
else
	echo "skip: bash completion: bash-completion is not installed"
fi

check "dpkg --purge leaves no file of the packages" "
	files=\$(dpkg -L $pkgs | while read -r f; do [ -f \"\$f\" ] && echo \"\$f\"; done) &&
	dpkg --purge $pkgs >/dev/null &&
	for f in \$files; do test ! -e \"\$f\" || { echo \"left: \$f\"; exit 1; }; done &&
	! command -v ringline"

if [ $failed -ne 0 ]; then
	echo "FAIL: the installed packages do not work as above"
	exit 1
fi
echo "ok: the packages install, work with no environment variable and purge cleanly"
