# shellcheck shell=bash
# The fio option sets that bench/fio-engine-tmpfs.sh, bench/fio-engine-nvme-guest.sh and
# bench/fio-engine-instr.sh run with the ringline engine and with fio's own engine (issue 19:
# fio parity for the jobs users actually write). Each set adds to a base job of 4 KiB random
# reads at iodepth 32, one job, and nothing else an engine could take a default from:
#
#   defaults   no engine options: each engine's own defaults (no fixed buffers, no batching;
#              ringline always registers its files, fio's io_uring engine does not by default)
#   fixedbufs  fixedbufs=1 registerfiles=1
#   batch      iodepth_batch_submit=8 iodepth_batch_complete_min=8 (as t/io_uring -s8 -c8)
#   qd1        iodepth=1
#   bs128k     bs=128k
#   numjobs2   numjobs=2 thread=1 group_reporting=1: two jobs, threads of one fio
#   randwrite  rw=randwrite
#
# SETS (the caller's environment) picks some, in order: SETS="defaults qd1".

fio_all_sets="defaults fixedbufs batch qd1 bs128k numjobs2 randwrite"

# fio_sets: the sets to run, checked.
fio_sets() {
	local s
	for s in ${SETS:-$fio_all_sets}; do
		case " $fio_all_sets " in
		*" $s "*) ;;
		*) die "SETS: unknown set '$s' (known: $fio_all_sets)" ;;
		esac
	done
	echo "${SETS:-$fio_all_sets}"
}

# fio_set_opts SET: its job options, one word each, after the base job's.
fio_set_opts() {
	local base=(--rw=randread --bs=4k --iodepth=32 --numjobs=1)
	case $1 in
	defaults) echo "${base[@]}" ;;
	fixedbufs) echo "${base[@]}" --fixedbufs=1 --registerfiles=1 ;;
	batch) echo "${base[@]}" --iodepth_batch_submit=8 --iodepth_batch_complete_min=8 ;;
	qd1) echo "${base[@]}" --iodepth=1 ;;
	bs128k) echo "${base[@]}" --bs=128k ;;
	numjobs2) echo "${base[@]}" --numjobs=2 --thread=1 --group_reporting=1 ;;
	randwrite) echo "${base[@]}" --rw=randwrite ;;
	esac
}

# fio_total_iops JSON: reads plus writes of the first job (all jobs with group_reporting).
fio_total_iops() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
if j["error"]:
    sys.exit("fio job error %d" % j["error"])
print(j["read"]["iops"] + j["write"]["iops"])' "$1"
}

# fio_total_ios JSON: I/Os of all jobs, reads plus writes.
fio_total_ios() {
	python3 -c 'import json, sys
print(sum(j[d]["total_ios"] for j in json.load(open(sys.argv[1]))["jobs"] for d in ("read", "write")))' "$1"
}
