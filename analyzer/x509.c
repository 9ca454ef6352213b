/*
 * x509.c - certificate facts through OpenSSL (see x509.h).
 *
 * OpenSSL does all ASN.1 decoding, name matching and chain building; this
 * file only turns its results into the flat, printable struct sd_cert and
 * maps the spec's name-matching modes onto X509_check_host flags.
 */
#include "x509.h"
#include "common.h"

#include <limits.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

/* Latest OpenSSL error as text, or fallback; clears the queue so an old
 * error cannot be blamed on a later, unrelated call. */
static void ossl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256] = "";
	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	if (err && errlen)
		snprintf(err, errlen, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

/* Copies an ASN.1 string byte for byte into printable text: anything outside
 * printable ASCII, and the backslash itself, becomes \xHH. An embedded NUL
 * ("good.example\0.evil.example") therefore stays visible instead of cutting
 * the name short into something that looks valid. */
static void escape_bytes(const unsigned char *p, int n, char *out, size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return;
	for (int i = 0; i < n; i++) {
		unsigned char ch = p[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)ch;
		} else {
			if (o + 4 >= cap)
				break;
			snprintf(out + o, cap - o, "\\x%02x", ch);
			o += 4;
		}
	}
	out[o] = '\0';
}

static void name_oneline(const X509_NAME *n, char *out, size_t cap)
{
	out[0] = '\0';
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return;
	/* XN_FLAG_RFC2253 escapes non-ASCII as \XX, so the text stays ASCII */
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0) {
		char *data;
		long len = BIO_get_mem_data(b, &data);
		if (len > 0) {
			size_t k = (size_t)len < cap - 1 ? (size_t)len : cap - 1;
			memcpy(out, data, k);
			out[k] = '\0';
		}
	}
	BIO_free(b);
}

/* The last CN is the most specific one in RDN order; it is the one people
 * mean by "the subject name". */
static void subject_cn(const X509_NAME *n, char *out, size_t cap)
{
	out[0] = '\0';
	int idx = -1, last = -1;
	while ((idx = X509_NAME_get_index_by_NID(n, NID_commonName, idx)) >= 0)
		last = idx;
	if (last < 0)
		return;
	const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, last));
	unsigned char *utf8 = NULL;
	int len = ASN1_STRING_to_UTF8(&utf8, s);
	if (len < 0) {
		ERR_clear_error();
		return;
	}
	escape_bytes(utf8, len, out, cap);
	OPENSSL_free(utf8);
}

static void serial_hex(const X509 *x, char *out, size_t cap)
{
	out[0] = '\0';
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	if (hex)
		snprintf(out, cap, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
}

static int asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

/* Text form of an iPAddress SAN; a length other than 4 or 16 is malformed
 * (or a name-constraint mask misplaced here) and is shown as hex. */
static void ip_text(const ASN1_OCTET_STRING *s, char *out, size_t cap)
{
	struct sd_addr a;
	int n = ASN1_STRING_length(s);
	const unsigned char *p = ASN1_STRING_get0_data(s);
	memset(&a, 0, sizeof a);
	if (n == 4 || n == 16) {
		a.family = n == 4 ? 4 : 6;
		memcpy(a.a, p, (size_t)n);
		sd_addr_str(&a, out, cap);
		return;
	}
	size_t o = (size_t)snprintf(out, cap, "invalid:");
	for (int i = 0; i < n && o + 3 <= cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", p[i]);
}

static char *dupstr(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static int read_san(X509 *x, struct sd_cert *c)
{
	c->has_san = X509_get_ext_by_NID(x, NID_subject_alt_name, -1) >= 0;
	if (!c->has_san)
		return 0;
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	ERR_clear_error(); /* an undecodable extension just yields no entries */
	if (!gens)
		return 0;
	int rc = 0;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char buf[1024];
		size_t *cnt;
		char **arr;
		if (g->type == GEN_DNS) {
			escape_bytes(ASN1_STRING_get0_data(g->d.dNSName), ASN1_STRING_length(g->d.dNSName),
				     buf, sizeof buf);
			cnt = &c->nsan_dns;
			arr = c->san_dns;
		} else if (g->type == GEN_IPADD) {
			ip_text(g->d.iPAddress, buf, sizeof buf);
			cnt = &c->nsan_ip;
			arr = c->san_ip;
		} else {
			continue;
		}
		if (*cnt >= SD_X509_MAX_SAN) {
			c->nsan_dropped++;
			continue;
		}
		if (!(arr[*cnt] = dupstr(buf))) {
			rc = -1;
			break;
		}
		(*cnt)++;
	}
	GENERAL_NAMES_free(gens);
	return rc;
}

static void read_eku(X509 *x, struct sd_cert *c)
{
	c->has_eku = X509_get_ext_by_NID(x, NID_ext_key_usage, -1) >= 0;
	if (!c->has_eku)
		return;
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	ERR_clear_error();
	if (!eku)
		return;
	size_t o = 0;
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		const ASN1_OBJECT *obj = sk_ASN1_OBJECT_value(eku, i);
		int nid = OBJ_obj2nid(obj);
		char name[80];
		if (nid != NID_undef)
			snprintf(name, sizeof name, "%s", OBJ_nid2sn(nid));
		else
			OBJ_obj2txt(name, sizeof name, obj, 1);
		/* anyExtendedKeyUsage permits every purpose, both of these included */
		if (nid == NID_server_auth || nid == NID_anyExtendedKeyUsage)
			c->eku_server_auth = 1;
		if (nid == NID_client_auth || nid == NID_anyExtendedKeyUsage)
			c->eku_client_auth = 1;
		int w = snprintf(c->eku + o, sizeof c->eku - o, "%s%s", o ? "," : "", name);
		if (w < 0 || (size_t)w >= sizeof c->eku - o) {
			c->eku[o] = '\0'; /* keep whole names only */
			break;
		}
		o += (size_t)w;
	}
	EXTENDED_KEY_USAGE_free(eku);
}

static void read_key(X509 *x, struct sd_cert *c)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	if (!pk) {
		/* an algorithm OpenSSL cannot load: still name it by its OID */
		ERR_clear_error();
		ASN1_OBJECT *alg = NULL;
		X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, X509_get_X509_PUBKEY(x));
		if (!alg || OBJ_obj2txt(c->key_type, sizeof c->key_type, alg, 0) <= 0)
			snprintf(c->key_type, sizeof c->key_type, "unknown");
		return;
	}
	const char *name;
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA: name = "RSA"; break;
	case EVP_PKEY_RSA_PSS: name = "RSA-PSS"; break;
	case EVP_PKEY_DSA: name = "DSA"; break;
	case EVP_PKEY_EC: name = "EC"; break;
	case EVP_PKEY_ED25519: name = "Ed25519"; break;
	case EVP_PKEY_ED448: name = "Ed448"; break;
	default:
		name = EVP_PKEY_get0_type_name(pk);
		if (!name)
			name = "unknown";
		break;
	}
	snprintf(c->key_type, sizeof c->key_type, "%s", name);
	c->key_bits = EVP_PKEY_get_bits(pk);
}

static void read_sig_alg(const X509 *x, struct sd_cert *c)
{
	int nid = X509_get_signature_nid(x);
	if (nid != NID_undef) {
		snprintf(c->sig_alg, sizeof c->sig_alg, "%s", OBJ_nid2ln(nid));
		return;
	}
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	X509_get0_signature(NULL, &alg, x);
	if (alg)
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (!obj || OBJ_obj2txt(c->sig_alg, sizeof c->sig_alg, obj, 1) <= 0)
		snprintf(c->sig_alg, sizeof c->sig_alg, "unknown");
}

static int weak_sig_of(const X509 *x)
{
	int md = NID_undef;
	/* X509_get_signature_info also sees through RSA-PSS parameters */
	if (X509_get_signature_info((X509 *)x, &md, NULL, NULL, NULL) != 1) {
		ERR_clear_error();
		if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, NULL))
			return 0;
	}
	return md == NID_md2 || md == NID_md4 || md == NID_md5 || md == NID_sha1 || md == NID_md5_sha1;
}

static int decode_fresh(const uint8_t *der, size_t len, struct sd_cert *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (err && errlen)
		err[0] = '\0';
	if (!der || len == 0 || len > LONG_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "empty or oversized certificate (%zu bytes)", len);
		return -1;
	}
	ERR_clear_error();
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x) {
		ossl_err(err, errlen, "certificate DER not decodable");
		return -1;
	}
	/* A TLS Certificate entry carries exactly one certificate; bytes after it
	 * mean the lengths around it are wrong. */
	if ((size_t)(p - der) != len) {
		if (err && errlen)
			snprintf(err, errlen, "%zu trailing bytes after the certificate DER",
				 len - (size_t)(p - der));
		X509_free(x);
		return -1;
	}
	out->x509 = x;
	out->der = der;
	out->der_len = len;

	if (asn1_time_unix(X509_get0_notBefore(x), &out->not_before) ||
	    asn1_time_unix(X509_get0_notAfter(x), &out->not_after)) {
		ossl_err(err, errlen, "certificate validity time not parseable");
		sd_x509_free(out);
		return -1;
	}
	name_oneline(X509_get_subject_name(x), out->subject, sizeof out->subject);
	name_oneline(X509_get_issuer_name(x), out->issuer, sizeof out->issuer);
	subject_cn(X509_get_subject_name(x), out->cn, sizeof out->cn);
	serial_hex(x, out->serial, sizeof out->serial);
	if (read_san(x, out)) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		sd_x509_free(out);
		return -1;
	}
	read_eku(x, out);
	read_key(x, out);
	read_sig_alg(x, out);
	out->self_issued = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
	out->weak_sig = weak_sig_of(x) ? 2 : 1;

	/* Fingerprint of the bytes on the wire, not of OpenSSL's re-encoding */
	unsigned int mdlen = 0;
	if (EVP_Digest(der, len, out->sha256, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		ossl_err(err, errlen, "SHA-256 failed");
		sd_x509_free(out);
		return -1;
	}
	for (unsigned i = 0; i < 32; i++)
		snprintf(out->sha256_hex + 2 * i, 3, "%02x", out->sha256[i]);
	ERR_clear_error();
	return 0;
}

/* A per-thread cache of decoded certificates, keyed by their exact DER.
 * Why: OpenSSL 3.0's d2i_X509 builds a provider decoder context for the
 * public key (OSSL_DECODER_CTX_new_for_pkey), about a million instructions
 * per certificate, and the facts above (names printed, extensions decoded)
 * add ~100k more: 70% of all the work on a busy capture (callgrind,
 * docs/performance.md). Yet a link repeats the same few server chains, and
 * each certificate is decoded twice (the pipeline's event, the attempt's own
 * copy). A hit costs a hash, a memcmp and a copy of the struct; the copy owns
 * its SAN strings and an X509 reference (X509_up_ref) exactly as a fresh
 * decode does, so sd_x509_free is unchanged. Only successful decodes are
 * cached: errors are reported as before. Per thread, so workers never lock;
 * entries of a finished thread are freed by the key's destructor. */
#define X509_CACHE 32
struct x509_cached {
	uint64_t tail;         /* last bytes of the DER (signature): a cheap first test */
	size_t len;
	uint8_t *der;          /* the cache's own copy; tmpl->der points here */
	struct sd_cert *tmpl;
};
static _Thread_local struct x509_cached x509_cache[X509_CACHE];
static _Thread_local unsigned x509_cache_next;
static pthread_key_t x509_cache_key;
static pthread_once_t x509_cache_once = PTHREAD_ONCE_INIT;
static int x509_cache_keyed;

/* The SAN strings of a cached certificate live in one block that every
 * copy shares (they are never written after decode), so a hit allocates
 * nothing per name. refs counts the sd_certs pointing into it; atomic
 * because a copy may be freed on another thread than the cache's. */
struct san_block {
	int refs;
	char data[];
};

static void san_release(struct san_block *b)
{
	if (__atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(b);
}

/* Moves c's malloc'd SAN strings into one shared block. 0, or -1 (out of
 * memory; c unchanged). */
/* Moves the n strings of v into o, one after another, and points v at
 * the copies; returns the end of what was written. */
static char *pack_names(char **v, size_t n, char *o)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i]) + 1;
		memcpy(o, v[i], len);
		free(v[i]);
		v[i] = o;
		o += len;
	}
	return o;
}

static int san_share(struct sd_cert *c)
{
	size_t total = 0;
	for (size_t i = 0; i < c->nsan_dns; i++)
		total += strlen(c->san_dns[i]) + 1;
	for (size_t i = 0; i < c->nsan_ip; i++)
		total += strlen(c->san_ip[i]) + 1;
	struct san_block *b = malloc(sizeof *b + total);
	if (!b)
		return -1;
	b->refs = 1;
	char *o = pack_names(c->san_dns, c->nsan_dns, b->data);
	pack_names(c->san_ip, c->nsan_ip, o);
	c->san_shared = b;
	return 0;
}

static void cached_free(struct x509_cached *e)
{
	if (e->tmpl)
		sd_x509_free(e->tmpl);
	free(e->tmpl);
	free(e->der);
	memset(e, 0, sizeof *e);
}

static void x509_cache_drop(void *unused)
{
	(void)unused;
	for (size_t i = 0; i < X509_CACHE; i++)
		cached_free(&x509_cache[i]);
}

static void x509_cache_init(void)
{
	x509_cache_keyed = pthread_key_create(&x509_cache_key, x509_cache_drop) == 0;
}

static uint64_t der_tail(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t k = n < sizeof v ? n : sizeof v;
	memcpy(&v, p + n - k, k);
	return v;
}

/* Copies the used part of a struct sd_cert: the SAN pointer arrays are 4 KB,
 * most of it unused slots nobody reads (they stay as they were in dst). */
static void cert_copy(struct sd_cert *dst, const struct sd_cert *src)
{
	size_t nd = src->nsan_dns < SD_X509_MAX_SAN ? src->nsan_dns : SD_X509_MAX_SAN;
	size_t ni = src->nsan_ip < SD_X509_MAX_SAN ? src->nsan_ip : SD_X509_MAX_SAN;
	memcpy(dst, src, offsetof(struct sd_cert, san_dns));
	memcpy(dst->san_dns, src->san_dns, nd * sizeof src->san_dns[0]);
	memcpy(dst->san_ip, src->san_ip, ni * sizeof src->san_ip[0]);
	memcpy(&dst->has_san, &src->has_san, sizeof *dst - offsetof(struct sd_cert, has_san));
}

/* *out = a copy of src sharing its SAN block and X509 (one more reference
 * to each), with der pointing at the caller's bytes. 0, or -1 (out zeroed). */
static int clone_cert(const struct sd_cert *src, struct sd_cert *out, const uint8_t *der)
{
	if (!src->san_shared || !X509_up_ref(src->x509)) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	cert_copy(out, src);
	out->der = der;
	__atomic_add_fetch(&((struct san_block *)src->san_shared)->refs, 1, __ATOMIC_RELAXED);
	return 0;
}

int sd_x509_decode(const uint8_t *der, size_t len, struct sd_cert *out, char *err, size_t errlen)
{
	uint64_t tail = der && len ? der_tail(der, len) : 0;
	if (der && len) {
		for (size_t i = 0; i < X509_CACHE; i++) {
			const struct x509_cached *e = &x509_cache[i];
			if (e->tmpl && e->tail == tail && e->len == len && !memcmp(e->der, der, len) &&
			    clone_cert(e->tmpl, out, der) == 0)
				return 0;
		}
	}
	int rc = decode_fresh(der, len, out, err, errlen);
	if (rc != 0)
		return rc;
	/* remember it; a failure to do so only costs the next decode */
	if (san_share(out) != 0)
		return 0;
	struct sd_cert *tmpl = malloc(sizeof *tmpl);
	uint8_t *copy = malloc(len);
	if (!tmpl || !copy || clone_cert(out, tmpl, copy) != 0) {
		free(tmpl);
		free(copy);
		return 0;
	}
	memcpy(copy, der, len);
	pthread_once(&x509_cache_once, x509_cache_init);
	/* non-NULL so the destructor runs when this thread ends */
	if (x509_cache_keyed)
		pthread_setspecific(x509_cache_key, x509_cache);
	struct x509_cached *e = &x509_cache[x509_cache_next++ % X509_CACHE];
	cached_free(e);
	e->tail = tail;
	e->len = len;
	e->der = copy;
	e->tmpl = tmpl;
	return 0;
}

void sd_x509_free(struct sd_cert *c)
{
	if (!c)
		return;
	if (c->san_shared) {
		san_release(c->san_shared);
	} else {
		for (size_t i = 0; i < c->nsan_dns && i < SD_X509_MAX_SAN; i++)
			free(c->san_dns[i]);
		for (size_t i = 0; i < c->nsan_ip && i < SD_X509_MAX_SAN; i++)
			free(c->san_ip[i]);
	}
	X509_free(c->x509);
	/* counts and pointers cleared; the unused SAN slots are not read */
	memset(c, 0, offsetof(struct sd_cert, san_dns));
	memset(&c->has_san, 0, sizeof *c - offsetof(struct sd_cert, has_san));
}

/* X509_check_host decodes the subjectAltName extension again on every
 * call (~43k instructions), yet an attempt asks the same few questions of
 * the same few certificates. Its answers are memoised per thread, keyed by
 * the certificate (X509 object and SHA-256 of its DER), the host and the
 * flags; OpenSSL still decides every distinct question. */
#define HOST_MEMO 64
#define FLAGS_IP UINT_MAX /* X509_check_ip_asc instead of X509_check_host */
struct host_memo {
	const void *x509;
	uint8_t sha256[32];
	unsigned flags;
	int r;
	size_t n;
	char host[256];
};
static _Thread_local struct host_memo host_memo[HOST_MEMO];
static _Thread_local unsigned host_memo_next;

/* host is NUL-terminated, n = strlen(host) < 256 */
static int check(const struct sd_cert *c, const char *host, size_t n, unsigned flags)
{
	for (size_t i = 0; i < HOST_MEMO; i++) {
		const struct host_memo *e = &host_memo[i];
		if (e->x509 == c->x509 && e->flags == flags && e->n == n && !memcmp(e->host, host, n) &&
		    !memcmp(e->sha256, c->sha256, sizeof e->sha256))
			return e->r;
	}
	int r = flags == FLAGS_IP ? X509_check_ip_asc(c->x509, host, 0)
				  : X509_check_host(c->x509, host, 0, flags, NULL);
	if (r < 0)
		ERR_clear_error();
	struct host_memo *e = &host_memo[host_memo_next++ % HOST_MEMO];
	e->x509 = c->x509;
	memcpy(e->sha256, c->sha256, sizeof e->sha256);
	e->flags = flags;
	e->r = r == 1;
	e->n = n;
	memcpy(e->host, host, n + 1);
	return e->r;
}

enum sd_name_match sd_x509_match_host(const struct sd_cert *c, const char *host, enum sd_name_mode mode)
{
	if (!c || !c->x509 || !host)
		return SD_MATCH_NONE;
	char h[256];
	size_t n = strlen(host);
	if (n > 0 && host[n - 1] == '.')
		n--; /* "pool.contoso.com." is the same name */
	if (n == 0 || n >= sizeof h)
		return SD_MATCH_NONE;
	memcpy(h, host, n);
	h[n] = '\0';

	/* An address literal can only match an iPAddress SAN */
	struct sd_addr a;
	if (sd_addr_parse(h, &a) == 0)
		return check(c, h, n, FLAGS_IP) ? SD_MATCH_EXACT : SD_MATCH_NONE;

	/* OpenSSL compares case-insensitively. Its default (RFC 2818/6125)
	 * consults the CN only when no dNSName exists; NEVER_CHECK_SUBJECT is
	 * SAN-only; ALWAYS_CHECK_SUBJECT is the OC 2007 tolerance. */
	const unsigned san = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
	unsigned any;
	switch (mode) {
	case SD_NAME_CN_OR_SAN: any = X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT; break;
	case SD_NAME_RFC2818: any = 0; break;
	case SD_NAME_SAN_ONLY:
	default: any = san; break;
	}
	if (check(c, h, n, san | X509_CHECK_FLAG_NO_WILDCARDS))
		return SD_MATCH_EXACT;
	if (any != san && check(c, h, n, any | X509_CHECK_FLAG_NO_WILDCARDS))
		return SD_MATCH_CN_ONLY;
	if (check(c, h, n, any))
		return SD_MATCH_WILDCARD;
	return SD_MATCH_NONE;
}

int sd_x509_verify_chain(const struct sd_cert *chain, size_t n, const char *ca_file,
			 const char *ca_path, int64_t t, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (ca_file && !ca_file[0])
		ca_file = NULL;
	if (ca_path && !ca_path[0])
		ca_path = NULL;
	if (!ca_file && !ca_path) {
		if (err && errlen)
			snprintf(err, errlen, "no trust store given");
		return -1;
	}
	if (n == 0 || !chain || !chain[0].x509) {
		if (err && errlen)
			snprintf(err, errlen, "no certificate to verify");
		return -1;
	}
	ERR_clear_error();
	int ret = -1;
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (!store || !untrusted || !ctx) {
		ossl_err(err, errlen, "out of memory");
		goto out;
	}
	if (ca_file && X509_STORE_load_file(store, ca_file) != 1) {
		char what[300];
		snprintf(what, sizeof what, "cannot load CA file %s", ca_file);
		ossl_err(err, errlen, what);
		goto out;
	}
	if (ca_path && X509_STORE_load_path(store, ca_path) != 1) {
		char what[300];
		snprintf(what, sizeof what, "cannot use CA directory %s", ca_path);
		ossl_err(err, errlen, what);
		goto out;
	}
	for (size_t i = 1; i < n; i++)
		if (chain[i].x509 && !sk_X509_push(untrusted, chain[i].x509)) {
			ossl_err(err, errlen, "out of memory");
			goto out;
		}
	if (X509_STORE_CTX_init(ctx, store, chain[0].x509, untrusted) != 1) {
		ossl_err(err, errlen, "cannot set up verification");
		goto out;
	}
	/* Judge at capture time. No purpose is set: a missing serverAuth EKU is
	 * its own finding (CERT-EKU), not a reason to call the chain untrusted. */
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)t);
	int r = X509_verify_cert(ctx);
	if (r == 1) {
		ret = 1;
	} else if (r == 0) {
		int e = X509_STORE_CTX_get_error(ctx);
		if (err && errlen)
			snprintf(err, errlen, "%s (depth %d)", X509_verify_cert_error_string(e),
				 X509_STORE_CTX_get_error_depth(ctx));
		ret = 0;
	} else {
		ossl_err(err, errlen, "verification could not run");
	}
	ERR_clear_error();
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted); /* the certificates stay owned by chain[] */
	X509_STORE_free(store);
	return ret;
}

int sd_x509_weak_signature(const struct sd_cert *c)
{
	if (!c || !c->x509)
		return 0;
	/* decided once at decode: X509_get_signature_info costs ~4k instructions */
	if (c->weak_sig)
		return c->weak_sig == 2;
	return weak_sig_of(c->x509);
}

int sd_x509_weak_key(const struct sd_cert *c)
{
	if (!c || !c->x509)
		return 0;
	int rsa_or_dsa = !strcmp(c->key_type, "RSA") || !strcmp(c->key_type, "RSA-PSS") ||
			 !strcmp(c->key_type, "DSA");
	return rsa_or_dsa && c->key_bits > 0 && c->key_bits < 2048;
}
