/*
 * fuzz_tcp.c - two-way TCP stream fuzzing, after Zeek's FuzzBuffer.
 *
 * The input is split on the marker "\1PKT". After each marker:
 *   1 byte   bit 0: direction (0 client->server, 1 back)
 *            bits 1-5: TCP flags FIN SYN RST PSH ACK
 *            bit 6: second connection (another client port)
 *            bit 7: snaplen cut: the second half of the payload is "missing"
 *   4 bytes  sequence offset (big-endian) from the direction's base ISN,
 *            which sits just below 2^32 so streams wrap
 *   rest     payload
 * Bytes before the first marker are ignored. Each segment is one frame, one
 * second apart; limits are tiny so eviction and buffer limits are reached.
 * The same bytes also go through sd_tcp_parse.
 *
 * The consumer allocates per-connection state on open and frees it on
 * CLOSED, as the pipeline does: ASan then catches any callback after
 * CLOSED, and the checks below catch a CLOSED missing or doubled.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_reasm.h"

struct fconn {
	uint32_t magic;
	uint64_t id;
	uint64_t bytes[2];
};
#define MAGIC 0x7c9a3e11u

static long live;
static uint64_t sink;

static void *f_open(void *ud, const struct sd_tcp_conn_info *ci)
{
	(void)ud;
	struct fconn *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	c->magic = MAGIC;
	c->id = ci->id;
	live++;
	return c;
}

static struct fconn *conn_of(void *p)
{
	struct fconn *c = p;
	if (!c || c->magic != MAGIC)
		abort();
	return c;
}

static int f_data(void *ud, void *conn, int dir, const uint8_t *d, size_t len, uint64_t f, int64_t ts)
{
	(void)ud, (void)f, (void)ts;
	struct fconn *c = conn_of(conn);
	if (dir != 0 && dir != 1)
		abort();
	if (len == 0)
		abort(); /* empty deliveries are pointless churn */
	for (size_t i = 0; i < len; i++) /* touch every byte: ASan checks the range */
		sink += d[i];
	c->bytes[dir] += len;
	/* A consumer that gives up: exercises the stop path. */
	return d[0] == 'S';
}

static void f_gap(void *ud, void *conn, int dir, uint32_t len, uint64_t f, int64_t ts)
{
	(void)ud, (void)f, (void)ts;
	conn_of(conn);
	if ((dir != 0 && dir != 1) || len == 0)
		abort();
}

static void f_state(void *ud, void *conn, enum sd_tcp_state st, int dir, uint64_t f, int64_t ts)
{
	(void)ud, (void)dir, (void)f, (void)ts;
	struct fconn *c = conn_of(conn);
	if (st == SD_TCPS_CLOSED) {
		c->magic = 0;
		free(c);
		live--;
	}
}

static const uint8_t MARK[4] = { 1, 'P', 'K', 'T' };

/* Next marker at or after pos, or len. */
static size_t find_mark(const uint8_t *d, size_t len, size_t pos)
{
	for (size_t i = pos; i + 4 <= len; i++)
		if (memcmp(d + i, MARK, 4) == 0)
			return i;
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_tcp_limits lim = { 3, 2048, 3072, 8LL * 1000000000LL };
	struct sd_tcp_cb cb = { NULL, f_open, f_data, f_gap, f_state };
	struct sd_tcp *t = sd_tcp_new(&lim, &cb);
	if (!t)
		return 0;
	live = 0;
	struct sd_addr a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.family = b.family = 4;
	a.a[0] = 10, a.a[3] = 1;
	b.a[0] = 10, b.a[3] = 2;
	static const uint32_t base[2] = { 0xfffff000u, 0x7ffffff0u };

	uint64_t frame = 0;
	size_t pos = find_mark(data, size, 0);
	while (pos < size) {
		size_t start = pos + 4;
		size_t end = find_mark(data, size, start);
		pos = end;
		struct cur c = cur_init(data + start, end - start);
		uint8_t ctl = cur_u8(&c);
		uint32_t off = cur_be32(&c);
		if (!cur_ok(&c))
			continue;
		struct cur pl = cur_rest(&c);
		int dir = ctl & 1;
		uint16_t cport = (ctl & 0x40) ? 50001 : 50000;
		struct sd_tcp_seg s;
		memset(&s, 0, sizeof s);
		s.sport = dir ? 443 : cport;
		s.dport = dir ? cport : 443;
		s.flags = (uint8_t)((ctl >> 1) & 0x1f);
		s.seq = base[dir] + off;
		s.ack = base[!dir] + 1;
		size_t n = cur_left(&pl);
		if ((ctl & 0x80) && n) {
			s.missing = (uint32_t)(n - n / 2);
			s.payload = cur_sub(&pl, n / 2);
		} else {
			s.payload = pl;
		}
		frame++;
		int64_t ts = (int64_t)frame * 1000000000LL;
		sd_tcp_expire(t, ts);
		sd_tcp_segment(t, dir ? &b : &a, dir ? &a : &b, &s, frame, ts);

		/* The raw chunk as a TCP header too. */
		struct sd_tcp_seg h;
		struct cur raw = cur_init(data + start, end - start);
		int st = sd_tcp_parse(raw, s.missing, &h);
		if (st == SD_OK && cur_left(&h.payload) > end - start)
			abort();
		if (st != SD_OK && st != SD_E_TRUNC && st != SD_E_MALFORMED)
			abort();
	}
	sd_tcp_finish(t);
	struct sd_tcp_stats st;
	sd_tcp_stats(t, &st);
	/* Every connection got exactly one CLOSED; nothing is left held. */
	if (live != 0 || st.conns_live != 0 || st.held_bytes != 0)
		abort();
	sd_tcp_free(t);
	return 0;
}
