// SPDX-License-Identifier: MIT
/*
 * The latency lab of ringline bench / lat on a tmpfs file: the progress line (only on a
 * terminal), --plot rendered to PNG, --slowest, --hist, the JSON buckets, a --qd sweep, and the
 * refusals. --compare needs NVMe: tests/vm/guest-cli.sh runs it in the emulated guest.
 */
#include "cli_helpers.h"

TestSuite(lab, .init = skip_unless_io_uring);

static bool have(const char *prog)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* The buckets rise, do not overlap, and hold every I/O of @run (an object with ops). */
static void check_buckets(struct json_object *run)
{
	struct json_object *b = get(run, "lat_buckets");
	int64_t sum = 0, prev = -1;

	cr_assert_gt(json_object_array_length(b), 0);
	for (size_t i = 0; i < json_object_array_length(b); i++) {
		struct json_object *e = json_object_array_get_idx(b, i);
		int64_t lo = get_int(e, "lower_ns"), hi = get_int(e, "upper_ns");

		cr_assert(lo > prev && hi >= lo, "bucket %zu: %lld..%lld after %lld", i,
			  (long long)lo, (long long)hi, (long long)prev);
		cr_assert_gt(get_int(e, "count"), 0);
		sum += get_int(e, "count");
		prev = hi;
	}
	cr_assert_eq(sum, get_int(run, "ops"), "buckets hold %lld of %lld I/Os", (long long)sum,
		     (long long)get_int(run, "ops"));
	/* the extremes lie in the first and last buckets */
	cr_assert_leq(get_int(json_object_array_get_idx(b, 0), "lower_ns"),
		      get_int(get(run, "lat_ns"), "min"));
	cr_assert_geq(prev, get_int(get(run, "lat_ns"), "max"));
}

static size_t count_of(const char *s, const char *what)
{
	size_t n = 0;

	for (s = strstr(s, what); s; s = strstr(s + 1, what))
		n++;
	return n;
}

/* On a terminal (script(1) gives one) a line a second; in a pipe or with --json, none. */
Test(lab, progress_line_on_a_terminal_only)
{
	static struct run r;
	char *path = make_file("/dev/shm", 4 << 20, 1), cmd[512];

	if (!have("script"))
		cr_skip_test("script(1) (util-linux) is not installed: no terminal to test on");
	snprintf(cmd, sizeof(cmd), "%s lat %s --time 2.6", RINGLINE_BIN, path);
	cli_exec(&r, &(struct cli_opts){0},
		 (const char *const[]){"script", "-qec", cmd, "/dev/null", NULL});
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* two updates (at 1 s and 2 s), each "\r... IOPS  p50 ... us  p99 ... us", then cleared */
	cr_assert_geq(count_of(r.out, " IOPS  p50 "), 2, "no progress line: %s", r.out);
	cr_assert(strstr(r.out, "    1.0 s") && strstr(r.out, "    2.0 s"), "%s", r.out);
	cr_assert(strstr(r.out, "\r\033[Klat: "), "the line is not cleared before the report: %s",
		  r.out);
	cr_assert(strstr(r.out, "lat (us): min"), "%s", r.out);

	snprintf(cmd, sizeof(cmd), "%s lat %s --time 1.5 --json", RINGLINE_BIN, path);
	cli_exec(&r, &(struct cli_opts){0},
		 (const char *const[]){"script", "-qec", cmd, "/dev/null", NULL});
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(r.out[0], '{', "--json on a terminal printed more: %.200s", r.out);

	CLI(&r, "lat", path, "--time", "1.5");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strchr(r.out, '\r'), "progress in a pipe: %s", r.out);
	cr_assert_null(strstr(r.out, " IOPS  p50 "), "progress in a pipe: %s", r.out);
	unlink(path);
	free(path);
}

/* PNG: width and height from the IHDR chunk. */
static void png_size(const char *file, unsigned *w, unsigned *h, long *bytes)
{
	unsigned char hd[24];
	FILE *f = fopen(file, "rb");

	cr_assert_not_null(f, "%s: %s", file, strerror(errno));
	cr_assert_eq(fread(hd, 1, sizeof(hd), f), sizeof(hd));
	cr_assert_eq(memcmp(hd, "\x89PNG\r\n\x1a\n", 8), 0, "%s is not a PNG", file);
	*w = (unsigned)hd[16] << 24 | hd[17] << 16 | hd[18] << 8 | hd[19];
	*h = (unsigned)hd[20] << 24 | hd[21] << 16 | hd[22] << 8 | hd[23];
	fseek(f, 0, SEEK_END);
	*bytes = ftell(f);
	fclose(f);
}

/* An SVG that rsvg-convert renders to a PNG of the size asked for, with the title in it. */
static void check_picture(const char *svg, const char *const *texts)
{
	static struct run r;
	char png[256];
	unsigned w, h;
	long bytes;
	struct stat st;
	unsigned char *text;

	cr_assert_eq(stat(svg, &st), 0, "%s: %s", svg, strerror(errno));
	cr_assert(st.st_size > 2000 && st.st_size < 200 * 1024, "%s: %lld bytes", svg,
		  (long long)st.st_size);
	text = pread_all(svg, (size_t)st.st_size, 0);
	text[st.st_size - 1] = 0;
	cr_assert(strstr((char *)text, "<svg"), "not SVG");
	for (size_t i = 0; texts[i]; i++)
		cr_assert(strstr((char *)text, texts[i]), "%s lacks '%s'", svg, texts[i]);
	free(text);
	snprintf(png, sizeof(png), "%s.png", svg);
	cli_exec(&r, &(struct cli_opts){0},
		 (const char *const[]){"rsvg-convert", "-o", png, svg, NULL});
	cr_assert_eq(r.status, 0, "rsvg-convert: %s", r.err);
	png_size(png, &w, &h, &bytes);
	cr_assert_eq(w, 1200, "PNG %ux%u", w, h);
	cr_assert_eq(h, 480, "PNG %ux%u", w, h);
	/* two panels of axes, curves and text: far more than a blank page compresses to */
	cr_assert_gt(bytes, 20000, "PNG of %ld bytes", bytes);
	unlink(png);
}

Test(lab, plot_renders_to_png)
{
	static struct run r;
	char *path = make_file("/dev/shm", 4 << 20, 2), svg[128], title[256];

	if (!have("gnuplot") || !have("rsvg-convert"))
		cr_skip_test("needs gnuplot (gnuplot-nox) and rsvg-convert (librsvg2-bin)");
	snprintf(svg, sizeof(svg), "%s-lat.svg", path);
	CLI(&r, "lat", path, "--count", "20000", "--plot", svg);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "plot: "), "the path is not printed: %s", r.out);
	cr_assert(strstr(r.out, svg), "%s", r.out);
	snprintf(title, sizeof(title), "ringline lat %s: direct, randread 4 KiB, QD1", path);
	check_picture(svg, (const char *const[]){title, "Latency distribution", "Percentiles",
						 "99.999", "20000 I/Os", NULL});
	unlink(svg);

	/* a sweep draws latency against IOPS */
	CLI(&r, "bench", path, "--qd", "1,4,16", "--count", "3000", "--plot", svg, "--json");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(r.out[0], '{', "--json printed more: %.100s", r.out);
	check_picture(
	    svg, (const char *const[]){"Throughput against latency", "QD16", "QD 1 to 16", NULL});
	unlink(svg);
	unlink(path);
	free(path);
}

/* What would fail after the run is refused before it. */
Test(lab, plot_and_hist_refused_before_the_run)
{
	static struct run r;
	char *path = make_file("/dev/shm", 1 << 20, 3);

	CLI(&r, "lat", path, "--plot", "out.png");
	expect_error(&r, 2, "--plot out.png: the picture is SVG");
	CLI(&r, "lat", path, "--plot", "/nonexistent/dir/x.svg");
	expect_error(&r, 1, "--plot /nonexistent/dir/x.svg: No such file or directory");
	CLI(&r, "lat", path, "--hist", "/nonexistent/dir/x.csv");
	expect_error(&r, 1, "--hist /nonexistent/dir/x.csv: No such file or directory");
	cli_exec(&r, &(struct cli_opts){.path = "/nonexistent"},
		 (const char *const[]){RINGLINE_BIN, "lat", path, "--plot", "/tmp/x.svg", NULL});
	expect_error(&r, 1, "gnuplot is not installed");
	unlink(path);
	free(path);
}

/* --slowest: the N slowest, slowest first; the first is the histogram's exact max. */
Test(lab, slowest_lists_the_slowest_commands)
{
	static struct run r;
	char *path = make_file("/dev/shm", 4 << 20, 4);
	struct json_object *o, *a, *e;
	double runtime;
	int64_t prev = INT64_MAX;

	CLI(&r, "bench", path, "--qd", "4", "--bs", "8k", "--count", "5000", "--slowest", "7",
	    "--json");
	o = parse(&r);
	a = get(o, "slowest");
	runtime = json_object_get_double(get(o, "runtime_s"));
	cr_assert_eq(json_object_array_length(a), 7);
	for (size_t i = 0; i < 7; i++) {
		e = json_object_array_get_idx(a, i);
		cr_assert_leq(get_int(e, "lat_ns"), prev, "not slowest first");
		prev = get_int(e, "lat_ns");
		cr_assert_eq(get_int(e, "len"), 8192);
		cr_assert_eq(get_int(e, "offset") % 8192, 0);
		cr_assert_lt(get_int(e, "offset"), 4 << 20);
		cr_assert_str_eq(json_object_get_string(get(e, "op")), "read");
		cr_assert(json_object_get_double(get(e, "at_s")) >= 0 &&
			  json_object_get_double(get(e, "at_s")) <= runtime + 0.01);
	}
	e = json_object_array_get_idx(a, 0);
	cr_assert_eq(get_int(e, "lat_ns"), get_int(get(o, "lat_ns"), "max"));
	json_object_put(o);

	CLI(&r, "lat", path, "--count", "300", "--slowest", "3");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "slowest 3 of 300:"), "%s", r.out);
	cr_assert_eq(count_of(r.out, "  read  "), 3, "%s", r.out);

	CLI(&r, "lat", path, "--slowest", "0");
	expect_error(&r, 2, "--slowest 0");
	CLI(&r, "lat", path, "--slowest", "3", "--qd", "1,2");
	expect_error(&r, 2, "--slowest applies to one run");
	unlink(path);
	free(path);
}

/* --hist writes the same buckets as the JSON's lat_buckets, which hold every I/O. */
Test(lab, hist_csv_and_json_buckets_agree)
{
	static struct run r;
	char *path = make_file("/dev/shm", 4 << 20, 5), csv[128], line[128];
	struct json_object *o, *b, *e;
	unsigned long long lo, hi, n;
	size_t i = 0;
	FILE *f;

	snprintf(csv, sizeof(csv), "%s.csv", path);
	CLI(&r, "bench", path, "--count", "4000", "--hist", csv, "--json");
	o = parse(&r);
	cr_assert_eq(get_int(o, "ops"), 4000);
	check_buckets(o);
	b = get(o, "lat_buckets");
	f = fopen(csv, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert_str_eq(line, "lower_ns,upper_ns,count\n");
	while (fgets(line, sizeof(line), f)) {
		cr_assert_eq(sscanf(line, "%llu,%llu,%llu", &lo, &hi, &n), 3, "line: %s", line);
		cr_assert_lt(i, json_object_array_length(b));
		e = json_object_array_get_idx(b, i++);
		cr_assert_eq((int64_t)lo, get_int(e, "lower_ns"));
		cr_assert_eq((int64_t)hi, get_int(e, "upper_ns"));
		cr_assert_eq((int64_t)n, get_int(e, "count"));
	}
	cr_assert_eq(i, json_object_array_length(b), "CSV has %zu of the buckets", i);
	fclose(f);
	json_object_put(o);

	/* without --json the report names the file */
	CLI(&r, "lat", path, "--count", "100", "--hist", csv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "hist: ") && strstr(r.out, csv), "%s", r.out);
	unlink(csv);
	unlink(path);
	free(path);
}

/* --qd 1,2,...,16: one run per depth, each with its buckets; the CSV gets a qd column. */
Test(lab, qd_sweep_runs_every_depth)
{
	static struct run r;
	char *path = make_file("/dev/shm", 4 << 20, 6), csv[128], line[128];
	static const int64_t want[] = {1, 2, 4, 8, 16};
	struct json_object *o, *sw, *e;
	unsigned qd, seen = 0;
	FILE *f;

	snprintf(csv, sizeof(csv), "%s.csv", path);
	CLI(&r, "bench", path, "--qd", "1,2,...,16", "--count", "2000", "--json", "--hist", csv);
	o = parse(&r);
	cr_assert_str_eq(json_object_get_string(get(o, "engine_path")), "direct");
	sw = get(o, "sweep");
	cr_assert_eq(json_object_array_length(sw), 5);
	for (size_t i = 0; i < 5; i++) {
		e = json_object_array_get_idx(sw, i);
		cr_assert_eq(get_int(e, "qd"), want[i]);
		cr_assert_eq(get_int(e, "ops"), 2000);
		cr_assert_eq(get_int(e, "errors"), 0);
		cr_assert_gt(json_object_get_double(get(e, "iops")), 0);
		check_buckets(e);
	}
	json_object_put(o);
	f = fopen(csv, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert_str_eq(line, "qd,lower_ns,upper_ns,count\n");
	while (fgets(line, sizeof(line), f)) {
		cr_assert_eq(sscanf(line, "%u,", &qd), 1);
		seen |= 1u << __builtin_ctz(qd);
	}
	cr_assert_eq(seen, 0x1f, "depths in the CSV: %#x", seen);
	fclose(f);

	CLI(&r, "bench", path, "--qd", "1,4", "--count", "200");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "queue-depth sweep"), "%s", r.out);
	unlink(csv);
	unlink(path);
	free(path);
}

Test(lab, bad_lab_input_is_refused)
{
	static struct run r;
	char *path = make_file("/dev/shm", 1 << 20, 7);

	CLI(&r, "bench", path, "--qd", "1,x");
	expect_error(&r, 2, "--qd 1,x: 'x' is not a depth");
	CLI(&r, "bench", path, "--qd", "4,2");
	expect_error(&r, 2, "depths must rise (2 after 4)");
	CLI(&r, "bench", path, "--qd", "1,...,8");
	expect_error(&r, 2, "'...' goes between");
	CLI(&r, "bench", path, "--qd", "1,2,...");
	expect_error(&r, 2, "'...' goes between");
	CLI(&r, "bench", path, "--qd", "1,2000");
	expect_error(&r, 2, "'2000' is not a depth from 1 to 1024");
	CLI(&r, "bench", path, "--qd", "1,2", "--compare");
	expect_error(&r, 2, "--compare or a --qd list");
	CLI(&r, "bench", path, "--rounds", "3");
	expect_error(&r, 2, "--rounds applies to --compare");
	CLI(&r, "bench", path, "--compare", "--count", "100");
	expect_error(&r, 2, "needs an NVMe namespace");
	CLI(&r, "bench", path, "--compare", "--poll");
	expect_error(&r, 2, "drop --poll");
	unlink(path);
	free(path);
}

/* tmpfs cannot poll O_DIRECT: a polled run fails with the kernel's reason. */
Test(lab, poll_on_tmpfs_fails_with_the_reason)
{
	static struct run r;
	char *path = make_file("/dev/shm", 1 << 20, 8);

	CLI(&r, "bench", path, "--poll", "--count", "10");
	cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "first error: Operation not supported"), "%s", r.err);
	unlink(path);
	free(path);
}

Test(lab, help_documents_the_lab)
{
	static struct run r;
	const char *opts[] = {"--qd N[,N...]", "--compare", "--rounds",	   "--plot FILE.svg",
			      "--hist FILE",   "--slowest", "lat_buckets", "On a terminal"};

	CLI(&r, "lat", "--help");
	cr_assert_eq(r.status, 0);
	for (size_t i = 0; i < sizeof(opts) / sizeof(*opts); i++)
		cr_assert(strstr(r.out, opts[i]), "--help lacks %s", opts[i]);
}
