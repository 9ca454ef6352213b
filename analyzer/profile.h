/*
 * profile.h - client profiles as data (data/profiles.ini, format in
 * docs/profiles.md and autoconfig-rules.md section 5): which names a
 * client looks up in which order, when it stops, and what it demands of
 * the certificate. Values the sources leave open are "unknown" and may only
 * ever produce info findings.
 */
#ifndef SD_PROFILE_H
#define SD_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "attempt.h"
#include "x509.h"

#define SD_PROF_NAME 48
#define SD_PROF_STEPS 8
#define SD_PROF_PORTS 4
#define SD_PROF_LIST 8
#define SD_PROF_LINE 1024  /* longest line accepted */

enum sd_tri { SD_TRI_NO = 0, SD_TRI_YES = 1, SD_TRI_UNKNOWN = 2 };

/* One step of a list ("_sipinternal._tcp:tcp?", "sip:5061|443"). */
struct sd_pstep {
	char name[64];           /* label before D: "sipinternal", "_sip._tls" */
	uint8_t optional;        /* '?' */
	uint8_t tls;             /* srv: ":tls" (1) or ":tcp" (0) */
	uint16_t ports[SD_PROF_PORTS]; size_t nports; /* a: ports tried, in order */
};

enum sd_cert_name { SD_CN_CN_OR_SAN = 0, SD_CN_RFC2818, SD_CN_SAN_ONLY, SD_CN_UNKNOWN };
enum sd_level { SD_LVL_OK = 0, SD_LVL_INFO, SD_LVL_WARN, SD_LVL_ERROR, SD_LVL_UNKNOWN };

struct sd_profile {
	char name[SD_PROF_NAME];   /* "oc2007r2-beta" for a variant */
	char label[128];
	uint8_t auto_ok;           /* may be picked by "auto" (no: lpe2010) */
	uint8_t supported;         /* "supported = no": listed, not analysed */
	struct sd_pstep ad[SD_PROF_STEPS];  size_t nad;
	struct sd_pstep srv[SD_PROF_STEPS]; size_t nsrv;
	struct sd_pstep a[SD_PROF_STEPS];   size_t na;
	uint8_t a_only_if_no_srv;  /* a_only_if = no_srv (else no_srv_or_srv_path_failed) */
	uint8_t a_stop_first_resolving; /* a_stop = first_name_resolving */
	enum sd_tri continue_after_connect_fail, ip_failover, trust_prompt, sni, events_known;
	enum sd_strict strict_naming;     /* DOMAIN / NARROW / OFF */
	enum sd_level out_of_domain;      /* ignore_record -> ERROR, trust_prompt -> WARN, unknown */
	enum sd_cert_name cert_name;
	enum sd_level cert_wildcard_sip;  /* severity of a wildcard-only SIP match */
	uint8_t cert_eku_serverauth;      /* required */
	uint8_t revocation_enforced;
	uint8_t suffix_retry_expected;
	int ev_no_srv, ev_name_unresolved, ev_cert_name; /* event IDs, 0 = none/unknown */
	char dlg_no_server[SD_ATT_TEXT], dlg_cert[SD_ATT_TEXT], dlg_trust[SD_ATT_TEXT];
	char trusted_domains[SD_PROF_LIST][SD_PROF_NAME * 2]; size_t ntrusted;
	char ignore_for_signin[SD_PROF_LIST][64]; size_t nignore;
	/* expect.NAME = VALUE: records the service needs (SfB Online, O365), so
	 * NO_SERVER can name them instead of on-premises SRV advice */
	struct { char name[64]; char value[SD_PROF_NAME * 2]; } expect[SD_PROF_LIST]; size_t nexpect;
	uint8_t conflict;                 /* "tag = conflict": built on sources that disagree,
	                                   * so lookup-order findings stay info */
};

struct sd_profiles {
	struct sd_profile *p; size_t n; /* every profile and every variant, file order */
	char origin[512];               /* the file it came from */
};

/* Parses INI text. NULL on error with "ORIGIN:LINE: reason" in err. */
struct sd_profiles *sd_profiles_parse(const char *text, size_t len, const char *origin, char *err,
				      size_t errlen);
/* Loads a file: path, or when NULL the first that exists of $SIPDISC_PROFILES,
 * SD_DATADIR/profiles.ini, SD_SRCDIR/data/profiles.ini. */
struct sd_profiles *sd_profiles_load(const char *path, char *err, size_t errlen);
void sd_profiles_free(struct sd_profiles *ps);

const struct sd_profile *sd_profiles_get(const struct sd_profiles *ps, const char *name);

/* "auto": picks a profile from the names the attempt looked up; why (may
 * be NULL) gets one line saying which names decided it. Never NULL when ps has the
 * standard profiles (falls back to the first auto_ok profile). */
const struct sd_profile *sd_profile_auto(const struct sd_profiles *ps, const struct sd_attempt *a,
					 char *why, size_t whylen);

/* "domain" | "narrow" | "off" -> *out; 0, or -1 for anything else. Shared by
 * profiles.ini (strict_naming) and every --strict option. */
int sd_strict_parse(const char *s, enum sd_strict *out);

/* The label a discovery role puts before D ("_sipinternaltls._tcp",
 * "sipinternal"), as profiles name their steps; "" for non-discovery roles. */
const char *sd_role_label(enum sd_role role);

/* The step list position of a discovery role in the profile: index in
 * ad/srv/a, or -1 when the profile does not look the name up. */
int sd_profile_step_index(const struct sd_profile *p, enum sd_role role);

#endif
