#!/usr/bin/env bash
# The bash completion of ringline, sourced after bash-completion as bash does: it offers the
# commands, each command's options (every one of which its --help lists), --rw's values and
# file names for devices.
# Usage: completion.sh COMPLETION RINGLINE
set -euo pipefail
completion=$1 ringline=$2
bc=/usr/share/bash-completion/bash_completion
if [ ! -f "$bc" ]; then
	echo "skip: $bc is missing (Debian's bash-completion, in scripts/packages-pkg.txt)"
	exit 77
fi
# bash_completion is not written for set -u.
set +u
# shellcheck source=/dev/null
. "$bc"
# shellcheck source=/dev/null
. "$completion"
set -u

# complete WORD...: what the completion offers for the last word of `WORD...`, one a line.
complete() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	set +u
	_ringline ringline "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	set -u
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

failed=0
expect() {
	local what=$1 want=$2 got
	shift 2
	got=$(complete "$@" | xargs)
	if [ "$got" = "$want" ]; then
		echo "ok: $what: $got"
	else
		echo "FAIL: $what: '$*' offers '$got', expected '$want'"
		failed=1
	fi
}

commands=$("$ringline" help | awk '/^commands:/ { on = 1; next } on && !NF { exit }
	on && /^  [a-z]/ { print $1 }' | sort | xargs)
expect "every command of 'ringline help'" "$commands" ringline ""
expect "a command from its start" "serve" ringline se
expect "bench's options, not serve's (--rate)" "--ramp" ringline bench --ra
expect "--rw's values" "randread randrw randwrite read" ringline bench --rw r
expect "nothing to offer after an option that takes a number" "" ringline lat --qd ""
expect "read's options" "--apptag --apptag-mask --help --md --passthrough --pi --pract --prchk --raw --reftag -h" \
	ringline read -
expect "device paths" "/dev/null" ringline identify /dev/nul

# Each option offered for a command is one that the command's --help lists.
for c in $commands; do
	[ "$c" = help ] || [ "$c" = version ] && continue
	helptext=$("$ringline" "$c" --help)
	for o in $(complete ringline "$c" -); do
		grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" <<<"$helptext" ||
			{ echo "FAIL: completion offers $o for $c; 'ringline $c --help' lacks it"; failed=1; }
	done
done
[ $failed -eq 0 ] || exit 1
echo "ok: the completion offers commands, options and values that ringline accepts"
