/* daemon/main.c: nanoletd's command line. Reads the flags, the config file (flags win over the
 * file, the file over the embedded defaults), then hands over to nanoletd_start/run.
 * Exit codes: 0 clean stop, 1 bad config or failure to start, 2 bad command line. */
#include <getopt.h>
#include <malloc.h>
#include <string.h>
#include <sys/stat.h>

#include "nanoletd.h"

enum { EXIT_USAGE = 2 };

static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"socket", required_argument, NULL, 's'},
        {"state-dir", required_argument, NULL, 'S'},
        {"run-dir", required_argument, NULL, 'R'},
        {"log-dir", required_argument, NULL, 'L'},
        {"cgroup-root", required_argument, NULL, 'g'},
        {"cgroup-driver", required_argument, NULL, 'd'},
        {"max-request-bytes", required_argument, NULL, 'm'},
        {"pod-pids-limit", required_argument, NULL, 'p'},
        {"log-level", required_argument, NULL, 'l'},
        {"max-pods", required_argument, NULL, 'P'},
        {"container-log-max-size", required_argument, NULL, 'z'},
        {"container-log-max-files", required_argument, NULL, 'f'},
        {"crashloop-backoff-initial", required_argument, NULL, 'b'},
        {"crashloop-backoff-max", required_argument, NULL, 'B'},
        {"crashloop-backoff-reset", required_argument, NULL, 'r'},
        {"event-ttl", required_argument, NULL, 'e'},
        {"shim-path", required_argument, NULL, 'x'},
        {"cpu-throttling-interval", required_argument, NULL, 'i'},
        {"cpu-throttling-threshold", required_argument, NULL, 't'},
        {"seccomp-default", required_argument, NULL, 'k'},
        {"seccomp-profile-root", required_argument, NULL, 'K'},
        {"memory-qos", required_argument, NULL, 'q'},
        {"memory-throttling-factor", required_argument, NULL, 'Q'},
        {"allowed-unsafe-sysctls", required_argument, NULL, 'F'},
        /* the limits: the default case reads the name, so they share a value */
        {"max-connections", required_argument, NULL, 'F'},
        {"http-idle-timeout", required_argument, NULL, 'F'},
        {"http-header-timeout", required_argument, NULL, 'F'},
        {"max-url-bytes", required_argument, NULL, 'F'},
        {"max-header-bytes", required_argument, NULL, 'F'},
        {"max-header-count", required_argument, NULL, 'F'},
        {"max-warning-bytes", required_argument, NULL, 'F'},
        {"max-log-follows", required_argument, NULL, 'F'},
        {"stream-buffer-bytes", required_argument, NULL, 'F'},
        {"watch-history", required_argument, NULL, 'F'},
        {"max-pod-containers", required_argument, NULL, 'F'},
        /* who may do what */
        {"pod-security", required_argument, NULL, 'F'},
        {"api-write-groups", required_argument, NULL, 'F'},
        {"api-read-groups", required_argument, NULL, 'F'},
        {"audit-log-max-size", required_argument, NULL, 'F'},
        {"audit-log-max-files", required_argument, NULL, 'F'},
        {"network", required_argument, NULL, 'F'},
        /* the pods' DNS */
        {"resolv-conf", required_argument, NULL, 'F'},
        {"cluster-dns", required_argument, NULL, 'F'},
        {"cluster-domain", required_argument, NULL, 'F'},
        /* the TLS listener */
        {"listen", required_argument, NULL, 'F'},
        /* images */
        {"registries", required_argument, NULL, 'F'},
        {"registry-auth-file", required_argument, NULL, 'F'},
        {"image-pull-timeout", required_argument, NULL, 'F'},
        {"image-pull-backoff-initial", required_argument, NULL, 'F'},
        {"image-pull-backoff-max", required_argument, NULL, 'F'},
        {"image-gc-high-threshold-percent", required_argument, NULL, 'F'},
        {"image-gc-low-threshold-percent", required_argument, NULL, 'F'},
        {"image-minimum-gc-age", required_argument, NULL, 'F'},
        {"max-image-archive-bytes", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0},
};

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: nanoletd [OPTION]...\n"
	        "       nanoletd kubeconfig [OPTION]...\n"
	        "Serve the nanolet API: Kubernetes Pods on this machine, without a cluster.\n"
	        "kubeconfig prints a kubeconfig for the TLS listener of the daemon these options\n"
	        "describe (listen set; its certificates and tokens made by its first start).\n"
	        "\n"
	        "  --config FILE            config file (default " CONFIG_DEFAULT_PATH
	        ", read when it exists)\n"
	        "  --socket PATH            API socket (default /run/nanolet/nanolet.sock)\n"
	        "  --state-dir DIR          state: database, volumes (default /var/lib/nanolet)\n"
	        "  --run-dir DIR            runtime files (default /run/nanolet)\n"
	        "  --log-dir DIR            container logs (default /var/log/nanolet)\n"
	        "  --cgroup-root PATH       cgroup for pods (default: nanolet/ under our own)\n"
	        "  --cgroup-driver DRIVER   auto, v2 or v1 (default auto)\n"
	        "  --max-request-bytes N    largest request body (default 1048576, or e.g. 1Mi)\n"
	        "  --pod-pids-limit N       pids.max of each pod, -1 for none (default 4096)\n"
	        "  --log-level LEVEL        error, warning, info or debug (default info)\n"
	        "  --max-pods N             pods this node runs at most (default 110)\n"
	        "  --container-log-max-size N   a container log rotates past N bytes (default "
	        "10Mi)\n"
	        "  --container-log-max-files N  rotated log files kept per container (default 5)\n"
	        "  --crashloop-backoff-initial S  first CrashLoopBackOff delay (default 10 s)\n"
	        "  --crashloop-backoff-max S      longest CrashLoopBackOff delay (default 300 s)\n"
	        "  --crashloop-backoff-reset S    a run this long resets the back-off (default 600 "
	        "s)\n"
	        "  --event-ttl S            events are kept this long (default 3600 s)\n"
	        "  --shim-path PATH         nanolet-shim (default: beside nanoletd)\n"
	        "  --cpu-throttling-interval S   cgroup counters are sampled this often (default "
	        "10 s)\n"
	        "  --cpu-throttling-threshold P  throttled share of CPU periods that is reported "
	        "(25%%)\n"
	        "  --seccomp-default PROFILE     what a container without a seccompProfile gets: "
	        "RuntimeDefault or Unconfined (default RuntimeDefault)\n"
	        "  --seccomp-profile-root DIR    where Localhost profiles are (default "
	        "<state-dir>/seccomp)\n"
	        "  --memory-qos BOOL        the kubelet's MemoryQoS on cgroup v2: memory.min from "
	        "requests, memory.high from limits (default false)\n"
	        "  --memory-throttling-factor F  memory.high's place between request and limit "
	        "(default 0.9)\n"
	        "  --allowed-unsafe-sysctls S,...  namespaced sysctls or patterns ('net.core.*') "
	        "pods may set beyond the safe set (none)\n"
	        "Limits (what one client may hold; README \"Limits\"):\n"
	        "  --max-connections N      connections served at once, 503 past it (1000)\n"
	        "  --http-idle-timeout S    a connection without traffic is closed (60 s)\n"
	        "  --http-header-timeout S  time to send a request's header, 408 past it (10 s)\n"
	        "  --max-url-bytes N        request target, 414 past it (8Ki)\n"
	        "  --max-header-bytes N     request header fields, 431 past it (32Ki)\n"
	        "  --max-header-count N     request header fields, 431 past it (100)\n"
	        "  --max-warning-bytes N    Warning headers of one answer (4Ki)\n"
	        "  --max-log-follows N      logs followed at once, 429 past it (100)\n"
	        "  --stream-buffer-bytes N  a log answer's buffer for a slow client (64Ki)\n"
	        "  --watch-history N        changes a watch can resume after, 410 past it (1024)\n"
	        "  --max-pod-containers N   containers in one pod, 422 past it (256)\n"
	        "\n"
	        "  --pod-security YAML      Pod Security levels, e.g. '{enforce: baseline, "
	        "namespaces:\n"
	        "                           {ci: {enforce: restricted}}}' (enforce privileged, "
	        "warn "
	        "and\n"
	        "                           audit baseline)\n"
	        "  --api-write-groups G,... groups that may do everything (nanolet; and root)\n"
	        "  --api-read-groups G,...  groups that may get, list and watch (none)\n"
	        "  --audit-log-max-size N   <log-dir>/audit.log rotates past N bytes (100Mi)\n"
	        "  --audit-log-max-files N  rotated audit logs kept (5)\n"
	        "  --network YAML           the pod network, e.g. '{pod_cidr: 198.18.4.0/24}'\n"
	        "                           (mode bridge, bridge nanolet0, pod_cidr "
	        "198.18.0.0/16,\n"
	        "                           mtu 1500; mode none: pods get only lo)\n"
	        "\n"
	        "  --resolv-conf PATH       the node's resolver file for Default pods "
	        "(/etc/resolv.conf; \"\": a resolver on the node)\n"
	        "  --cluster-dns IP,...     cluster DNS servers for ClusterFirst pods (none: "
	        "Default)\n"
	        "  --cluster-domain DOMAIN  the cluster's DNS domain (cluster.local)\n"
	        "\n"
	        "  --listen ADDRESS:PORT    serve the API over HTTPS with bearer tokens too, e.g. "
	        "127.0.0.1:6443 or [::1]:6443 (none)\n"
	        "\n"
	        "  --registries YAML        per registry domain: mirrors and insecure, e.g.\n"
	        "                           '{docker.io: {mirrors: "
	        "[\"https://mirror.example\"]}}'\n"
	        "  --registry-auth-file PATH a docker config.json with registry credentials "
	        "(none)\n"
	        "  --image-pull-timeout S   a registry request fails after S seconds without a "
	        "byte (60)\n"
	        "  --image-pull-backoff-initial S  first ImagePullBackOff delay (10)\n"
	        "  --image-pull-backoff-max S      longest ImagePullBackOff delay (300)\n"
	        "  --image-gc-high-threshold-percent P  image GC starts above this use of the "
	        "images' filesystem (85)\n"
	        "  --image-gc-low-threshold-percent P   ... and removes unused images down to "
	        "this (80)\n"
	        "  --image-minimum-gc-age S image GC leaves images used in the last S seconds "
	        "(120)\n"
	        "  --max-image-archive-bytes N  largest image archive a POST of images takes "
	        "(8Gi)\n"
	        "\n"
	        "  --help                   show this help and exit\n"
	        "  --version                show the version and git commit and exit\n"
	        "\n"
	        "Flags override the config file, which overrides the defaults.\n");
}

struct flag {
	const char *name;
	const char *value;
};

/* Under systemd, stderr is a journal stream or a file: the journal keeps levels as priorities. */
static bool under_systemd(void)
{
	return getenv("INVOCATION_ID") || getenv("JOURNAL_STREAM");
}

int main(int argc, char **argv)
{
	struct nanoletd daemon = {0};
	struct nano_err err = {0};
	struct flag flags[ELEMENTSOF(options)];
	size_t n_flags = 0;
	const char *config_path = NULL;
	bool kubeconfig = argc > 1 && strcmp(argv[1], "kubeconfig") == 0;
	int opt, index, r;

	if (kubeconfig) { /* the subcommand takes the daemon's options: the same files */
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	/* A fixed threshold: a block of 128 KiB or more is mapped and unmapped whole. glibc's
	 * default moves the threshold up to the largest block freed, so that libnftables' 2 MiB
	 * batch (one per nft command) would afterwards come from the heap and leave it holes. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, &index)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("nanoletd %s (git commit %s)\n", NANOLET_VERSION,
			       NANOLET_GIT_COMMIT);
			return EXIT_SUCCESS;
		case 'c':
			config_path = optarg;
			break;
		case '?':
			if (optopt)
				fprintf(stderr, "nanoletd: option %s needs an argument\n",
				        argv[optind - 1]);
			else
				fprintf(stderr, "nanoletd: unknown option %s\n", argv[optind - 1]);
			fprintf(stderr, "Try 'nanoletd --help'.\n");
			return EXIT_USAGE;
		default:
			/* Later flags win, as they would on any command line: keep them in order.
			 */
			if (n_flags == ELEMENTSOF(flags))
				n_flags--;
			flags[n_flags++] = (struct flag){options[index].name, optarg};
			break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nanoletd: unexpected argument %s\nTry 'nanoletd --help'.\n",
		        argv[optind]);
		return EXIT_USAGE;
	}
	if (under_systemd())
		log_set_journal(true);

	r = config_init(&daemon.config);
	if (r < 0) {
		log_error("out of memory");
		return EXIT_FAILURE;
	}
	/* An explicit --config must exist; the default path is read only when it does. */
	if (config_path || access(CONFIG_DEFAULT_PATH, F_OK) == 0) {
		r = config_load_file(&daemon.config,
		                     config_path ? config_path : CONFIG_DEFAULT_PATH, &err);
		if (r < 0) {
			log_error("%s", err.message ? err.message : strerror(-r));
			nano_err_clear(&err);
			config_done(&daemon.config);
			return EXIT_FAILURE;
		}
	}
	for (size_t i = 0; i < n_flags; i++) {
		r = config_apply_flag(&daemon.config, flags[i].name, flags[i].value, &err);
		if (r < 0) {
			fprintf(stderr, "nanoletd: %s\n", err.message ? err.message : strerror(-r));
			nano_err_clear(&err);
			config_done(&daemon.config);
			return EXIT_USAGE;
		}
	}
	log_set_level(daemon.config.log_level);

	if (kubeconfig) {
		r = tls_kubeconfig(&daemon.config, stdout, &err);
		if (r < 0)
			fprintf(stderr, "nanoletd kubeconfig: %s\n",
			        err.message ? err.message : strerror(-r));
		nano_err_clear(&err);
		config_done(&daemon.config);
		return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	}

	r = nanoletd_start(&daemon, &err);
	if (r >= 0) {
		/* what the start used and freed (a restore's reads, nft's batches) goes back */
		malloc_trim(0);
		r = nanoletd_run(&daemon);
	} else {
		log_error("%s", err.message ? err.message : strerror(-r));
	}
	if (r < 0 && err.errnum == 0)
		log_error("event loop: %s", strerror(-r));
	nano_err_clear(&err);
	nanoletd_done(&daemon);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
