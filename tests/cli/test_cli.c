// SPDX-License-Identifier: MIT
/* The ringline CLI: JSON output, exit codes, one-line errors, nothing written on bad input. */
#include "cli_helpers.h"

TestSuite(cli, .init = skip_unless_io_uring);

Test(cli, bench_json_has_every_field_and_counts_ios)
{
	static struct run r;
	char *path = make_file("/var/tmp", 1 << 20, 7);
	struct json_object *o, *lat, *v;

	CLI(&r, "bench", path, "--rw", "randread", "--bs", "4k", "--qd", "8", "--count", "5000",
	    "--json");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	o = json_tokener_parse(r.out);
	cr_assert_not_null(o, "not JSON: %s", r.out);
	cr_assert(json_object_object_get_ex(o, "target", &v));
	cr_assert_str_eq(json_object_get_string(v), path);
	cr_assert(json_object_object_get_ex(o, "engine_path", &v));
	cr_assert_str_eq(json_object_get_string(v), "direct");
	cr_assert(json_object_object_get_ex(o, "rw", &v));
	cr_assert_str_eq(json_object_get_string(v), "randread");
	cr_assert_eq(get_int(o, "bs"), 4096);
	cr_assert_eq(get_int(o, "qd"), 8);
	cr_assert_eq(get_int(o, "ops"), 5000);
	cr_assert_eq(get_int(o, "errors"), 0);
	double rt = get_double(o, "runtime_s");
	cr_assert_gt(rt, 0);
	cr_assert_float_eq(get_double(o, "iops"), 5000 / rt, 5000 / rt * 1e-6);
	cr_assert_float_eq(get_double(o, "bw_bytes_per_s"), 5000 * 4096 / rt, 4096e3 / rt);
	cr_assert(json_object_object_get_ex(o, "lat_ns", &lat));
	const char *keys[] = {"min", "p50", "p90", "p99", "p99.9", "p99.99", "max"};
	int64_t prev = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		int64_t x = get_int(lat, keys[i]);

		cr_assert_gt(x, 0, "lat_ns.%s is %lld", keys[i], (long long)x);
		cr_assert_geq(x, prev, "lat_ns.%s below the previous percentile", keys[i]);
		prev = x;
	}
	cr_assert_gt(get_double(lat, "mean"), 0);
	json_object_put(o);
	unlink(path);
	free(path);
}

Test(cli, lat_defaults_to_qd1_random_reads)
{
	static struct run r;
	char *path = make_file("/var/tmp", 1 << 20, 7);
	struct json_object *o, *v;

	CLI(&r, "lat", path, "--count", "200", "--json");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	o = json_tokener_parse(r.out);
	cr_assert_not_null(o);
	cr_assert_eq(get_int(o, "qd"), 1);
	cr_assert(json_object_object_get_ex(o, "rw", &v));
	cr_assert_str_eq(json_object_get_string(v), "randread");
	cr_assert_eq(get_int(o, "ops"), 200);
	json_object_put(o);
	unlink(path);
	free(path);
}

Test(cli, write_bench_changes_the_file)
{
	static struct run r;
	char *path = make_file("/var/tmp", 64 * 1024, 0);
	unsigned char *disk;
	size_t nonzero = 0;

	CLI(&r, "bench", path, "--rw", "write", "--count", "16", "--qd", "4", "--json");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	disk = pread_all(path, 64 * 1024, 0);
	for (size_t i = 0; i < 64 * 1024; i++)
		nonzero += disk[i] != 0;
	cr_assert_gt(nonzero, 60 * 1024, "a sequential write over the whole file left it zero");
	free(disk);
	unlink(path);
	free(path);
}

/* --ramp runs first and is not measured: the run is timed from its end. */
Test(cli, ramp_is_run_but_not_measured)
{
	static struct run r;
	char *path = make_file("/var/tmp", 1 << 20, 7);
	struct json_object *o;
	double rt;

	CLI(&r, "bench", path, "--ramp", "0.5", "--time", "0.2", "--json");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	o = json_tokener_parse(r.out);
	cr_assert_not_null(o, "not JSON: %s", r.out);
	cr_assert_float_eq(get_double(o, "ramp_s"), 0.5, 1e-9);
	rt = get_double(o, "runtime_s");
	cr_assert(rt >= 0.2 && rt < 0.5, "runtime_s %f includes the ramp", rt);
	cr_assert_gt(get_int(o, "ops"), 0);
	cr_assert_float_eq(get_double(o, "iops"), get_int(o, "ops") / rt, 1e-3);
	json_object_put(o);
	CLI(&r, "bench", path, "--ramp", "1", "--count", "5");
	expect_error(&r, 2, "--ramp applies to --time");
	CLI(&r, "bench", path, "--ramp", "soon");
	expect_error(&r, 2, "--ramp soon");
	unlink(path);
	free(path);
}

Test(cli, bad_input_exit_codes_and_messages)
{
	static struct run r;
	char *path = make_file("/var/tmp", 64 * 1024, 0x5a);
	unsigned char *disk;

	CLI(&r, "bench", "/nonexistent/x", "--count", "1");
	expect_error(&r, 1, "No such file or directory");
	CLI(&r, "bench", "/var/tmp", "--count", "1");
	expect_error(&r, 1, "is a directory");
	CLI(&r, "bench", path, "--rw", "write", "--size", "1m", "--count", "1");
	expect_error(&r, 2, "smaller than the range asked for");
	CLI(&r, "bench", path, "--rw", "write", "--bs", "1000", "--count", "1");
	expect_error(&r, 2, "not a multiple of its O_DIRECT alignment");
	CLI(&r, "bench", path, "--rw", "write", "--bs", "128k", "--count", "1");
	expect_error(&r, 2, "smaller than one block");
	CLI(&r, "bench", path, "--rw", "write", "--qd", "0", "--count", "1");
	expect_error(&r, 2, "--qd 0");
	CLI(&r, "bench", path, "--rw", "write", "--qd", "5000", "--count", "1");
	expect_error(&r, 2, "command slab");
	CLI(&r, "bench", path, "--rw", "scribble");
	expect_error(&r, 2, "--rw scribble");
	CLI(&r, "bench", path, "--time", "1", "--count", "5");
	expect_error(&r, 2, "not both");
	CLI(&r, "bench", path, "--frobnicate");
	expect_error(&r, 2, "unknown option '--frobnicate'");
	CLI(&r, "bench");
	expect_error(&r, 2, "missing PATH");
	CLI(&r, "teleport");
	expect_error(&r, 2, "unknown command 'teleport'");

	/* None of the refused write runs touched the file. */
	disk = pread_all(path, 64 * 1024, 0);
	for (size_t i = 0; i < 64 * 1024; i++)
		cr_assert_eq(disk[i], 0x5a, "byte %zu changed by a refused run", i);
	free(disk);
	unlink(path);
	free(path);
}

Test(cli, permission_denied_is_a_runtime_error)
{
	static struct run r;
	char *path;

	if (!is_root())
		cr_skip_test("needs root to run the tool as another user");
	path = make_file("/var/tmp", 64 * 1024, 0);
	chmod(path, 0600);
	CLI_WITH(&r, &(struct cli_opts){.as_nobody = 1}, "bench", path, "--count", "1");
	expect_error(&r, 1, "Permission denied");
	unlink(path);
	free(path);
}

Test(cli, help_documents_every_option)
{
	static struct run r;
	const char *opts[] = {"--rw",	"--bs",	  "--qd",	    "--time",	"--count",
			      "--size", "--json", "--no-fixedbufs", "--sqpoll", "--help"};

	CLI(&r, "bench", "--help");
	cr_assert_eq(r.status, 0);
	for (size_t i = 0; i < sizeof(opts) / sizeof(*opts); i++)
		cr_assert(strstr(r.out, opts[i]), "--help lacks %s", opts[i]);
	CLI(&r, "help");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "bench") && strstr(r.out, "lat"));
}
