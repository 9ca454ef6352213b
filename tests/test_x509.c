/*
 * test_x509.c - certificate decoding, host matching per client mode, chain
 * verification. Certificates are built here with the OpenSSL API so each
 * test states exactly what the certificate holds.
 */
#include "testutil.h"
#include "x509.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define T0 1700000000LL /* 2023-11-14T22:13:20Z */
#define DAY 86400LL

static EVP_PKEY *ec_key(void) { return EVP_EC_gen("P-256"); }

/* What a test certificate holds. sans uses OpenSSL's config syntax
 * ("DNS:a,IP:192.0.2.1"); NULL leaves the extension out. */
struct spec {
	const char *cn;
	const char *org;
	const char *sans;
	const char *eku;
	int ca;
	long serial;
	int64_t nb, na;
	const EVP_MD *md;
};

static X509 *make_cert(const struct spec *s, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	CU_ASSERT_FATAL(x != NULL);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial ? s->serial : 1);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(s->nb ? s->nb : T0 - DAY));
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(s->na ? s->na : T0 + 365 * DAY));
	X509_NAME *n = X509_get_subject_name(x);
	if (s->org)
		X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)s->org, -1, -1, 0);
	if (s->cn)
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)s->cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_set_pubkey(x, key);
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	struct { int nid; const char *v; } ext[] = {
		{ NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "CA:FALSE" },
		{ NID_key_usage, s->ca ? "keyCertSign,cRLSign" : NULL },
		{ NID_subject_alt_name, s->sans },
		{ NID_ext_key_usage, s->eku },
	};
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		if (!ext[i].v)
			continue;
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, ext[i].nid, ext[i].v);
		CU_ASSERT_FATAL(e != NULL);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	CU_ASSERT_FATAL(X509_sign(x, issuer_key ? issuer_key : key, s->md ? s->md : EVP_sha256()) > 0);
	return x;
}

/* A decoded certificate with the DER it points into. */
struct dcert {
	uint8_t *der;
	struct sd_cert c;
};

static void decode(X509 *x, struct dcert *d)
{
	d->der = NULL;
	int n = i2d_X509(x, &d->der);
	CU_ASSERT_FATAL(n > 0);
	char err[256];
	int rc = sd_x509_decode(d->der, (size_t)n, &d->c, err, sizeof err);
	if (rc)
		fprintf(stderr, "decode: %s\n", err);
	CU_ASSERT_FATAL(rc == 0);
}

static void drop(struct dcert *d)
{
	sd_x509_free(&d->c);
	OPENSSL_free(d->der);
}

/* One CA and its key shared by the tests (key generation is the slow part). */
static EVP_PKEY *ca_key, *leaf_key;
static X509 *ca;

static void setup(void)
{
	if (ca)
		return;
	ca_key = ec_key();
	leaf_key = ec_key();
	CU_ASSERT_FATAL(ca_key && leaf_key);
	struct spec s = { .cn = "Contoso Root CA", .org = "Contoso", .ca = 1, .nb = T0 - 3650 * DAY, .na = T0 + 3650 * DAY };
	ca = make_cert(&s, ca_key, NULL, NULL);
}

static struct dcert leaf(const struct spec *s)
{
	setup();
	struct dcert d;
	X509 *x = make_cert(s, leaf_key, ca, ca_key);
	decode(x, &d);
	X509_free(x);
	return d;
}

static void test_decode_fields(void)
{
	struct spec s = { .cn = "pool01.contoso.com", .org = "Contoso",
			  .sans = "DNS:pool01.contoso.com,IP:192.0.2.7,DNS:sip.contoso.com,IP:2001:db8::1",
			  .eku = "serverAuth,clientAuth", .serial = 0x0123456789ABCDEFL,
			  .nb = T0 - 10, .na = T0 + 1000 };
	struct dcert d = leaf(&s);
	struct sd_cert *c = &d.c;
	CU_ASSERT_STRING_EQUAL(c->subject, "CN=pool01.contoso.com,O=Contoso");
	CU_ASSERT_STRING_EQUAL(c->issuer, "CN=Contoso Root CA,O=Contoso");
	CU_ASSERT_STRING_EQUAL(c->cn, "pool01.contoso.com");
	CU_ASSERT_STRING_EQUAL(c->serial, "0123456789ABCDEF");
	CU_ASSERT_EQUAL(c->not_before, T0 - 10);
	CU_ASSERT_EQUAL(c->not_after, T0 + 1000);
	CU_ASSERT_EQUAL(c->has_san, 1);
	CU_ASSERT_EQUAL_FATAL(c->nsan_dns, 2);
	CU_ASSERT_STRING_EQUAL(c->san_dns[0], "pool01.contoso.com");
	CU_ASSERT_STRING_EQUAL(c->san_dns[1], "sip.contoso.com");
	CU_ASSERT_EQUAL_FATAL(c->nsan_ip, 2);
	CU_ASSERT_STRING_EQUAL(c->san_ip[0], "192.0.2.7");
	CU_ASSERT_STRING_EQUAL(c->san_ip[1], "2001:db8::1");
	CU_ASSERT_EQUAL(c->nsan_dropped, 0);
	CU_ASSERT_EQUAL(c->has_eku, 1);
	CU_ASSERT_EQUAL(c->eku_server_auth, 1);
	CU_ASSERT_EQUAL(c->eku_client_auth, 1);
	CU_ASSERT_STRING_EQUAL(c->eku, "serverAuth,clientAuth");
	CU_ASSERT_STRING_EQUAL(c->key_type, "EC");
	CU_ASSERT_EQUAL(c->key_bits, 256);
	CU_ASSERT_STRING_EQUAL(c->sig_alg, "ecdsa-with-SHA256");
	CU_ASSERT_EQUAL(c->self_issued, 0);
	CU_ASSERT_EQUAL(sd_x509_weak_signature(c), 0);
	CU_ASSERT_EQUAL(sd_x509_weak_key(c), 0);
	CU_ASSERT_PTR_EQUAL(c->der, d.der);
	/* fingerprint cross-checked through OpenSSL's own X509_digest */
	unsigned char md[32];
	unsigned int mdlen = 0;
	X509_digest(c->x509, EVP_sha256(), md, &mdlen);
	CU_ASSERT_EQUAL(mdlen, 32);
	CU_ASSERT_EQUAL(memcmp(md, c->sha256, 32), 0);
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	CU_ASSERT_STRING_EQUAL(c->sha256_hex, hex);
	drop(&d);

	/* the CA: self-issued, no SAN, no EKU */
	struct dcert r;
	decode(ca, &r);
	CU_ASSERT_EQUAL(r.c.self_issued, 1);
	CU_ASSERT_EQUAL(r.c.has_san, 0);
	CU_ASSERT_EQUAL(r.c.nsan_dns, 0);
	CU_ASSERT_EQUAL(r.c.has_eku, 0);
	CU_ASSERT_EQUAL(r.c.eku_server_auth, 0);
	CU_ASSERT_STRING_EQUAL(r.c.eku, "");
	drop(&r);
}

static void test_match_san_exact(void)
{
	struct spec s = { .cn = "pool01.contoso.com", .sans = "DNS:pool01.contoso.com,DNS:sip.contoso.com" };
	struct dcert d = leaf(&s);
	for (int m = SD_NAME_CN_OR_SAN; m <= SD_NAME_SAN_ONLY; m++) {
		CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", m), SD_MATCH_EXACT);
		CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "SIP.Contoso.COM.", m), SD_MATCH_EXACT);
		CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool02.contoso.com", m), SD_MATCH_NONE);
		CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "contoso.com", m), SD_MATCH_NONE);
		CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "", m), SD_MATCH_NONE);
		CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, ".", m), SD_MATCH_NONE);
	}
	drop(&d);
}

static void test_match_wildcard_only(void)
{
	struct spec s = { .cn = "Contoso pool", .sans = "DNS:*.contoso.com" };
	struct dcert d = leaf(&s);
	for (int m = SD_NAME_CN_OR_SAN; m <= SD_NAME_SAN_ONLY; m++) {
		CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", m), SD_MATCH_WILDCARD);
		CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "Sip.Contoso.com.", m), SD_MATCH_WILDCARD);
		/* a wildcard covers exactly one label */
		CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "contoso.com", m), SD_MATCH_NONE);
		CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "a.pool.contoso.com", m), SD_MATCH_NONE);
	}
	drop(&d);
}

static void test_match_cn_only_no_san(void)
{
	struct spec s = { .cn = "pool01.contoso.com", .org = "Contoso" };
	struct dcert d = leaf(&s);
	CU_ASSERT_EQUAL(d.c.has_san, 0);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", SD_NAME_CN_OR_SAN), SD_MATCH_CN_ONLY);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "POOL01.contoso.com.", SD_NAME_RFC2818), SD_MATCH_CN_ONLY);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", SD_NAME_SAN_ONLY), SD_MATCH_NONE);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool02.contoso.com", SD_NAME_CN_OR_SAN), SD_MATCH_NONE);
	drop(&d);

	/* an iPAddress SAN alone does not hide the CN from RFC 2818 matching */
	struct spec s2 = { .cn = "pool01.contoso.com", .sans = "IP:192.0.2.7" };
	d = leaf(&s2);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", SD_NAME_RFC2818), SD_MATCH_CN_ONLY);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", SD_NAME_SAN_ONLY), SD_MATCH_NONE);
	drop(&d);

	/* a wildcard CN: found only through the wildcard, and never SAN-only */
	struct spec s3 = { .cn = "*.contoso.com" };
	d = leaf(&s3);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", SD_NAME_CN_OR_SAN), SD_MATCH_WILDCARD);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", SD_NAME_RFC2818), SD_MATCH_WILDCARD);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", SD_NAME_SAN_ONLY), SD_MATCH_NONE);
	drop(&d);
}

/* The OC 2007 / Lync 2013 split of spec section 3 (CERT-CN vs CERT-SAN). */
static void test_match_cn_not_in_san(void)
{
	struct spec s = { .cn = "pool01.contoso.com", .sans = "DNS:sip.contoso.com" };
	struct dcert d = leaf(&s);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", SD_NAME_CN_OR_SAN), SD_MATCH_CN_ONLY);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", SD_NAME_RFC2818), SD_MATCH_NONE);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", SD_NAME_SAN_ONLY), SD_MATCH_NONE);
	for (int m = SD_NAME_CN_OR_SAN; m <= SD_NAME_SAN_ONLY; m++)
		CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "sip.contoso.com", m), SD_MATCH_EXACT);
	drop(&d);

	/* CN and a SAN both name the host: the SAN (exact) wins */
	struct spec s2 = { .cn = "sip.contoso.com", .sans = "DNS:sip.contoso.com" };
	d = leaf(&s2);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "sip.contoso.com", SD_NAME_CN_OR_SAN), SD_MATCH_EXACT);
	drop(&d);
}

static void test_eku(void)
{
	struct spec s = { .cn = "pool01.contoso.com", .eku = "clientAuth" };
	struct dcert d = leaf(&s);
	CU_ASSERT_EQUAL(d.c.has_eku, 1);
	CU_ASSERT_EQUAL(d.c.eku_server_auth, 0);
	CU_ASSERT_EQUAL(d.c.eku_client_auth, 1);
	CU_ASSERT_STRING_EQUAL(d.c.eku, "clientAuth");
	drop(&d);

	struct spec s2 = { .cn = "pool01.contoso.com", .eku = "anyExtendedKeyUsage,1.2.3.4.5" };
	d = leaf(&s2);
	CU_ASSERT_EQUAL(d.c.eku_server_auth, 1);
	CU_ASSERT_EQUAL(d.c.eku_client_auth, 1);
	CU_ASSERT_STRING_EQUAL(d.c.eku, "anyExtendedKeyUsage,1.2.3.4.5");
	drop(&d);
}

/* Writes x to a fresh temporary PEM file whose name lands in path. */
static void write_pem(X509 *x, char path[64])
{
	snprintf(path, 64, "/tmp/sd_x509_ca_XXXXXX");
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	FILE *f = fdopen(fd, "w");
	CU_ASSERT_FATAL(f != NULL);
	PEM_write_X509(f, x);
	fclose(f);
}

static void test_verify_chain(void)
{
	setup();
	char pem[64];
	write_pem(ca, pem);
	char err[256];

	/* leaf with clientAuth only: trusted all the same, EKU is a separate check */
	struct spec s = { .cn = "pool01.contoso.com", .sans = "DNS:pool01.contoso.com", .eku = "clientAuth",
			  .nb = T0 - DAY, .na = T0 + DAY };
	struct dcert d = leaf(&s);
	CU_ASSERT_EQUAL(sd_x509_verify_chain(&d.c, 1, pem, NULL, T0, err, sizeof err), 1);
	CU_ASSERT_STRING_EQUAL(err, "");

	CU_ASSERT_EQUAL(sd_x509_verify_chain(&d.c, 1, pem, NULL, T0 + 2 * DAY, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(err, "certificate has expired (depth 0)");
	CU_ASSERT_EQUAL(sd_x509_verify_chain(&d.c, 1, pem, NULL, T0 - 2 * DAY, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(err, "certificate is not yet valid (depth 0)");

	/* not checked: no store, empty store names, missing file */
	CU_ASSERT_EQUAL(sd_x509_verify_chain(&d.c, 1, NULL, NULL, T0, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "no trust store given");
	CU_ASSERT_EQUAL(sd_x509_verify_chain(&d.c, 1, "", "", T0, err, sizeof err), -1);
	CU_ASSERT_EQUAL(sd_x509_verify_chain(&d.c, 1, "/nonexistent/ca.pem", NULL, T0, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/ca.pem"));
	CU_ASSERT_EQUAL(sd_x509_verify_chain(&d.c, 0, pem, NULL, T0, err, sizeof err), -1);

	/* a store holding some other root */
	EVP_PKEY *k2 = ec_key();
	struct spec os = { .cn = "Fabrikam Root CA", .ca = 1 };
	X509 *other = make_cert(&os, k2, NULL, NULL);
	char other_pem[64];
	write_pem(other, other_pem);
	CU_ASSERT_EQUAL(sd_x509_verify_chain(&d.c, 1, other_pem, NULL, T0, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(err, "unable to get local issuer certificate (depth 0)");
	drop(&d);

	/* root -> intermediate -> leaf: the intermediate comes from chain[1] */
	EVP_PKEY *ik = ec_key();
	struct spec is = { .cn = "Contoso Issuing CA", .ca = 1 };
	X509 *inter = make_cert(&is, ik, ca, ca_key);
	struct spec ls = { .cn = "pool01.contoso.com" };
	X509 *lx = make_cert(&ls, leaf_key, inter, ik);
	struct dcert chain[2];
	decode(lx, &chain[0]);
	decode(inter, &chain[1]);
	struct sd_cert certs[2] = { chain[0].c, chain[1].c }; /* contiguous, as the TLS layer hands them */
	CU_ASSERT_EQUAL(sd_x509_verify_chain(certs, 2, pem, NULL, T0, err, sizeof err), 1);
	CU_ASSERT_EQUAL(sd_x509_verify_chain(certs, 1, pem, NULL, T0, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(err, "unable to get local issuer certificate (depth 0)");
	/* a self-signed leaf sent alone */
	struct dcert self;
	decode(other, &self);
	CU_ASSERT_EQUAL(sd_x509_verify_chain(&self.c, 1, pem, NULL, T0, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(err, "self-signed certificate (depth 0)");
	drop(&self);
	drop(&chain[0]);
	drop(&chain[1]);
	X509_free(lx);
	X509_free(inter);
	X509_free(other);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(k2);
	unlink(other_pem);
	unlink(pem);
}

static void test_weak_signature_and_key(void)
{
	setup();
	/* RSA 1024 signed with MD5 (self-signed: the key signs itself) */
	EVP_PKEY *rsa1k = EVP_RSA_gen(1024);
	CU_ASSERT_FATAL(rsa1k != NULL);
	struct spec s = { .cn = "old.contoso.com", .md = EVP_md5() };
	X509 *x = make_cert(&s, rsa1k, NULL, NULL);
	struct dcert d;
	decode(x, &d);
	CU_ASSERT_STRING_EQUAL(d.c.sig_alg, "md5WithRSAEncryption");
	CU_ASSERT_STRING_EQUAL(d.c.key_type, "RSA");
	CU_ASSERT_EQUAL(d.c.key_bits, 1024);
	CU_ASSERT_EQUAL(sd_x509_weak_signature(&d.c), 1);
	CU_ASSERT_EQUAL(sd_x509_weak_key(&d.c), 1);
	drop(&d);
	X509_free(x);

	/* SHA-1 with ECDSA: weak signature, the EC key is fine */
	struct spec s1 = { .cn = "sha1.contoso.com", .md = EVP_sha1() };
	d = leaf(&s1);
	CU_ASSERT_STRING_EQUAL(d.c.sig_alg, "ecdsa-with-SHA1");
	CU_ASSERT_EQUAL(sd_x509_weak_signature(&d.c), 1);
	CU_ASSERT_EQUAL(sd_x509_weak_key(&d.c), 0);
	drop(&d);

	/* RSA 2048 / SHA-256: neither */
	EVP_PKEY *rsa2k = EVP_RSA_gen(2048);
	CU_ASSERT_FATAL(rsa2k != NULL);
	struct spec s2 = { .cn = "new.contoso.com" };
	x = make_cert(&s2, rsa2k, NULL, NULL);
	decode(x, &d);
	CU_ASSERT_STRING_EQUAL(d.c.sig_alg, "sha256WithRSAEncryption");
	CU_ASSERT_EQUAL(d.c.key_bits, 2048);
	CU_ASSERT_EQUAL(sd_x509_weak_signature(&d.c), 0);
	CU_ASSERT_EQUAL(sd_x509_weak_key(&d.c), 0);
	drop(&d);
	X509_free(x);
	EVP_PKEY_free(rsa1k);
	EVP_PKEY_free(rsa2k);
}

static void test_ip_san(void)
{
	struct spec s = { .cn = "192.0.2.7", .sans = "IP:192.0.2.7,IP:2001:DB8:0:0:0:0:0:0001" };
	struct dcert d = leaf(&s);
	CU_ASSERT_EQUAL(d.c.nsan_dns, 0);
	CU_ASSERT_EQUAL_FATAL(d.c.nsan_ip, 2);
	CU_ASSERT_STRING_EQUAL(d.c.san_ip[0], "192.0.2.7");
	CU_ASSERT_STRING_EQUAL(d.c.san_ip[1], "2001:db8::1");
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "192.0.2.7", SD_NAME_SAN_ONLY), SD_MATCH_EXACT);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "2001:db8::1", SD_NAME_RFC2818), SD_MATCH_EXACT);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "192.0.2.8", SD_NAME_CN_OR_SAN), SD_MATCH_NONE);
	drop(&d);
}

/* Adds a subjectAltName built by hand: dNSName bytes with an embedded NUL
 * and an iPAddress of an impossible length, which the config syntax cannot
 * express. */
static X509 *cert_with_raw_san(const unsigned char *dns, int dnslen, const unsigned char *ip, int iplen)
{
	setup();
	struct spec s = { .cn = "pool01.contoso.com" };
	X509 *x = make_cert(&s, leaf_key, ca, ca_key);
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	ASN1_STRING_set(ia5, dns, dnslen);
	GENERAL_NAME_set0_value(g, GEN_DNS, ia5);
	sk_GENERAL_NAME_push(gens, g);
	g = GENERAL_NAME_new();
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(os, ip, iplen);
	GENERAL_NAME_set0_value(g, GEN_IPADD, os);
	sk_GENERAL_NAME_push(gens, g);
	CU_ASSERT_FATAL(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1);
	GENERAL_NAMES_free(gens);
	X509_sign(x, ca_key, EVP_sha256());
	return x;
}

static void test_nul_in_san(void)
{
	static const unsigned char name[] = "pool01.contoso.com\0.evil.example";
	static const unsigned char ip5[] = { 1, 2, 3, 4, 5 };
	X509 *x = cert_with_raw_san(name, (int)sizeof name - 1, ip5, 5);
	struct dcert d;
	decode(x, &d);
	CU_ASSERT_EQUAL_FATAL(d.c.nsan_dns, 1);
	CU_ASSERT_STRING_EQUAL(d.c.san_dns[0], "pool01.contoso.com\\x00.evil.example");
	CU_ASSERT_EQUAL_FATAL(d.c.nsan_ip, 1);
	CU_ASSERT_STRING_EQUAL(d.c.san_ip[0], "invalid:0102030405");
	/* neither the prefix nor the suffix may match through the NUL */
	for (int m = SD_NAME_CN_OR_SAN; m <= SD_NAME_SAN_ONLY; m++) {
		CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, ".evil.example", m), SD_MATCH_NONE);
		CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "evil.example", m), SD_MATCH_NONE);
	}
	/* the CN still names the host for the OC 2007 tolerance only */
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", SD_NAME_CN_OR_SAN), SD_MATCH_CN_ONLY);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", SD_NAME_RFC2818), SD_MATCH_NONE);
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "pool01.contoso.com", SD_NAME_SAN_ONLY), SD_MATCH_NONE);
	drop(&d);
	X509_free(x);

	/* a backslash is escaped too, so "\x00" in the text is unambiguous */
	static const unsigned char bs[] = "a\\x00.contoso.com";
	x = cert_with_raw_san(bs, (int)sizeof bs - 1, ip5, 4);
	decode(x, &d);
	CU_ASSERT_STRING_EQUAL(d.c.san_dns[0], "a\\x5cx00.contoso.com");
	CU_ASSERT_STRING_EQUAL(d.c.san_ip[0], "1.2.3.4");
	drop(&d);
	X509_free(x);
}

/* The NUL-in-SAN certificate of the public Suricata capture, found by
 * decoding at every DER SEQUENCE header in the file. */
static void test_nul_in_san_capture(void)
{
	const char *path = sd_pubpath("suricata-verify/tls-altname-zero.pcap");
	size_t len = 0;
	uint8_t *buf = sd_slurp(path, &len);
	if (!buf) {
		fprintf(stderr, "skipped: %s absent\n", path);
		return;
	}
	int found = 0;
	for (size_t i = 0; i + 4 < len; i++) {
		if (buf[i] != 0x30 || buf[i + 1] != 0x82)
			continue;
		size_t n = ((size_t)buf[i + 2] << 8 | buf[i + 3]) + 4;
		struct sd_cert c;
		char err[256];
		if (n > len - i || sd_x509_decode(buf + i, n, &c, err, sizeof err))
			continue;
		for (size_t k = 0; k < c.nsan_dns; k++)
			if (strstr(c.san_dns[k], "\\x00")) {
				found++;
				CU_ASSERT_EQUAL(strlen(c.san_dns[k]) > 4, 1);
				for (int m = SD_NAME_CN_OR_SAN; m <= SD_NAME_SAN_ONLY; m++) {
					char prefix[256];
					snprintf(prefix, sizeof prefix, "%s", c.san_dns[k]);
					*strstr(prefix, "\\x00") = '\0';
					if (prefix[0])
						CU_ASSERT_NOT_EQUAL(sd_x509_match_host(&c, prefix, m), SD_MATCH_EXACT);
				}
			}
		sd_x509_free(&c);
	}
	CU_ASSERT(found >= 1);
	free(buf);
}

static void test_many_sans(void)
{
	char *sans = malloc(300 * 24);
	CU_ASSERT_FATAL(sans != NULL);
	size_t o = 0;
	for (int i = 0; i < 260; i++)
		o += (size_t)sprintf(sans + o, "%sDNS:h%d.contoso.com", i ? "," : "", i);
	sprintf(sans + o, ",IP:192.0.2.1");
	struct spec s = { .cn = "pool01.contoso.com", .sans = sans };
	struct dcert d = leaf(&s);
	CU_ASSERT_EQUAL(d.c.nsan_dns, SD_X509_MAX_SAN);
	CU_ASSERT_EQUAL(d.c.nsan_ip, 1);
	CU_ASSERT_EQUAL(d.c.nsan_dropped, 4);
	CU_ASSERT_STRING_EQUAL(d.c.san_dns[255], "h255.contoso.com");
	/* matching is OpenSSL's, over every SAN, dropped ones included */
	CU_ASSERT_EQUAL(sd_x509_match_host(&d.c, "h259.contoso.com", SD_NAME_SAN_ONLY), SD_MATCH_EXACT);
	drop(&d);
	free(sans);
}

static void test_garbage(void)
{
	struct sd_cert c;
	char err[256];
	uint8_t junk[64];
	size_t n = sd_hex("30 82 01 00 02 01 05 de ad be ef", junk, sizeof junk);
	err[0] = '\0';
	CU_ASSERT_EQUAL(sd_x509_decode(junk, n, &c, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not decodable"));
	CU_ASSERT_PTR_NULL(c.x509);
	sd_x509_free(&c); /* safe on a failed decode */
	CU_ASSERT_EQUAL(sd_x509_decode(junk, 0, &c, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "empty or oversized certificate (0 bytes)");
	CU_ASSERT_EQUAL(sd_x509_decode(NULL, 10, &c, NULL, 0), -1);
	CU_ASSERT_EQUAL(sd_x509_match_host(&c, "x", SD_NAME_RFC2818), SD_MATCH_NONE);
	CU_ASSERT_EQUAL(sd_x509_weak_key(&c), 0);

	/* a real certificate cut at every length, and with a byte appended */
	setup();
	uint8_t *der = NULL;
	int len = i2d_X509(ca, &der);
	CU_ASSERT_FATAL(len > 0);
	int fails = 0;
	for (int i = 0; i < len; i++)
		fails += sd_x509_decode(der, (size_t)i, &c, err, sizeof err) == -1;
	CU_ASSERT_EQUAL(fails, len);
	uint8_t *longer = malloc((size_t)len + 1);
	memcpy(longer, der, (size_t)len);
	longer[len] = 0;
	CU_ASSERT_EQUAL(sd_x509_decode(longer, (size_t)len + 1, &c, err, sizeof err), -1);
	CU_ASSERT_STRING_EQUAL(err, "1 trailing bytes after the certificate DER");
	CU_ASSERT_EQUAL(sd_x509_decode(longer, (size_t)len, &c, err, sizeof err), 0);
	sd_x509_free(&c);
	free(longer);
	OPENSSL_free(der);
}

static const struct sd_test tests[] = {
	SD_TEST(test_decode_fields),
	SD_TEST(test_match_san_exact),
	SD_TEST(test_match_wildcard_only),
	SD_TEST(test_match_cn_only_no_san),
	SD_TEST(test_match_cn_not_in_san),
	SD_TEST(test_eku),
	SD_TEST(test_verify_chain),
	SD_TEST(test_weak_signature_and_key),
	SD_TEST(test_ip_san),
	SD_TEST(test_nul_in_san),
	SD_TEST(test_nul_in_san_capture),
	SD_TEST(test_many_sans),
	SD_TEST(test_garbage),
	{ 0 },
};

int main(void)
{
	int rc = sd_run_tests("x509", tests);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	return rc;
}
