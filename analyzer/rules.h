/*
 * rules.h - the checks of autoconfig-rules.md sections 2-4 run over one
 * completed attempt: they fill its findings (codes in docs/findings.md),
 * the client events and dialog the user saw, the winning step and the
 * verdict. Rules tagged [inf]/[conflict] in the spec, and profile values
 * that are "unknown", produce info findings only.
 */
#ifndef SD_RULES_H
#define SD_RULES_H

#include "attempt.h"
#include "profile.h"

struct sd_rules_opts {
	enum sd_strict strict;         /* SD_STRICT_PROFILE = the profile's strict_naming */
	const char *ca_file, *ca_path; /* both NULL: CERT-CHAIN is "not checked" (info) */
};

/* Replaces a->findings, event_ids, symptom, winning_*, expected_name and
 * verdict. Returns the number of findings. */
size_t sd_rules_check(struct sd_attempt *a, const struct sd_profile *p, const struct sd_rules_opts *o);

/* Adds one finding (used by the rules and by attempt.c for evidence
 * problems); frames may be NULL. Returns it, or NULL when out of memory. */
struct sd_finding *sd_finding_add(struct sd_attempt *a, const char *code, enum sd_severity sev,
				  const uint64_t *frames, size_t nframes);
/* Adds a frame to a finding, keeping them ascending and unique. */
void sd_finding_frame(struct sd_finding *f, uint64_t frame);

#endif
