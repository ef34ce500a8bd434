// SPDX-License-Identifier: MIT
/*
 * no_io_uring CMD [ARG...]: run CMD with io_uring_setup(2) failing with EPERM, as it does under
 * the sysctl kernel.io_uring_disabled=2, so a test can prove that tests skip, with the reason,
 * where io_uring is missing. A seccomp filter, inherited by every process CMD starts.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(*f), .filter = f};

	if (argc < 2) {
		fprintf(stderr, "usage: no_io_uring CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("no_io_uring: installing the seccomp filter");
		return 2;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "no_io_uring: %s: %m\n", argv[1]);
	return 2;
}
