/*
 * attempt.h - sign-in attempts reconstructed from the event stream.
 *
 * An attempt is one client address discovering the sign-in server of one
 * SIP domain D (autoconfig-rules.md section 1): the discovery lookups it
 * made (steps), the TCP/TLS connections it opened to what they resolved
 * (conns), and - once the rules have run (rules.h) - the findings and the
 * verdict. This struct is the model every output mirrors: text and JSON
 * (report.h) and the SQLite store (one table per array below, keyed by
 * attempt id and the element's index).
 *
 * Conventions for every field below:
 *   - frame numbers are the capture's 1-based frame numbers; 0 = none/not seen
 *   - times are Unix nanoseconds (int64_t ts_*); durations in ns; -1 = unknown
 *   - names are DNS presentation form, lower case, no trailing dot, "" = none
 *   - indices into steps[] / conns[] are 0-based; -1 = none
 * Fields are only ever added to these structs, never renamed or retyped.
 */
#ifndef SD_ATTEMPT_H
#define SD_ATTEMPT_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "event.h"
#include "x509.h"

#define SD_ATT_NAME 256     /* a host name (253 chars max in DNS) + NUL */
#define SD_ATT_TEXT 512     /* dialog / event / message / fix text */
#define SD_ATT_CODE 32      /* finding code */
#define SD_FINDING_FRAMES 16 /* frames kept per finding (more are counted) */
#define SD_ATT_EVENTS 16    /* client event IDs kept per attempt */

/* ------------------------------------------------------------------ steps */

/* What a lookup is, in the spec's step names (section 1). */
enum sd_role {
	SD_ROLE_AD1 = 0,     /* lyncdiscoverinternal.D */
	SD_ROLE_AD2,         /* lyncdiscover.D */
	SD_ROLE_S1,          /* SRV _sipinternaltls._tcp.D */
	SD_ROLE_S2,          /* SRV _sipinternal._tcp.D */
	SD_ROLE_S3,          /* SRV _sip._tls.D */
	SD_ROLE_S4,          /* SRV _sip._tcp.D */
	SD_ROLE_F1,          /* sipinternal.D */
	SD_ROLE_F2,          /* sip.D */
	SD_ROLE_F3,          /* sipexternal.D */
	SD_ROLE_SRV_TARGET,  /* A/AAAA of a target named by an SRV step (parent) */
	SD_ROLE_CNAME_TARGET,/* A/AAAA of a CNAME target named by an earlier answer (parent) */
	SD_ROLE_POOL,        /* A/AAAA of a pool name after Autodiscover answered (parent = AD step) */
	SD_ROLE_OTHER,
	SD_ROLE__COUNT
};
const char *sd_role_str(enum sd_role r); /* "AD1", "S1", "F2", "SRV-TARGET", "CNAME-TARGET", "POOL", "OTHER" */
/* Is this one of the discovery names (AD1..F3)? */
int sd_role_is_discovery(enum sd_role r);
/* Was the step's deciding response cut by the capture before its records
 * (NOERROR, nothing readable)? Then whether the name resolved is unknown. */
struct sd_step;
int sd_step_cut(const struct sd_step *s);

/* One DNS query of a step and what answered it. A step holds several:
 * A and AAAA of one name, retransmissions, suffix-search retries. */
struct sd_query {
	char qname[SD_ATT_NAME]; /* as sent, e.g. "sip.d.example.corp.local" */
	uint16_t qtype;          /* SD_DNS_T_* */
	uint16_t txid;
	uint8_t transport;       /* 17 UDP, 6 TCP */
	uint8_t suffix_retry;    /* qname = step name + "." + search suffix (spec 1.9) */
	uint8_t retransmit;      /* same qname and qtype as an earlier query of the step */
	uint8_t tc;              /* response had TC set */
	struct sd_addr server;   /* DNS server asked */
	uint64_t frame;          /* query frame; 0 when only the response was seen */
	int64_t ts_ns;
	uint64_t resp_frame;     /* 0 = no response (yet / ever) */
	int rcode;               /* response RCODE; -1 = no answer */
	int64_t rtt_ns;          /* -1 when unpaired or unanswered */
	int status;              /* decode status of the response (SD_OK, SD_E_TRUNC, ...) */
	size_t nanswers;         /* records of this response in the step's answers[] */
};

/* One resource record a step's responses carried (answer section, and
 * additional-section addresses of SRV targets). */
struct sd_answer {
	uint16_t type;           /* SD_DNS_T_A, AAAA, CNAME, SRV */
	uint8_t section;         /* SD_DNS_AN or SD_DNS_AR */
	uint32_t ttl;
	char owner[SD_ATT_NAME];
	struct sd_addr addr;     /* A / AAAA */
	char target[SD_ATT_NAME];/* CNAME target, SRV target ("" for SRV "." = no service) */
	uint16_t priority, weight, port; /* SRV */
	uint64_t frame;          /* response frame that carried it */
	int64_t ts_ns;
};

enum sd_step_state {
	SD_STEP_PENDING = 0,     /* asked, nothing back yet */
	SD_STEP_ANSWERED,        /* at least one response */
	SD_STEP_UNANSWERED,      /* every query went unanswered */
};

struct sd_step {
	unsigned order;          /* 1-based position in the attempt by first query */
	enum sd_role role;
	int parent;              /* SRV_TARGET/CNAME_TARGET/POOL: step that named this one; else -1 */
	char name[SD_ATT_NAME];  /* name as asked, without any search suffix ("sip.d.example") */
	char queried[SD_ATT_NAME]; /* name of the deciding query (with suffix when a suffix retry resolved) */
	uint16_t qtype;          /* SRV for S1..S4; A when an A query was seen, else AAAA */
	uint8_t transport;       /* 17 UDP / 6 TCP of the deciding query */
	enum sd_step_state state;
	uint64_t frame;          /* first query frame (0 if only a response was seen) */
	uint64_t resp_frame;     /* deciding response frame (0 = none) */
	int rcode;               /* deciding RCODE, -1 = no answer */
	uint8_t tc;              /* any response truncated (TC) */
	int64_t rtt_ns;          /* of the deciding response, -1 unknown */
	unsigned retries;        /* queries beyond the first per qtype (retransmits + suffix retries) */
	int64_t ts_ns;           /* first query */
	int64_t ts_done_ns;      /* deciding response / unanswered, -1 pending */
	uint8_t resolved;        /* SRV: >= 1 SRV RR; others: >= 1 A/AAAA (after CNAMEs) */
	uint8_t via_cname;       /* the answer went through a CNAME chain */
	char canonical[SD_ATT_NAME]; /* end of the CNAME chain ("" when no CNAME) */
	struct sd_query *queries;  size_t nqueries;
	struct sd_answer *answers; size_t nanswers;
	int conn;                /* first connection linked to this step, -1 none */
	char expected[SD_ATT_NAME]; /* name the client expects in the certificate of
	                            * a server reached through this step (spec 3) */
};

/* ------------------------------------------------------------ connections */

enum sd_conn_outcome {
	SD_CONN_INCOMPLETE = 0,  /* still open / capture ended before an outcome */
	SD_CONN_REFUSED,         /* RST answered the SYN */
	SD_CONN_RESET,           /* RST after establishment, before the handshake completed */
	SD_CONN_TIMEOUT,         /* SYN never answered */
	SD_CONN_TLS_ALERT,       /* a fatal alert ended the handshake */
	SD_CONN_HANDSHAKE_DONE,  /* the client went encrypted (accepted the server) */
	SD_CONN_PLAIN_TCP,       /* established, no TLS seen (plain SIP over TCP) */
	SD_CONN_CLOSED,          /* FIN during the TLS handshake, before it completed */
	SD_CONN__COUNT
};
const char *sd_conn_outcome_str(enum sd_conn_outcome o); /* "refused", "handshake-done", ... */

/* A certificate as the server sent it: our own copy of the DER, decoded. */
struct sd_conn_cert {
	uint8_t *der;            /* owned copy */
	size_t der_len;
	int decoded;             /* 1: cert is valid; 0: OpenSSL could not parse (err) */
	struct sd_cert cert;     /* cert.der points into der above */
	char err[128];
};

struct sd_conn {
	uint64_t conn_id;        /* pipeline's TCP connection id */
	struct sd_addr client, server;
	uint16_t cport, sport;
	int step;                /* step whose answer gave the server address, -1 */
	char expected[SD_ATT_NAME]; /* name expected in the certificate (copied from the step) */
	enum sd_conn_outcome outcome;
	uint8_t midstream;       /* SYN not in the capture */
	uint8_t closed_by_server;/* RST/FIN/alert came from the server */
	uint64_t syn_frame, synack_frame, end_frame; /* end = RST/FIN/timeout */
	uint64_t ch_frame, sh_frame, cert_frame, alert_frame, enc_frame;
	int64_t ts_ns, ts_end_ns; /* SYN (or first seen) / last event */
	uint8_t has_ch, has_sh;
	uint16_t version_offered;/* highest offered (supported_versions, else legacy) */
	uint16_t version;        /* negotiated, 0 unknown */
	uint16_t cipher;
	char sni[256];           /* "" = none sent */
	uint8_t alert_level, alert_desc, alert_by_server;
	uint8_t cert_not_visible;/* TLS 1.3: the chain is encrypted */
	uint32_t gap_bytes;      /* bytes missing from the capture on this connection */
	uint64_t gap_frame;
	struct sd_conn_cert *certs; size_t ncerts; /* leaf first */
	size_t certs_total;      /* in the message (ncerts may be fewer) */
};

/* --------------------------------------------------------------- findings */

enum sd_severity { SD_SEV_INFO = 0, SD_SEV_WARN = 1, SD_SEV_ERROR = 2 };
const char *sd_severity_str(enum sd_severity s); /* "info", "warn", "error" */

struct sd_finding {
	char code[SD_ATT_CODE];  /* stable code, docs/findings.md ("NO_SRV", "CERT-SAN") */
	enum sd_severity severity;
	int event_id;            /* client event log ID (OC 2007/R2), 0 = none */
	char event_text[SD_ATT_TEXT]; /* the event's text with names filled in, "" */
	char dialog[SD_ATT_TEXT];/* dialog the user saw because of it, "" */
	char message[SD_ATT_TEXT]; /* one line: what the capture shows */
	char fix[SD_ATT_TEXT];   /* one line: what an admin changes */
	uint64_t frames[SD_FINDING_FRAMES]; size_t nframes; /* proof, ascending */
	size_t frames_dropped;
	int step, conn;          /* what it is about, -1 none */
};

/* ---------------------------------------------------------------- attempt */

enum sd_verdict { SD_VERDICT_INCONCLUSIVE = 0, SD_VERDICT_SIGNED_IN, SD_VERDICT_FAILED };
const char *sd_verdict_str(enum sd_verdict v); /* "INCONCLUSIVE", "SIGNED_IN", "FAILED" */

/* Why the attempt was closed. */
enum sd_end_reason {
	SD_END_CONNECTED = 0,    /* reached a server (handshake done / plain TCP) and settled */
	SD_END_GAVE_UP,          /* the profile's last step was tried and failed */
	SD_END_IDLE,             /* no activity for opts.idle_ns */
	SD_END_RESTART,          /* the client began the sequence again (new attempt) */
	SD_END_CAPTURE_END,      /* sd_attempts_finish() with the attempt still open */
};
const char *sd_end_reason_str(enum sd_end_reason r); /* "connected", "gave-up", ... */

struct sd_attempt {
	uint64_t id;             /* 1-based, in order of the attempt's first frame */
	struct sd_addr client;
	char domain[SD_ATT_NAME];/* SIP domain D */
	char profile[48];        /* profile applied ("oc2007", "oc2007r2-beta") */
	uint8_t profile_auto;    /* picked by "auto" */
	char profile_why[SD_ATT_TEXT]; /* why (auto) or "given with --profile" */
	enum sd_verdict verdict;
	enum sd_end_reason end_reason;
	int64_t ts_start_ns, ts_end_ns;
	uint64_t frame_first, frame_last;
	struct sd_step *steps;       size_t nsteps;
	struct sd_conn *conns;       size_t nconns;
	struct sd_finding *findings; size_t nfindings;
	int winning_step;        /* step that led to the server signed in to (or last tried), -1 */
	int winning_conn;        /* its connection, -1 */
	char expected_name[SD_ATT_NAME]; /* name expected in that server's certificate */
	char symptom[SD_ATT_TEXT];  /* what the user saw (dialog text), "" when signed in / unknown */
	int event_ids[SD_ATT_EVENTS]; size_t nevent_ids; /* client events in logging order */
	uint8_t evidence_incomplete; /* part of the attempt is missing from the capture */
	char incomplete_why[SD_ATT_TEXT];
	uint64_t incomplete_frames[SD_FINDING_FRAMES]; size_t nincomplete_frames;
	/* set by sd_rules_check */
	uint8_t checked;
};

/* ------------------------------------------------------------------- API */

struct sd_profiles; /* profile.h */
struct sd_attempts;

/* A completed attempt, findings and verdict filled; valid during the call. */
typedef void (*sd_attempt_fn)(void *ud, const struct sd_attempt *a);

enum sd_strict { SD_STRICT_PROFILE = 0, SD_STRICT_DOMAIN, SD_STRICT_NARROW, SD_STRICT_OFF };

struct sd_attempt_opts {
	int64_t idle_ns;         /* close after this much silence (0 = 30 s) */
	int64_t settle_ns;       /* after success / giving up, wait this long for more (0 = 2 s) */
	const char *profile;     /* "auto" or NULL = auto; else a name ("lync2013", "oc2007r2-beta") */
	const struct sd_profiles *profiles; /* loaded set (not owned); NULL = load profiles_path */
	const char *profiles_path; /* --profiles FILE; NULL = search (profile.h) */
	enum sd_strict strict;   /* SRV-STRICT mode; SD_STRICT_PROFILE = profile's strict_naming */
	const char *ca_file, *ca_path; /* trust store for CERT-CHAIN; both NULL = "not checked" */
	sd_attempt_fn on_done;   /* NULL = queue completed attempts for sd_attempts_next() */
	void *ud;
	char *err; size_t errlen;/* optional: why sd_attempts_new failed */
};

/* NULL on failure (profiles cannot be loaded, unknown profile, no memory),
 * with the reason in opts->err. */
struct sd_attempts *sd_attempts_new(const struct sd_attempt_opts *opts);
/* Feed every event in capture order (fits sd_event_fn with ud = the set). */
void sd_attempts_event(struct sd_attempts *s, const struct sd_event *ev);
void sd_attempts_event_fn(void *ud, const struct sd_event *ev);
/* Capture time advanced without an event (live mode on a quiet link):
 * closes attempts idle or settled by now_ns, exactly as a later event would. */
void sd_attempts_tick(struct sd_attempts *s, int64_t now_ns);
/* End of input: closes every open attempt (CAPTURE_END). */
void sd_attempts_finish(struct sd_attempts *s);
/* Queue mode: the next completed attempt (caller frees it), NULL if none. */
struct sd_attempt *sd_attempts_next(struct sd_attempts *s);
/* Attempts completed so far / still open. */
uint64_t sd_attempts_completed(const struct sd_attempts *s);
size_t sd_attempts_open(const struct sd_attempts *s);
void sd_attempts_free(struct sd_attempts *s);

void sd_attempt_free(struct sd_attempt *a);

#endif
