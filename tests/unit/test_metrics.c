/* tests/unit/test_metrics.c: pkg/metrics — the Prometheus text (families, label escaping,
 * values, histograms), the usageNanoCores rate over its window, and the node's numbers from a
 * fake /proc.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_main.h"
#include "metrics/metrics.h"

static char *finish(struct prom *p)
{
	size_t len = 0;
	char *text = prom_finish(p, &len);

	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, strlen(text));
	return text;
}

/* ---- samples ---- */

struct sample_case {
	const char *name;
	const char *const *labels;
	double value;
	const char *want;
};

static const char *const no_labels[] = {NULL};
static const char *const three[] = {"namespace", "default", "pod", "web", "container", "app", NULL};
static const char *const escaped[] = {"pod", "a\"b\\c\nd", NULL};

static const struct sample_case sample_cases[] = {
        {"no labels, integral", no_labels, 3, "m 3\n"},
        {"NULL labels", NULL, 0, "m 0\n"},
        {"three labels in order", three, 1.5,
         "m{namespace=\"default\",pod=\"web\",container=\"app\"} 1.5\n"},
        {"quote, backslash and newline escaped", escaped, 1, "m{pod=\"a\\\"b\\\\c\\nd\"} 1\n"},
        {"a large integral count stays exact", no_labels, 123456789012345.0, "m 123456789012345\n"},
        {"a fraction keeps 15 digits", no_labels, 0.123456789, "m 0.123456789\n"},
        {"+Inf", no_labels, 1.0 / 0.0, "m +Inf\n"},
        {"NaN", no_labels, 0.0 / 0.0, "m NaN\n"},
};

START_TEST(test_sample)
{
	const struct sample_case *c = &sample_cases[_i];
	struct prom p;
	char *text;

	ck_assert_int_eq(prom_open(&p), 0);
	prom_sample(&p, "m", c->labels, c->value);
	text = finish(&p);
	ck_assert_msg(strcmp(text, c->want) == 0, "%s: got %s", c->name, text);
	free(text);
}
END_TEST

START_TEST(test_family_header)
{
	struct prom p;
	char *text;

	ck_assert_int_eq(prom_open(&p), 0);
	prom_family(&p, "container_processes", "gauge", "Number of processes.");
	prom_sample(&p, "container_processes", three, 2);
	text = finish(&p);
	ck_assert_str_eq(text, "# HELP container_processes Number of processes.\n"
	                       "# TYPE container_processes gauge\n"
	                       "container_processes{namespace=\"default\",pod=\"web\","
	                       "container=\"app\"} 2\n");
	free(text);
}
END_TEST

START_TEST(test_discard)
{
	struct prom p;

	ck_assert_int_eq(prom_open(&p), 0);
	prom_sample(&p, "m", NULL, 1);
	prom_discard(&p);
	ck_assert_ptr_null(p.f);
	ck_assert_ptr_null(p.buf);
}
END_TEST

/* ---- histograms ---- */

START_TEST(test_histogram)
{
	static const double bounds[] = {0.1, 0.5, 1};
	static const char *const labels[] = {"phase", "Running", NULL};
	struct prom_histogram h;
	struct prom p;
	char *text;

	ck_assert_int_eq(prom_histogram_init(&h, bounds, 3), 0);
	/* on a bound counts in it (le), above the last only in +Inf */
	prom_histogram_observe(&h, 0.05);
	prom_histogram_observe(&h, 0.1);
	prom_histogram_observe(&h, 0.7);
	prom_histogram_observe(&h, 3);
	ck_assert_int_eq(prom_open(&p), 0);
	prom_histogram_write(&p, "d", labels, &h);
	text = finish(&p);
	ck_assert_str_eq(text, "d_bucket{phase=\"Running\",le=\"0.1\"} 2\n"
	                       "d_bucket{phase=\"Running\",le=\"0.5\"} 2\n"
	                       "d_bucket{phase=\"Running\",le=\"1\"} 3\n"
	                       "d_bucket{phase=\"Running\",le=\"+Inf\"} 4\n"
	                       "d_sum{phase=\"Running\"} 3.85\n"
	                       "d_count{phase=\"Running\"} 4\n");
	free(text);
	prom_histogram_done(&h);
}
END_TEST

START_TEST(test_histogram_empty)
{
	static const double bounds[] = {1};
	struct prom_histogram h;
	struct prom p;
	char *text;

	ck_assert_int_eq(prom_histogram_init(&h, bounds, 1), 0);
	ck_assert_int_eq(prom_open(&p), 0);
	prom_histogram_write(&p, "d", NULL, &h);
	text = finish(&p);
	ck_assert_str_eq(text,
	                 "d_bucket{le=\"1\"} 0\nd_bucket{le=\"+Inf\"} 0\nd_sum 0\nd_count 0\n");
	free(text);
	prom_histogram_done(&h);
}
END_TEST

/* ---- rates ---- */

#define S INT64_C(1000000000)

struct rate_step {
	int64_t at;
	uint64_t value;
	int64_t want;
};

struct rate_case {
	const char *name;
	struct rate_step steps[5];
	size_t n;
};

static const struct rate_case rate_cases[] = {
        {"the first reading has no rate", {{1 * S, 100, -1}}, 1},
        {"one core busy for a second", {{1 * S, 0, -1}, {2 * S, 1 * S, S}}, 2},
        {"a reading too soon after the first has none yet",
         {{1 * S, 0, -1}, {1 * S + S / 2, 5, -1}},
         2},
        {"soon after a full window: against the older reading",
         {{1 * S, 0, -1}, {2 * S, S / 2, S / 2}, {2 * S + S / 10, S / 2 + S / 10, S / 2 + S / 22}},
         3},
        {"a counter that went back starts again",
         {{1 * S, 500, -1}, {2 * S, 100, -1}, {3 * S, 100 + S / 4, S / 4}},
         3},
};

START_TEST(test_rate)
{
	const struct rate_case *c = &rate_cases[_i];
	struct metrics_rate r = {0};

	for (size_t i = 0; i < c->n; i++) {
		int64_t got = metrics_rate_update(&r, c->steps[i].at, c->steps[i].value, S);

		ck_assert_msg(llabs(got - c->steps[i].want) <= 1,
		              "%s, step %zu: got %lld want %lld", c->name, i, (long long)got,
		              (long long)c->steps[i].want);
	}
}
END_TEST

/* ---- the node ---- */

static char proc_dir[64];

static void write_proc(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", proc_dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void make_proc(void)
{
	strcpy(proc_dir, "/tmp/nanolet-proc.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(proc_dir));
	write_proc("stat", "cpu  100 20 30 1000 40 5 6 7 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"
	                   "intr 1\nbtime 1714564865\nprocesses 9\n");
	write_proc("meminfo", "MemTotal:       1000 kB\nMemFree:         300 kB\n"
	                      "MemAvailable:    600 kB\nInactive(file):  200 kB\n"
	                      "AnonPages:       150 kB\n");
	write_proc("vmstat", "nr_free_pages 1\npgfault 12345\npgmajfault 67\n");
}

static void remove_proc(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", proc_dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_node)
{
	struct nano_err err = {0};
	struct metrics_node node;

	make_proc();
	ck_assert_int_eq(metrics_node_read(proc_dir, 100, &node, &err), 0);
	ck_assert_int_eq(node.boot_time, 1714564865);
	/* user nice system irq softirq steal: 100+20+30+5+6+7 jiffies of 10 ms */
	ck_assert_uint_eq(node.cpu_usage_ns, 168ULL * 10000000);
	ck_assert_uint_eq(node.memory_total, 1000 * 1024);
	ck_assert_uint_eq(node.memory_usage, 700 * 1024);
	ck_assert_uint_eq(node.memory_working_set, 500 * 1024);
	ck_assert_uint_eq(node.memory_available, 600 * 1024);
	ck_assert_uint_eq(node.memory_rss, 150 * 1024);
	ck_assert_uint_eq(node.page_faults, 12345);
	ck_assert_uint_eq(node.major_page_faults, 67);
	remove_proc();
}
END_TEST

START_TEST(test_node_broken)
{
	struct nano_err err = {0};
	struct metrics_node node;

	make_proc();
	write_proc("stat", "intr 1\n");
	ck_assert_int_eq(metrics_node_read(proc_dir, 100, &node, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.message, "no cpu line"));
	nano_err_clear(&err);
	remove_proc();
	ck_assert_int_eq(metrics_node_read(proc_dir, 100, &node, &err), -ENOENT);
	nano_err_clear(&err);
}
END_TEST

/* ---- quantities, as resource.Quantity prints them ---- */

struct quantity_case {
	const char *name;
	bool binary;
	int64_t value;
	int scale;
	const char *want;
};

static const struct quantity_case quantity_cases[] = {
        {"zero", false, 0, -9, "0"},
        {"whole cores", false, 2000, -3, "2"},
        {"millicores", false, 1500, -3, "1500m"},
        {"nanocores stay nanocores", false, 2487803, -9, "2487803n"},
        {"trailing zeros move to micro", false, 123456000, -9, "123456u"},
        {"down to a multiple of three", false, 1230000, -9, "1230u"},
        {"thousands become k", false, 110000, 0, "110k"},
        {"pods", false, 110, 0, "110"},
        {"negative", false, -5000, -3, "-5"},
        {"Ki", true, 24684096LL * 1024, 0, "24684096Ki"},
        {"Mi when divisible", true, 2LL << 20, 0, "2Mi"},
        {"Gi", true, 1LL << 30, 0, "1Gi"},
        {"not divisible: bytes", true, 1025, 0, "1025"},
        {"below 1024: decimal", true, 1000, 0, "1k"},
        {"below 1024, not round", true, 999, 0, "999"},
        {"binary zero", true, 0, 0, "0"},
};

START_TEST(test_quantity)
{
	const struct quantity_case *c = &quantity_cases[_i];
	char buf[METRICS_QUANTITY_SIZE];

	if (c->binary)
		ck_assert_str_eq(metrics_quantity_binary(buf, c->value), c->want);
	else
		ck_assert_str_eq(metrics_quantity_decimal(buf, c->value, c->scale), c->want);
}
END_TEST

/* ---- node conditions from the eviction signals ---- */

#define GI (UINT64_C(1) << 30)
#define MI (UINT64_C(1) << 20)

struct condition_case {
	const char *name;
	struct metrics_node_pressure p;
	const char *missing;
	bool want[METRICS_CONDITION__MAX]; /* memory, disk, pid, ready */
	const char *ready_message;
};

static const struct condition_case condition_cases[] = {
        {"a quiet node",
         {8 * GI, 2 * GI, 100 * GI, 50 * GI, 1000, 900, 4194304, 300},
         "",
         {false, false, false, true},
         "kubelet is posting ready status"},
        {"memory.available just under 100Mi",
         {8 * GI, 8 * GI - 100 * MI + 1, 100 * GI, 50 * GI, 1000, 900, 4194304, 300},
         "",
         {true, false, false, true},
         NULL},
        {"memory.available exactly 100Mi",
         {8 * GI, 8 * GI - 100 * MI, 100 * GI, 50 * GI, 1000, 900, 4194304, 300},
         "",
         {false, false, false, true},
         NULL},
        {"working set above capacity",
         {8 * GI, 9 * GI, 100 * GI, 50 * GI, 1000, 900, 0, 0},
         "",
         {true, false, false, true},
         NULL},
        {"nodefs.available under 10%",
         {8 * GI, 2 * GI, 100 * GI, 9 * GI, 1000, 900, 4194304, 300},
         "",
         {false, true, false, true},
         NULL},
        {"nodefs.available exactly 10%",
         {8 * GI, 2 * GI, 100 * GI, 10 * GI, 1000, 900, 4194304, 300},
         "",
         {false, false, false, true},
         NULL},
        {"inodesFree under 5%",
         {8 * GI, 2 * GI, 100 * GI, 50 * GI, 1000, 49, 4194304, 300},
         "",
         {false, true, false, true},
         NULL},
        {"pid.available under 10%",
         {8 * GI, 2 * GI, 100 * GI, 50 * GI, 1000, 900, 32768, 32768 - 3276},
         "",
         {false, false, true, true},
         NULL},
        {"unknown sizes are no pressure",
         {0, 0, 0, 0, 0, 0, 0, 0},
         NULL,
         {false, false, false, true},
         NULL},
        {"a missing capacity is not ready",
         {8 * GI, 2 * GI, 100 * GI, 50 * GI, 1000, 900, 4194304, 300},
         "cpu",
         {false, false, false, false},
         "Missing node capacity for resources: cpu"},
};

START_TEST(test_conditions)
{
	const struct condition_case *c = &condition_cases[_i];
	static const char *const types[] = {"MemoryPressure", "DiskPressure", "PIDPressure",
	                                    "Ready"};
	struct metrics_node_condition out[METRICS_CONDITION__MAX];
	char *message = NULL;

	metrics_node_conditions(&c->p, c->missing, out, &message);
	for (size_t i = 0; i < METRICS_CONDITION__MAX; i++) {
		ck_assert_str_eq(out[i].type, types[i]);
		ck_assert_msg(out[i].status == c->want[i], "%s: %s is %d", c->name, types[i],
		              out[i].status);
	}
	ck_assert_str_eq(out[METRICS_MEMORY_PRESSURE].reason,
	                 c->want[0] ? "KubeletHasInsufficientMemory"
	                            : "KubeletHasSufficientMemory");
	ck_assert_str_eq(out[METRICS_DISK_PRESSURE].message,
	                 c->want[1] ? "kubelet has disk pressure" : "kubelet has no disk pressure");
	ck_assert_str_eq(out[METRICS_PID_PRESSURE].reason,
	                 c->want[2] ? "KubeletHasInsufficientPID" : "KubeletHasSufficientPID");
	ck_assert_str_eq(out[METRICS_READY].reason,
	                 c->want[3] ? "KubeletReady" : "KubeletNotReady");
	if (c->ready_message)
		ck_assert_str_eq(out[METRICS_READY].message, c->ready_message);
	free(message);
}
END_TEST

START_TEST(test_conditions_track)
{
	struct metrics_condition_transitions t = {0};
	struct metrics_node_pressure quiet = {8 * GI, 2 * GI, 100 * GI, 50 * GI, 1000, 900, 0, 0};
	struct metrics_node_pressure full = quiet;
	struct metrics_node_condition c[METRICS_CONDITION__MAX];
	char *message = NULL;

	full.nodefs_available = GI;
	metrics_node_conditions(&quiet, "", c, &message);
	metrics_conditions_track(&t, c, 100, 200);
	/* the first status counts from the start */
	ck_assert_int_eq(t.at_ns[METRICS_DISK_PRESSURE], 100);
	metrics_conditions_track(&t, c, 100, 300);
	ck_assert_int_eq(t.at_ns[METRICS_DISK_PRESSURE], 100);
	metrics_node_conditions(&full, "", c, &message);
	metrics_conditions_track(&t, c, 100, 400);
	ck_assert_int_eq(t.at_ns[METRICS_DISK_PRESSURE], 400);
	ck_assert_int_eq(t.at_ns[METRICS_READY], 100);
	metrics_conditions_track(&t, c, 100, 500);
	ck_assert_int_eq(t.at_ns[METRICS_DISK_PRESSURE], 400);
	metrics_node_conditions(&quiet, "", c, &message);
	metrics_conditions_track(&t, c, 100, 600);
	ck_assert_int_eq(t.at_ns[METRICS_DISK_PRESSURE], 600);
}
END_TEST

START_TEST(test_rate_window)
{
	struct metrics_rate r = {0};

	ck_assert_int_eq(metrics_rate_update(&r, 1000000000, 0, 1000000000), -1);
	ck_assert_int_eq(metrics_rate_window(&r, 1000000000), 0);
	/* a second later: a rate over that second */
	ck_assert_int_eq(metrics_rate_update(&r, 2000000000, 500000000, 1000000000), 500000000);
	ck_assert_int_eq(metrics_rate_window(&r, 2000000000), 1000000000);
	/* half a second later: still against the older reading, over 1.5 s */
	ck_assert_int_eq(metrics_rate_update(&r, 2500000000, 1250000000, 1000000000), 833333333);
	ck_assert_int_eq(metrics_rate_window(&r, 2500000000), 1500000000);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_sample, 0, sizeof(sample_cases) / sizeof(sample_cases[0]));
	tcase_add_test(tc, test_family_header);
	tcase_add_test(tc, test_discard);
	tcase_add_test(tc, test_histogram);
	tcase_add_test(tc, test_histogram_empty);
	tcase_add_loop_test(tc, test_rate, 0, sizeof(rate_cases) / sizeof(rate_cases[0]));
	tcase_add_test(tc, test_node);
	tcase_add_test(tc, test_node_broken);
	tcase_add_loop_test(tc, test_quantity, 0,
	                    sizeof(quantity_cases) / sizeof(quantity_cases[0]));
	tcase_add_loop_test(tc, test_conditions, 0,
	                    sizeof(condition_cases) / sizeof(condition_cases[0]));
	tcase_add_test(tc, test_conditions_track);
	tcase_add_test(tc, test_rate_window);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(metrics_suite());
}
