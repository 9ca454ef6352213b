/*
 * x509.h - certificate facts through OpenSSL: decode, name checks, chain
 * verification. OpenSSL does the ASN.1; this file only extracts and
 * formats what sipdisc reports.
 */
#ifndef SD_X509_H
#define SD_X509_H

#include <stddef.h>
#include <stdint.h>

#define SD_X509_MAX_SAN 256

struct sd_cert {
	char subject[512];   /* RFC 2253 one-line form */
	char issuer[512];
	char cn[256];        /* subject CN ("" if none) */
	char serial[80];     /* hex */
	int64_t not_before;  /* Unix seconds */
	int64_t not_after;
	size_t nsan_dns, nsan_ip, nsan_dropped;
	char *san_dns[SD_X509_MAX_SAN]; /* dNSName entries in certificate order */
	char *san_ip[SD_X509_MAX_SAN];  /* iPAddress entries as text */
	int has_san;         /* subjectAltName extension present */
	int has_eku;         /* extendedKeyUsage present */
	int eku_server_auth; /* id-kp-serverAuth listed (or anyExtendedKeyUsage) */
	int eku_client_auth;
	char eku[128];       /* short names joined with "," */
	char key_type[16];   /* "RSA", "EC", "Ed25519", ... */
	int key_bits;
	char sig_alg[64];    /* "sha256WithRSAEncryption" */
	int self_issued;     /* subject == issuer */
	uint8_t sha256[32];
	char sha256_hex[65];
	const uint8_t *der;  /* points into the caller's buffer (not copied) */
	size_t der_len;
	void *x509;          /* X509 *, owned */
	void *san_shared;    /* refcounted block holding the SAN strings (x509.c); NULL: each malloc'd */
	int weak_sig;        /* 0 not yet known, 1 no, 2 MD5/SHA-1 (decode sets it) */
};

/* 0 on success; -1 when OpenSSL cannot parse the DER (reason in err). */
int sd_x509_decode(const uint8_t *der, size_t len, struct sd_cert *out, char *err, size_t errlen);
void sd_x509_free(struct sd_cert *c);

/* How to match the expected host name (spec section 3). */
enum sd_name_mode {
	SD_NAME_CN_OR_SAN, /* OC 2007: CN accepted even when SANs exist (IOCS3) */
	SD_NAME_RFC2818,   /* SAN dNSName; CN only when no dNSName exists */
	SD_NAME_SAN_ONLY,  /* Lync 2013+/SfB: SAN only */
};
enum sd_name_match {
	SD_MATCH_NONE = 0,
	SD_MATCH_EXACT = 1,     /* matched a name without a wildcard */
	SD_MATCH_WILDCARD = 2,  /* matched only through a wildcard */
	SD_MATCH_CN_ONLY = 3,   /* matched the CN, not any SAN (mode allows it) */
};
/* Uses X509_check_host with the flags of the mode. */
enum sd_name_match sd_x509_match_host(const struct sd_cert *c, const char *host, enum sd_name_mode mode);

/* Verifies chain[0] against chain[1..] and the trust store at time t.
 * Returns 1 trusted, 0 not trusted (reason in err), -1 not checked (no store). */
int sd_x509_verify_chain(const struct sd_cert *chain, size_t n, const char *ca_file,
			 const char *ca_path, int64_t t, char *err, size_t errlen);

/* Is the signature weak (MD5/SHA-1) or the key small (RSA < 2048)? */
int sd_x509_weak_signature(const struct sd_cert *c);
int sd_x509_weak_key(const struct sd_cert *c);

#endif
