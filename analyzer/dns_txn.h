/*
 * dns_txn.h - pairs DNS queries with their responses (same transaction id,
 * mirrored addresses and ports, same question) and finds the queries that
 * were never answered. Memory is bounded: beyond max_pending outstanding
 * queries the oldest is declared unanswered.
 */
#ifndef SD_DNS_TXN_H
#define SD_DNS_TXN_H

#include "common.h"
#include "dns.h"

struct sd_dns_txn;

/* A query that timed out (no response within the timeout of capture time,
 * or none by the end of the capture). */
struct sd_dns_pending {
	uint64_t frame;
	int64_t ts_ns;
	struct sd_addr client, server;
	uint16_t cport, sport;
	uint8_t proto;
	uint16_t id, qtype;
	const char *qname;
};
typedef void (*sd_dns_unanswered_fn)(void *ud, const struct sd_dns_pending *q);

struct sd_dns_txn *sd_dns_txn_new(int64_t timeout_ns, size_t max_pending, sd_dns_unanswered_fn fn,
				  void *ud);

/* Records a query. */
void sd_dns_txn_query(struct sd_dns_txn *t, const struct sd_dns_msg *m, const struct sd_addr *src,
		      uint16_t sport, const struct sd_addr *dst, uint16_t dport, uint8_t proto,
		      uint64_t frame, int64_t ts_ns);

/* Matches a response; returns 1 and fills the query's frame and the RTT when
 * its query was seen (the query is then retired), 0 otherwise. */
int sd_dns_txn_response(struct sd_dns_txn *t, const struct sd_dns_msg *m, const struct sd_addr *src,
			uint16_t sport, const struct sd_addr *dst, uint16_t dport, uint8_t proto,
			int64_t ts_ns, uint64_t *query_frame, int64_t *rtt_ns);

/* Reports queries older than now - timeout. */
void sd_dns_txn_expire(struct sd_dns_txn *t, int64_t now_ns);
/* Reports every outstanding query (end of capture). */
void sd_dns_txn_finish(struct sd_dns_txn *t);
void sd_dns_txn_free(struct sd_dns_txn *t);

#endif
