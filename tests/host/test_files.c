// SPDX-License-Identifier: MIT
/* Fixed-file table regions: disjoint index ranges, per-region exhaustion, generation handles. */
#include "helpers.h"
#include "engine/internal.h"

TestSuite(files, .init = skip_unless_io_uring);

static struct rl_engine *engine_with_regions(const unsigned *caps)
{
	struct rl_engine_opts o;
	struct rl_engine *e;

	rl_engine_opts_init(&o);
	memcpy(o.region_files, caps, sizeof(o.region_files));
	cr_assert_eq(rl_engine_create(&o, &e), 0);
	return e;
}

Test(files, regions_are_disjoint_and_fill_independently)
{
	const unsigned caps[RL_REGION_COUNT] = {3, 1, 2, 2};
	struct rl_engine *e = engine_with_regions(caps);
	int fd = open("/dev/null", O_RDONLY);
	uint32_t seen[8];
	unsigned n = 0;

	for (int r = 0; r < RL_REGION_COUNT; r++) {
		for (unsigned i = 0; i < caps[r]; i++) {
			int64_t h = rl__files_add(e, r, fd);
			int64_t idx = rl__files_index(e, (uint64_t)h);

			cr_assert_geq(h, 0, "region %d slot %u: %lld", r, i, (long long)h);
			cr_assert_geq(idx, e->files.base[r]);
			cr_assert_lt(idx, e->files.base[r] + caps[r], "index outside its region");
			for (unsigned k = 0; k < n; k++)
				cr_assert_neq(seen[k], (uint32_t)idx, "index %lld reused",
					      (long long)idx);
			seen[n++] = (uint32_t)idx;
		}
		cr_assert_eq(rl__files_add(e, r, fd), -ENFILE, "region %d did not report full", r);
	}
	rl_engine_destroy(e);
	close(fd);
}

Test(files, stale_handle_is_refused)
{
	const unsigned caps[RL_REGION_COUNT] = {0, 0, 0, 1};
	struct rl_engine *e = engine_with_regions(caps);
	int fd = open("/dev/null", O_RDONLY);
	int64_t h1, h2;

	h1 = rl__files_add(e, RL_REGION_FILE, fd);
	cr_assert_geq(h1, 0);
	cr_assert_eq(rl__files_remove(e, (uint64_t)h1), 0);
	cr_assert_eq(rl__files_remove(e, (uint64_t)h1), -ESTALE);
	h2 = rl__files_add(e, RL_REGION_FILE, fd);
	cr_assert_eq((uint32_t)h2, (uint32_t)h1, "the slot was not reused");
	cr_assert_neq(h2, h1, "the reused slot kept its generation");
	cr_assert_eq(rl__files_index(e, (uint64_t)h1), -ESTALE);
	rl_engine_destroy(e);
	close(fd);
}

Test(files, full_file_region_refuses_open_with_message)
{
	const unsigned caps[RL_REGION_COUNT] = {0, 0, 0, 1};
	struct rl_engine *e = engine_with_regions(caps);
	char *path = make_file("/var/tmp", 4096, 0);
	struct rl_file *a, *b;

	cr_assert_eq(rl_file_open(e, path, NULL, &a), 0);
	cr_assert_eq(rl_file_open(e, path, NULL, &b), -ENFILE);
	cr_assert(strstr(rl_engine_last_error(e), "fixed-file table"), "%s",
		  rl_engine_last_error(e));
	cr_assert_eq(rl_file_close(a), 0);
	cr_assert_eq(rl_file_open(e, path, NULL, &b), 0, "the freed slot was not reusable");
	rl_engine_destroy(e);
	unlink(path);
	free(path);
}
