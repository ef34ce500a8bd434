// SPDX-License-Identifier: MIT
/*
 * --plot FILE.svg: pictures drawn by gnuplot (Debian's gnuplot-nox), which gets a script with
 * the data inline on its standard input. Left: the latency distribution, a histogram over
 * log-scaled latency (or, for a --qd sweep, latency against IOPS); right: the percentile curve
 * from p0 to p99.999 with the tail log-scaled, x = -log10(1 - p/100), as latency people draw it.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"

#define BINS_PER_DECADE 20
#define MAX_BINS (14 * BINS_PER_DECADE) /* the histogram reaches 2^44 ns */
#define MAX_NINES 5			/* p99.999 */

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		size_t len = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, len ? path : ".", prog);
		if (access(buf, X_OK) == 0)
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

int plot_check(const char *file)
{
	struct stat st;
	bool existed = stat(file, &st) == 0;
	FILE *f;

	if (!on_path("gnuplot")) {
		cli_err("--plot %s: gnuplot is not installed (Debian: apt-get install gnuplot-nox)",
			file);
		return EXIT_IO;
	}
	f = fopen(file, "a");
	if (!f) {
		cli_err("--plot %s: %s", file, strerror(errno));
		return EXIT_IO;
	}
	fclose(f);
	if (!existed)
		unlink(file);
	return 0;
}

double plot_nines_to_pct(double x)
{
	return 100.0 * (1.0 - pow(10.0, -x));
}

/* A gnuplot string literal: single quotes, where only '' needs escaping. */
static void gp_str(FILE *g, const char *s)
{
	fputc('\'', g);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', g);
		fputc(*s, g);
	}
	fputc('\'', g);
}

/* Microseconds, above 0 for the log scales. */
static double us(uint64_t ns)
{
	return ns ? ns / 1e3 : 1e-3;
}

/* Points of one line; a point between two of the same height adds nothing and is left out. */
struct line {
	double x[2 * MAX_BINS + 2];
	double y[2 * MAX_BINS + 2];
	unsigned n;
};

static void line_add(struct line *l, double x, double y)
{
	if (l->n < sizeof(l->x) / sizeof(l->x[0])) {
		l->x[l->n] = x;
		l->y[l->n++] = y;
	}
}

static void line_block(FILE *g, char kind, unsigned idx, const struct line *l)
{
	fprintf(g, "$%c%u << EOD\n", kind, idx);
	for (unsigned i = 0; i < l->n; i++)
		if (i == 0 || i + 1 == l->n || l->y[i] != l->y[i - 1] || l->y[i] != l->y[i + 1])
			fprintf(g, "%.4g %.4g\n", l->x[i], l->y[i]);
	fprintf(g, "EOD\n");
}

/*
 * The histogram regrouped in bins of equal width on the log scale (a twentieth of a decade),
 * as the outline of steps: the share of I/Os in each bin, in percent, on a log scale that
 * shows the tail; empty bins sit at @ymin, the bottom of the axis.
 */
static void hist_block(FILE *g, unsigned idx, const struct rl_hist *h, double ymin)
{
	static struct line l;
	double bins[MAX_BINS] = {0};
	int first = MAX_BINS, last = -1;
	uint64_t lo, hi, n, total = rl_hist_count(h);
	unsigned pos = 0;

	while (rl_hist_bucket_range(h, &pos, &lo, &hi, &n)) {
		double mid = (lo + hi) / 2.0;
		int b = mid < 1 ? 0 : (int)floor(log10(mid) * BINS_PER_DECADE);

		b = b < MAX_BINS ? b : MAX_BINS - 1;
		bins[b] += (double)n;
		first = b < first ? b : first;
		last = b > last ? b : last;
	}
	l.n = 0;
	for (int b = first; b <= last; b++) {
		double x0 = pow(10.0, (double)b / BINS_PER_DECADE) / 1e3;
		double x1 = pow(10.0, (double)(b + 1) / BINS_PER_DECADE) / 1e3;
		double y = bins[b] ? 100.0 * bins[b] / (double)total : ymin;

		if (b == first)
			line_add(&l, x0, ymin);
		line_add(&l, x0, y);
		line_add(&l, x1, y);
		if (b == last)
			line_add(&l, x1, ymin);
	}
	line_block(g, 'h', idx, &l);
}

/* How far along the nines axis @h has data: log10 of its count, at most p99.999. */
static double nines_of(const struct rl_hist *h)
{
	double x = log10((double)rl_hist_count(h));

	return x < MAX_NINES ? x : MAX_NINES;
}

/* The percentile curve on the nines axis, 40 points a nine, ending at the max. */
static void pct_block(FILE *g, unsigned idx, const struct rl_hist *h)
{
	static struct line l;
	double xmax = nines_of(h);

	l.n = 0;
	for (double x = 0; x < xmax; x += 0.025)
		line_add(&l, x,
			 us(x == 0 ? rl_hist_min(h) : rl_hist_percentile(h, plot_nines_to_pct(x))));
	line_add(&l, xmax,
		 us(xmax >= MAX_NINES ? rl_hist_percentile(h, plot_nines_to_pct(xmax))
				      : rl_hist_max(h)));
	line_block(g, 'p', idx, &l);
}

/* The percentile panel, curves of the runs that have data. */
static void pct_panel(FILE *g, const struct lat_set *s)
{
	double xmax = 1;
	bool first = true;

	for (unsigned i = 0; i < s->nruns; i++)
		if (s->runs[i].lat && rl_hist_count(s->runs[i].lat) && !s->runs[i].skipped[0])
			xmax = fmax(xmax, ceil(nines_of(s->runs[i].lat)));
	fprintf(g,
		"set title 'Percentiles'\n"
		"unset logscale x\nset logscale y 10\nset format y '%%g'\n"
		"set xrange [0:%g]\nset yrange [*:*]\n"
		"set xtics ('0' 0, '90' 1, '99' 2, '99.9' 3, '99.99' 4, '99.999' 5)\n"
		"set xlabel 'percentile (log-scaled tail)'\nset ylabel 'latency (µs)'\n"
		"set key top left\nplot ",
		xmax);
	for (unsigned i = 0; i < s->nruns; i++) {
		const struct lat_run *r = &s->runs[i];

		if (r->skipped[0] || !r->lat || !rl_hist_count(r->lat))
			continue;
		fprintf(g, "%s$p%u using 1:2 with lines lw 2 lc %u title ", first ? "" : ", ", i,
			i + 1);
		gp_str(g, r->label[0] ? r->label : r->engine_path);
		first = false;
	}
	fprintf(g, "\n");
}

static void hist_panel(FILE *g, const struct lat_set *s, double ymin)
{
	bool first = true, single = s->nruns == 1;

	fprintf(g,
		"set title 'Latency distribution'\n"
		"set logscale xy 10\nset format x '%%g'\nset format y '%%g'\n"
		"set xrange [*:*]\nset yrange [%g:100]\n"
		"set xlabel 'latency (µs)'\nset ylabel 'I/Os (%%, per 1/%d decade)'\n"
		"set key top right\nset style fill transparent solid 0.45 noborder\nplot ",
		ymin, BINS_PER_DECADE);
	for (unsigned i = 0; i < s->nruns; i++) {
		const struct lat_run *r = &s->runs[i];

		if (r->skipped[0] || !r->lat || !rl_hist_count(r->lat))
			continue;
		/* One run is filled; overlaid runs are outlines, which stay apart. */
		if (single)
			fprintf(g, "$h%u using 1:2 with filledcurves above y1=%g lc %u notitle, ",
				i, ymin, i + 1);
		fprintf(g, "%s$h%u using 1:2 with lines lw 1.5 lc %u title ", first ? "" : ", ", i,
			i + 1);
		gp_str(g, r->label[0] ? r->label : r->engine_path);
		first = false;
	}
	fprintf(g, "\n");
}

/* A --qd sweep: latency (p50, p99, p99.9) against IOPS, each point marked with its depth. */
static void sweep_panel(FILE *g, const struct lat_set *s)
{
	fprintf(g, "$sw << EOD\n");
	for (unsigned i = 0; i < s->nruns; i++) {
		const struct lat_run *r = &s->runs[i];

		if (!r->lat || !rl_hist_count(r->lat))
			continue;
		fprintf(g, "%u %g %g %g %g\n", r->qd, r->ops / r->runtime_s,
			us(rl_hist_percentile(r->lat, 50)), us(rl_hist_percentile(r->lat, 99)),
			us(rl_hist_percentile(r->lat, 99.9)));
	}
	fprintf(
	    g, "EOD\n"
	       "set title 'Throughput against latency'\n"
	       "unset logscale x\nset logscale y 10\nset format x '%%g'\nset format y '%%g'\n"
	       "set xrange [0:*]\nset yrange [*:*]\n"
	       "set xlabel 'thousand IOPS'\nset ylabel 'latency (µs)'\nset key top left\n"
	       "plot $sw using ($2/1e3):3 with linespoints lw 2 pt 7 title 'p50', "
	       "$sw using ($2/1e3):4 with linespoints lw 2 pt 7 title 'p99', "
	       "$sw using ($2/1e3):5 with linespoints lw 2 pt 7 title 'p99.9', "
	       "$sw using ($2/1e3):4:(sprintf('QD%%d', $1)) with labels offset char 0,1 notitle\n");
}

/* The second line of the title: what was measured, in one line. */
static void summary(char *out, size_t n, const struct lat_set *s)
{
	const struct lat_run *r = &s->runs[0];
	size_t len = 0;

	if (!strcmp(s->kind, "single")) {
		snprintf(out, n,
			 "%llu I/Os in %.1f s: %.0f IOPS; p50 %.1f µs, p99 %.1f µs, p99.9 %.1f "
			 "µs, max %.1f µs",
			 (unsigned long long)r->ops, r->runtime_s,
			 r->runtime_s > 0 ? r->ops / r->runtime_s : 0,
			 us(rl_hist_percentile(r->lat, 50)), us(rl_hist_percentile(r->lat, 99)),
			 us(rl_hist_percentile(r->lat, 99.9)), us(rl_hist_max(r->lat)));
		return;
	}
	out[0] = 0;
	for (unsigned i = 0; i < s->nruns && len < n; i++) {
		r = &s->runs[i];
		if (r->skipped[0])
			len +=
			    snprintf(out + len, n - len, "%s%s skipped", len ? "; " : "", r->label);
		else if (!strcmp(s->kind, "compare"))
			len += snprintf(out + len, n - len, "%s%s %.0f IOPS", len ? "; " : "",
					r->label, r->runtime_s > 0 ? r->ops / r->runtime_s : 0);
	}
	if (!strcmp(s->kind, "sweep"))
		snprintf(out, n, "one run per depth, %.1f s each", s->runs[0].runtime_s);
}

static void script(FILE *g, const struct lat_set *s, const char *file)
{
	uint64_t most = 1;
	double ymin;
	char sum[512];

	summary(sum, sizeof(sum), s);
	fprintf(g, "set encoding utf8\nset termoption noenhanced\n"
		   "set terminal svg size 1200,480 font 'sans,11' background rgb 'white'\n"
		   "set output ");
	gp_str(g, file);
	fprintf(g, "\nset grid lc rgb '#dddddd'\nset border lc rgb '#555555'\nset tics nomirror\n");
	/* The histogram's log axis reaches down to one I/O of the largest run. */
	for (unsigned i = 0; i < s->nruns; i++)
		if (s->runs[i].lat && rl_hist_count(s->runs[i].lat) > most)
			most = rl_hist_count(s->runs[i].lat);
	ymin = pow(10.0, floor(log10(100.0 / (double)most / 3)));
	for (unsigned i = 0; i < s->nruns; i++) {
		const struct lat_run *r = &s->runs[i];

		if (r->skipped[0] || !r->lat || !rl_hist_count(r->lat))
			continue;
		if (strcmp(s->kind, "sweep"))
			hist_block(g, i, r->lat, ymin);
		pct_block(g, i, r->lat);
	}
	fprintf(g, "set multiplot layout 1,2 title ");
	gp_str(g, s->title);
	fprintf(g, ".\"\\n\".");
	gp_str(g, sum);
	fprintf(g, " font ',12'\n");
	if (!strcmp(s->kind, "sweep"))
		sweep_panel(g, s);
	else
		hist_panel(g, s, ymin);
	pct_panel(g, s);
	fprintf(g, "unset multiplot\nset output\n");
}

/*
 * gnuplot's SVG wraps every change of style in a group, most of them empty ("<g ...>" and "</g>"
 * on the next line): dropping those halves the file, and changes nothing drawn.
 */
static int svg_tidy(const char *file)
{
	char tmp[4096], *line = NULL, *prev = NULL;
	size_t cap = 0;
	FILE *in = fopen(file, "r"), *out;
	ssize_t n;
	int ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	out = in ? fopen(tmp, "w") : NULL;
	if (!out) {
		if (in)
			fclose(in);
		return -errno;
	}
	while ((n = getline(&line, &cap, in)) > 0) {
		if (prev && !strcmp(line, "</g>\n")) {
			free(prev);
			prev = NULL;
			continue;
		}
		if (prev)
			fputs(prev, out);
		free(prev);
		prev = NULL;
		if (!strncmp(line, "<g ", 3) && line[n - 1] == '\n' && line[n - 2] == '>') {
			prev = line; /* held until the next line shows whether the group is empty */
			line = NULL;
			cap = 0;
			continue;
		}
		fputs(line, out);
	}
	if (prev)
		fputs(prev, out);
	free(prev);
	free(line);
	if (ferror(in) || ferror(out))
		ret = -EIO;
	fclose(in);
	if (fclose(out) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, file))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int plot_draw(const struct lat_set *s, const char *file)
{
	void (*old)(int);
	unsigned data = 0;
	int fds[2], st;
	pid_t pid;
	FILE *g;

	for (unsigned i = 0; i < s->nruns; i++)
		data += !s->runs[i].skipped[0] && s->runs[i].lat && rl_hist_count(s->runs[i].lat);
	if (!data) {
		cli_err("--plot %s: nothing to draw: no I/O completed", file);
		return EXIT_IO;
	}
	if (pipe(fds)) {
		cli_err("--plot %s: pipe: %s", file, strerror(errno));
		return EXIT_IO;
	}
	pid = fork();
	if (pid < 0) {
		cli_err("--plot %s: fork: %s", file, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return EXIT_IO;
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		/* gnuplot's own messages go to stderr; its stdout is not part of the report */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execlp("gnuplot", "gnuplot", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	/* If gnuplot dies early, its exit status tells; a write must not kill the tool. */
	old = signal(SIGPIPE, SIG_IGN);
	g = fdopen(fds[1], "w");
	if (g) {
		script(g, s, file);
		fclose(g);
	} else {
		close(fds[1]);
	}
	signal(SIGPIPE, old);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!g || !WIFEXITED(st) || WEXITSTATUS(st)) {
		cli_err("--plot %s: gnuplot failed (%s %d)", file,
			WIFEXITED(st) ? "exit status" : "signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return EXIT_IO;
	}
	st = svg_tidy(file);
	if (st) {
		cli_err("--plot %s: %s", file, strerror(-st));
		return EXIT_IO;
	}
	return 0;
}
