/*
 * live.c - "sipdisc live -i IFACE": the analyze checks on packets as they
 * arrive. Only the source differs from analyze: frames from libpcap go
 * through the same pipeline, sign-in reconstruction, rules, report and
 * store. Verdicts print as attempts complete (or idle out); each is
 * committed to the database at once, so a crash loses nothing printed.
 *
 * Privileges: the device (and the -w file, and the database) are opened
 * first, then the process drops to -Z USER (or "nobody" when started as
 * root without -Z) before parsing any packet, as tcpdump does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../harness/capwriter.h"
#include "attempt.h"
#include "cli.h"
#include "config.h"
#include "pipeline.h"
#include "profile.h"
#include "report.h"
#include "source.h"
#include "store.h"

/* DNS, SIP/TLS and Autodiscover ports, tagged or not (a plain "port 53"
 * does not match 802.1Q frames), plus non-first IP fragments, which carry
 * no ports but may complete a DNS response. */
#define DEFAULT_PORTS "(port 53 or port 5061 or port 5060 or port 443 or port 80)"
#define DEFAULT_FRAGS "(ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)"
#define DEFAULT_FILTER DEFAULT_PORTS " or (vlan and " DEFAULT_PORTS ") or " DEFAULT_FRAGS
/* Linux cooked captures (-i any) cannot say "vlan", and the kernel has
 * already stripped the tags there: the same filter without that clause. */
#define DEFAULT_FILTER_NOVLAN DEFAULT_PORTS " or " DEFAULT_FRAGS

#define DEFAULT_BUFFER_KIB 8192 /* kernel buffer: no drop at 640k packets/s (docs/live.md) */

static volatile sig_atomic_t stop_req, hup_req;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup_req = 1;
	else
		stop_req = 1;
}

struct live {
	int json;
	struct sd_report_opts ro;
	struct sd_store *store;
	int64_t capture_id;
	unsigned long attempts, failed;
	unsigned long max_attempts; /* --count: stop after this many (tests) */
};

static void on_attempt(void *ud, const struct sd_attempt *a)
{
	struct live *l = ud;
	l->attempts++;
	if (a->verdict != SD_VERDICT_SIGNED_IN)
		l->failed++;
	if (l->json) {
		sd_report_json(stdout, a);
		fputc('\n', stdout);
	} else {
		if (l->attempts > 1)
			fputc('\n', stdout);
		sd_report_text(stdout, a, &l->ro);
	}
	fflush(stdout);
	if (l->store) {
		char err[512];
		if (sd_store_attempt(l->store, l->capture_id, a, err, sizeof err))
			sd_cli_error("live: storing attempt %llu: %s", (unsigned long long)a->id, err);
	}
	if (l->max_attempts && l->attempts >= l->max_attempts)
		stop_req = 1;
}

static int drop_privileges(const char *user, int explicit_user)
{
	if (geteuid() != 0) {
		if (explicit_user) {
			sd_cli_error("live: -Z %s needs root; continuing as uid %d", user, (int)geteuid());
			return -1;
		}
		return 0;
	}
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		sd_cli_error("live: -Z: no such user '%s'", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		sd_cli_error("live: cannot drop privileges to %s: %s", user, strerror(errno));
		return -1;
	}
	if (!explicit_user)
		fprintf(stderr, "sipdisc: live: running as '%s' (started as root without -Z)\n", user);
	return 0;
}

static void print_stats(pcap_t *pc, const struct sd_pipeline *p, const char *when)
{
	struct pcap_stat ps;
	struct sd_pipeline_stats st;
	sd_pipeline_stats(p, &st);
	if (pcap_stats(pc, &ps) == 0)
		fprintf(stderr,
			"sipdisc: live %s: %u received, %u dropped by kernel, %u dropped by interface; %llu frames "
			"decoded, %llu DNS messages, %llu certificates\n",
			when, ps.ps_recv, ps.ps_drop, ps.ps_ifdrop, (unsigned long long)st.frames,
			(unsigned long long)st.dns_msgs, (unsigned long long)st.tls_certs);
	else
		fprintf(stderr, "sipdisc: live %s: %llu frames decoded (pcap_stats: %s)\n", when,
			(unsigned long long)st.frames, pcap_geterr(pc));
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct loop {
	struct sd_pipeline *p;
	struct sd_attempts *att;
	struct cw_file *w;
	const char *wpath;
	int linktype;
	uint32_t snaplen;
	uint64_t frames;
	int64_t first_ts, last_ts;
	int wfailed;
};

static void on_packet(u_char *ud, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct loop *lp = (struct loop *)ud;
	struct sd_frame f;
	memset(&f, 0, sizeof f);
	f.number = ++lp->frames;
	f.ts_ns = (int64_t)h->ts.tv_sec * 1000000000LL + (int64_t)h->ts.tv_usec * 1000LL;
	f.caplen = h->caplen;
	f.wirelen = h->len;
	f.linktype = lp->linktype;
	f.data = bytes;
	if (!lp->first_ts)
		lp->first_ts = f.ts_ns;
	lp->last_ts = f.ts_ns;
	/* Raw packets first, so the file replays to the same verdicts. */
	if (lp->w && !lp->wfailed && cw_write(lp->w, 0, (uint64_t)f.ts_ns, bytes, h->caplen, NULL) != 0) {
		sd_cli_error("live: writing %s: %s (raw packets no longer saved)", lp->wpath, strerror(errno));
		lp->wfailed = 1;
	}
	sd_pipeline_frame(lp->p, &f);
}

static void live_usage(FILE *out)
{
	fputs("usage: sipdisc live -i IFACE [OPTIONS]\n"
	      "  -i IFACE            interface to capture on\n"
	      "  -f FILTER           BPF filter (default: DNS, SIP/TLS and Autodiscover ports, VLAN too)\n"
	      "  -B KIB              kernel buffer size in KiB (default 8192)\n"
	      "  --immediate         hand each packet over at once (more drops at high rates)\n"
	      "  --snaplen N         bytes kept per packet (default 262144)\n"
	      "  -w FILE             also write the raw packets as pcapng (SIGHUP reopens it)\n"
	      "  -Z USER             drop to USER after opening the device (root default: nobody)\n"
	      "  --db FILE, --no-db  results database (default sipdisc.db), or none\n"
	      "  --json              one JSON object per attempt\n"
	      "  --profile NAME, --profiles FILE, --strict MODE, --ca-file F, --ca-path D, --idle S\n"
	      "                      as for analyze\n"
	      "  --stats-interval S  print packet rates and drops every S seconds\n"
	      "  --count N           stop after N attempts\n"
	      "SIGINT/SIGTERM close open attempts, print capture statistics and exit 0.\n",
	      out);
}

int cmd_live(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' }, { "filter", required_argument, NULL, 'f' },
		{ "buffer", required_argument, NULL, 'B' },    { "snaplen", required_argument, NULL, 's' },
		{ "write", required_argument, NULL, 'w' },     { "user", required_argument, NULL, 'Z' },
		{ "db", required_argument, NULL, 'd' },        { "no-db", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },            { "profile", required_argument, NULL, 'p' },
		{ "profiles", required_argument, NULL, 'P' },  { "strict", required_argument, NULL, 'S' },
		{ "ca-file", required_argument, NULL, 'c' },   { "ca-path", required_argument, NULL, 'C' },
		{ "idle", required_argument, NULL, 'I' },      { "stats-interval", required_argument, NULL, 'T' },
		{ "count", required_argument, NULL, 'N' },     { "color", no_argument, NULL, 'k' },
		{ "no-color", no_argument, NULL, 'K' },        { "help", no_argument, NULL, 'h' },
		{ "immediate", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	const char *iface = NULL, *filter = DEFAULT_FILTER, *wpath = NULL, *user = "nobody", *db = "sipdisc.db";
	int buffer_kib = 0, snaplen = 262144, explicit_user = 0, color = -1, immediate = 0, c;
	double stats_every = 0;
	struct live l;
	memset(&l, 0, sizeof l);
	char aerr[512] = "";
	struct sd_attempt_opts ao;
	memset(&ao, 0, sizeof ao);
	ao.err = aerr;
	ao.errlen = sizeof aerr;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:f:B:w:Z:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': iface = optarg; break;
		case 'f': filter = optarg; break;
		case 'B': buffer_kib = atoi(optarg); break;
		case 's': snaplen = atoi(optarg); break;
		case 'w': wpath = optarg; break;
		case 'Z': user = optarg; explicit_user = 1; break;
		case 'd': db = optarg; break;
		case 'n': db = NULL; break;
		case 'j': l.json = 1; break;
		case 'p': ao.profile = optarg; break;
		case 'P': ao.profiles_path = optarg; break;
		case 'S':
			if (sd_strict_parse(optarg, &ao.strict)) {
				sd_cli_error("live: --strict must be domain, narrow or off");
				return SD_EXIT_USAGE;
			}
			break;
		case 'c': ao.ca_file = optarg; break;
		case 'C': ao.ca_path = optarg; break;
		case 'I': ao.idle_ns = (int64_t)(atof(optarg) * 1e9); break;
		case 'T': stats_every = atof(optarg); break;
		case 'N': l.max_attempts = strtoul(optarg, NULL, 10); break;
		case 'k': color = 1; break;
		case 'K': color = 0; break;
		case 'M': immediate = 1; break;
		case 'h': live_usage(stdout); return SD_EXIT_OK;
		default: live_usage(stderr); return SD_EXIT_USAGE;
		}
	}
	if (!iface || optind < argc || snaplen <= 0 || buffer_kib < 0) {
		live_usage(stderr);
		return SD_EXIT_USAGE;
	}
	l.ro.color = color < 0 ? isatty(STDOUT_FILENO) && !getenv("NO_COLOR") : color;

	/* ---- privileged part: device, output file, database */
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_create(iface, perr);
	if (!pc) {
		sd_cli_error("live: %s: %s", iface, perr);
		return SD_EXIT_USAGE;
	}
	pcap_set_snaplen(pc, snaplen);
	pcap_set_promisc(pc, 1);
	/* Packets reach us in kernel blocks at most 100 ms old: a verdict waits
	 * for the 2 s settle time anyway. Immediate mode (--immediate) hands
	 * over each packet at once, but on Linux it means a TPACKET_V2 ring of
	 * snaplen-sized slots (8 of them in 2 MiB at snaplen 256 KiB): at
	 * tcpreplay top speed it dropped 57% where blocks with 8 MiB drop none
	 * (docs/live.md). */
	pcap_set_timeout(pc, 100);
#ifdef HAVE_PCAP_SET_IMMEDIATE_MODE
	if (immediate)
		pcap_set_immediate_mode(pc, 1);
#endif
	pcap_set_buffer_size(pc, (buffer_kib ? buffer_kib : DEFAULT_BUFFER_KIB) * 1024);
	int rc = pcap_activate(pc);
	if (rc < 0) {
		sd_cli_error("live: %s: %s%s%s", iface, pcap_statustostr(rc), rc == PCAP_ERROR ? ": " : "",
			     rc == PCAP_ERROR ? pcap_geterr(pc) : "");
		pcap_close(pc);
		return SD_EXIT_USAGE;
	}
	if (rc > 0)
		fprintf(stderr, "sipdisc: live: %s: %s\n", iface, pcap_statustostr(rc));
	struct bpf_program prog;
	int compiled = pcap_compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN);
	if (compiled != 0 && !strcmp(filter, DEFAULT_FILTER)) {
		filter = DEFAULT_FILTER_NOVLAN;
		compiled = pcap_compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN);
	}
	if (compiled != 0 || pcap_setfilter(pc, &prog) != 0) {
		sd_cli_error("live: filter '%s': %s", filter, pcap_geterr(pc));
		pcap_close(pc);
		return SD_EXIT_USAGE;
	}
	pcap_freecode(&prog);
	/* Non-blocking with poll(2): a blocking read on TPACKET_V3 can hang on
	 * a silent interface, and we must tick attempts while it is silent. */
	if (pcap_setnonblock(pc, 1, perr) != 0) {
		sd_cli_error("live: %s: %s", iface, perr);
		pcap_close(pc);
		return SD_EXIT_USAGE;
	}
	struct loop lp;
	memset(&lp, 0, sizeof lp);
	lp.linktype = pcap_datalink(pc);
	lp.snaplen = (uint32_t)snaplen;
	lp.wpath = wpath;
	if (wpath && !(lp.w = cw_open(wpath, CW_PCAPNG, lp.linktype, (uint32_t)snaplen, 0))) {
		sd_cli_error("live: -w %s: %s", wpath, strerror(errno));
		pcap_close(pc);
		return SD_EXIT_USAGE;
	}
	char err[512];
	if (db) {
		l.store = sd_store_open(db, err, sizeof err);
		if (!l.store) {
			sd_cli_error("live: %s", err);
			goto fail_early;
		}
		char name[300];
		snprintf(name, sizeof name, "live:%s", iface);
		struct sd_store_capture sc = { name, 0, NULL, PACKAGE_VERSION, (int64_t)time(NULL), 1 };
		l.capture_id = sd_store_begin(l.store, &sc, err, sizeof err);
		if (l.capture_id <= 0) {
			sd_cli_error("live: %s", err);
			goto fail_early;
		}
	}
	/* ---- drop privileges before any packet is parsed */
	if (drop_privileges(user, explicit_user) != 0 && explicit_user)
		goto fail_early;

	ao.on_done = on_attempt;
	ao.ud = &l;
	lp.att = sd_attempts_new(&ao);
	if (!lp.att) {
		sd_cli_error("live: %s", aerr[0] ? aerr : "cannot set up the analysis");
		goto fail_early;
	}
	lp.p = sd_pipeline_new(NULL, sd_attempts_event_fn, lp.att);
	if (!lp.p) {
		sd_cli_error("live: out of memory");
		sd_attempts_free(lp.att);
		goto fail_early;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	fprintf(stderr, "sipdisc: live: listening on %s (%s), filter: %s\n", iface,
		sd_linktype_name(lp.linktype), filter);

	int status = SD_EXIT_OK;
	struct pollfd pfd = { pcap_get_selectable_fd(pc), POLLIN, 0 };
	int64_t next_stats = stats_every > 0 ? now_ns() + (int64_t)(stats_every * 1e9) : 0;
	uint64_t last_frames = 0;
	while (!stop_req) {
		int pr = pfd.fd >= 0 ? poll(&pfd, 1, 200) : (usleep(100000), 1);
		if (pr < 0 && errno != EINTR) {
			sd_cli_error("live: poll: %s", strerror(errno));
			status = SD_EXIT_USAGE;
			break;
		}
		int n = pcap_dispatch(pc, -1, on_packet, (u_char *)&lp);
		if (n < 0) {
			/* the interface went away or the read failed: keep what we have */
			sd_cli_error("live: %s: %s; closing open attempts", iface,
				     n == PCAP_ERROR ? pcap_geterr(pc) : "capture stopped");
			status = SD_EXIT_USAGE;
			break;
		}
		/* Quiet link: capture time is wall time, so attempts and queries
		 * still time out (only ever forward of the last packet). */
		if (n == 0 && lp.frames) {
			int64_t t = now_ns();
			if (t > lp.last_ts) {
				sd_pipeline_tick(lp.p, t);
				sd_attempts_tick(lp.att, t);
			}
		}
		if (hup_req) {
			hup_req = 0;
			if (lp.w) {
				cw_close(lp.w);
				lp.w = cw_open(wpath, CW_PCAPNG, lp.linktype, (uint32_t)snaplen, 0);
				lp.wfailed = !lp.w;
				if (!lp.w)
					sd_cli_error("live: reopening %s: %s", wpath, strerror(errno));
				else
					fprintf(stderr, "sipdisc: live: reopened %s\n", wpath);
			}
		}
		if (next_stats && now_ns() >= next_stats) {
			fprintf(stderr, "sipdisc: live: %.1f packets/s; ", (double)(lp.frames - last_frames) / stats_every);
			print_stats(pc, lp.p, "so far");
			last_frames = lp.frames;
			next_stats += (int64_t)(stats_every * 1e9);
		}
	}
	/* ---- orderly end: flush connections, close attempts, account */
	sd_pipeline_finish(lp.p);
	sd_attempts_finish(lp.att);
	print_stats(pc, lp.p, "end");
	if (l.store) {
		struct sd_run_info ri;
		memset(&ri, 0, sizeof ri);
		snprintf(ri.format, sizeof ri.format, "live");
		ri.linktypes[0] = lp.linktype;
		ri.nlinktypes = 1;
		ri.frames = lp.frames;
		ri.first_ts_ns = lp.first_ts;
		ri.last_ts_ns = lp.last_ts;
		if (status != SD_EXIT_OK) {
			ri.status = -2;
			snprintf(ri.error, sizeof ri.error, "live:%s: capture stopped at frame %llu", iface,
				 (unsigned long long)lp.frames);
		}
		if (sd_store_end(l.store, l.capture_id, &ri, err, sizeof err))
			sd_cli_error("live: %s", err);
		fprintf(stderr, "sipdisc: live: %lu attempt(s) stored in %s\n", l.attempts, db);
		sd_store_close(l.store);
	}
	sd_pipeline_free(lp.p);
	sd_attempts_free(lp.att);
	if (lp.w && cw_close(lp.w) != 0)
		sd_cli_error("live: closing %s: %s", wpath, strerror(errno));
	pcap_close(pc);
	return status;

fail_early:
	if (l.store)
		sd_store_close(l.store);
	if (lp.w)
		cw_close(lp.w);
	pcap_close(pc);
	return SD_EXIT_USAGE;
}
