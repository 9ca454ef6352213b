# shellcheck shell=bash
# scenarios.sh - the scenario definitions, sourced by captures/make-captures.
#
# Each sc_* function sets up DNS (dns ...; dns_up), the servers (tls ...),
# starts the capture (cap_up FILE MODE), runs the emulator with the verdict
# the scenario expects (client 0|1 ...) and describes itself for INDEX.md
# (meta FILE PROFILE ARGS PROVES MADE EXPECTED). IDs follow spec section 6
# (T01-T32); lab-* is the story in spec/000_e02314df20f87d0a.txt; X* are
# the extra coverage cases (formats, transports, certificates, crowds).
#
# Addresses: DNS 10.77.0.53; pools 10.77.0.10-39 (sdcap-srv1);
# out-of-domain / online / reverse proxy 10.77.0.40-49 (sdcap-srv2);
# clients 10.77.0.101-110; noise 10.77.0.120.

D=schertz.local
POOL=10.77.0.10
MADE_REAL="real: dnsmasq, openssl s_server, sipclient"

# shorthands for dnsmasq records
srv() { dns "--srv-host=$1.$D,$2,$3,${4:-0},${5:-0}"; }
host() { dns "--host-record=$1,$2"; }
alias_() { dns "--cname=$1,$2"; }

# every certificate the scenarios use, made once per run
make_certs() {
	cert pool pool.$D pool.$D
	cert poolsip pool.$D pool.$D,sip.$D
	cert poolsipint pool.$D pool.$D,sip.$D,sipinternal.$D
	cert alias pool.$D alias.$D,pool.$D
	cert fabrikam pool01.fabrikam.com pool01.fabrikam.com
	cert corp pool.corp.$D pool.corp.$D
	cert expired pool.$D pool.$D start=20200101000000Z end=20210101000000Z
	cert untrusted pool.$D pool.$D issuer=rogue
	cert clientauth pool.$D pool.$D eku=clientAuth
	cert cnonly pool.$D -
	cert cnnotsan pool.$D other.$D
	cert wild pool.$D "*.$D"
	cert adint lyncdiscoverinternal.$D lyncdiscoverinternal.$D
	cert adext lyncdiscover.$D lyncdiscover.$D
	cert contosodir dir.contoso.test dir.contoso.test
	cert sipint sipinternal.$D sipinternal.$D
	cert online sipdir.online.lync.com sipdir.online.lync.com
	cert pool2 pool2.$D pool2.$D
	cert wrongname wrong.$D wrong.$D
	cert selfsigned pool.$D pool.$D issuer=self
	cert sha1 pool.$D pool.$D md=sha1
	cert md5 pool.$D pool.$D md=md5
	cert bigchain pool.$D pool.$D issuer=inter3
	cert contoso pool.contoso.test pool.contoso.test
	cert noise www.noise.test www.noise.test
	cat "$W/pki/inter3.pem" "$W/pki/inter2.pem" "$W/pki/inter1.pem" >"$W/pki/chain3.pem"
}

# ------------------------------------------------------------ lab story

lab1_setup() { dns_up; }
lab2_setup() {
	alias_ sipinternal.$D pool.$D
	host pool.$D $POOL
	dns_up
	tls $POOL 5061 poolsip
}
lab3_setup() {
	host sip.$D $POOL
	host pool.$D $POOL
	dns_up
	tls $POOL 5061 poolsip
}

sc_lab1() {
	lab1_setup
	cap_up lab-1-no-records.pcap
	client 1 --profile oc2007 --domain $D
	meta lab-1-no-records.pcap oc2007 - \
		"Lab story attempt 1: no SRV and no fallback name; every lookup fails" "$MADE_REAL" \
		"NO_SERVER:error. SRV _sipinternaltls/_sipinternal/_sip._tls/_sip._tcp NXDOMAIN (event 1), A sipinternal, sip, sipexternal NXDOMAIN (event 3 x3); dialog 'Cannot sign in because the server is temporarily unavailable'. No TCP at all."
}
sc_lab2() {
	lab2_setup
	cap_up lab-2-sipinternal-cname.pcap
	client 1 --profile oc2007 --domain $D
	meta lab-2-sipinternal-cname.pcap oc2007 - \
		"Lab story attempt 2: sipinternal CNAME -> pool, cert SAN {pool, sip}; client stops at the first resolving name" "$MADE_REAL" \
		"CERT-SAN:error (expected sipinternal.$D, SAN has pool.$D, sip.$D); info FALLBACK_STOPPED: no query for sip.$D; event 1 then event 4; dialog 'There was a problem verifying the certificate from the server'."
}
sc_lab3() {
	lab3_setup
	cap_up lab-3-sip-a-record.pcap
	client 0 --profile oc2007 --domain $D
	meta lab-3-sip-a-record.pcap oc2007 - \
		"Lab story attempt 3: sipinternal removed, sip A record, cert SAN has sip.$D" "$MADE_REAL" \
		"PASS (signed in via F2 sip.$D:5061 after SRV x4 and sipinternal NXDOMAIN; event 1, event 3 for sipinternal are expected and informational)."
}
sc_laball() {
	cap_up lab-all.pcapng ng
	lab1_setup
	client 1 --profile oc2007 --domain $D
	stop_pids
	sleep 2
	lab2_setup
	client 1 --profile oc2007 --domain $D
	stop_pids
	sleep 2
	lab3_setup
	client 0 --profile oc2007 --domain $D
	meta lab-all.pcapng oc2007 - \
		"The README example: the three lab attempts by one client (10.77.0.101) in sequence, ~2 s apart" \
		"real: dnsmasq restarted between attempts, dumpcap pcapng" \
		"Three attempts: 1 NO_SERVER:error; 2 CERT-SAN:error on sipinternal.$D + FALLBACK_STOPPED; 3 PASS via sip.$D. Same findings as lab-1/2/3."
}

# ------------------------------------------------------------ spec section 6

sc_T01() {
	srv _sipinternaltls._tcp pool.$D 5061
	host pool.$D $POOL
	dns_up
	tls $POOL 5061 pool
	cap_up T01-srv-pool-ok.pcap
	client 0 --profile oc2007 --domain $D
	meta T01-srv-pool-ok.pcap oc2007 "--profile oc2007" \
		"Happy path: S1 -> pool.$D:5061, cert SAN+CN pool.$D, EKU serverAuth" "$MADE_REAL" \
		"PASS; TLS to pool, REGISTER (encrypted). Other SRV names queried in the same group (NXDOMAIN) are fine."
}
sc_T02() {
	dns_up
	cap_up T02-no-records-ns.pcap ns
	client 1 --profile oc2007 --domain $D
	meta T02-no-records-ns.pcap oc2007 "--profile oc2007" \
		"No SRV, F1-F3 NXDOMAIN (as lab-1), nanosecond pcap" "real: as lab-1, tcpdump --time-stamp-precision=nano" \
		"NO_SERVER:error; events 1,3,3,3; dialog 'temporarily unavailable'."
}
sc_T03() {
	lab2_setup
	cap_up T03-cname-san-mismatch-sll2.pcap sll2
	client 1 --profile oc2007 --domain $D
	meta T03-cname-san-mismatch-sll2.pcap oc2007 "--profile oc2007" \
		"sipinternal CNAME -> pool, cert SAN {pool, sip}; Linux SLL2 (tcpdump -i any)" "real: as lab-2, tcpdump -i any -y LINUX_SLL2" \
		"CERT-SAN:error (expected sipinternal.$D); info FALLBACK_STOPPED (no sip.$D query); event 4. Frames appear once (only eth0 carries traffic)."
}
sc_T04() {
	alias_ sipinternal.$D pool.$D
	host pool.$D $POOL
	dns_up
	tls $POOL 5061 poolsipint
	cap_up T04-cname-san-ok.pcapng ng
	client 0 --profile oc2007 --domain $D
	meta T04-cname-san-ok.pcapng oc2007 "--profile oc2007" \
		"As T03 but SAN includes sipinternal.$D (pcapng by dumpcap)" "real: dumpcap pcapng" \
		"PASS (CNAME fallback allowed; SAN has the queried name)."
}
sc_T05() {
	srv _sipinternaltls._tcp alias.$D 5061
	alias_ alias.$D pool.$D
	host pool.$D $POOL
	dns_up
	tls $POOL 5061 alias
	cap_up T05-srv-target-cname.pcap.gz
	client 0 --profile oc2007 --domain $D
	meta T05-srv-target-cname.pcap.gz oc2007 "--profile oc2007" \
		"S1 target alias.$D is a CNAME to pool.$D (gzip pcap)" "real; gzip -9n" \
		"SRV-ALIAS:error although sign-in works (client signed in, cert SAN has alias.$D)."
}
sc_T06() {
	srv _sipinternaltls._tcp pool01.fabrikam.com 5061
	host pool01.fabrikam.com 10.77.0.40
	dns_up
	tls 10.77.0.40 5061 fabrikam
	cap_up T06-srv-out-of-domain-oc2007.pcapng.gz ng
	client 1 --profile oc2007 --domain $D
	meta T06-srv-out-of-domain-oc2007.pcapng.gz oc2007 "--profile oc2007" \
		"S1 -> pool01.fabrikam.com for user@$D; OC 2007 does not use the record (gzip pcapng)" "real; dumpcap, gzip -9n" \
		"SRV-STRICT:error; the record is not used: no A query for pool01.fabrikam.com, no TCP; the emulator then stops (continuation observed: none)."
}
sc_T07() {
	srv _sipinternaltls._tcp pool01.fabrikam.com 5061
	host pool01.fabrikam.com 10.77.0.40
	dns_up
	tls 10.77.0.40 5061 fabrikam
	cap_up T07-srv-out-of-domain-lync2010.pcap
	client 0 --profile lync2010 --domain $D
	meta T07-srv-out-of-domain-lync2010.pcap lync2010 "--profile lync2010" \
		"As T06 with Lync 2010: trust dialog, the user connects anyway" "$MADE_REAL" \
		"SRV-STRICT:warn + symptom trust dialog 'Lync cannot verify that the server is trusted...'; signed in to pool01.fabrikam.com (cert matches)."
}
t08_setup() {
	srv _sipinternaltls._tcp pool.corp.$D 5061
	host pool.corp.$D $POOL
	dns_up
	tls $POOL 5061 corp
}
sc_T08() {
	t08_setup
	cap_up T08-srv-subdomain-target.pcap
	client 0 --profile oc2007 --domain $D
	meta T08-srv-subdomain-target.pcap oc2007 "--profile oc2007 --strict domain" \
		"S1 -> pool.corp.$D, strict=domain" "$MADE_REAL" "PASS (target ends in .$D)."
}
sc_T08n() {
	t08_setup
	cap_up T08n-srv-subdomain-target-narrow.pcap
	client 0 --profile oc2007 --domain $D
	meta T08n-srv-subdomain-target-narrow.pcap oc2007 "--profile oc2007 --strict narrow" \
		"Same traffic as T08, strict=narrow" "$MADE_REAL" \
		"SRV-STRICT:warn (target not in {$D, sip.$D} and SAN lacks sip.$D); signed in."
}
sc_T09() {
	srv _sipinternaltls._tcp ghost.$D 5061
	host sip.$D $POOL
	dns_up
	tls $POOL 5061 poolsip
	cap_up T09-srv-target-nxdomain-oc2007.pcap
	client 1 --profile oc2007 --domain $D
	meta T09-srv-target-nxdomain-oc2007.pcap oc2007 "--profile oc2007" \
		"S1 -> ghost.$D whose A is NXDOMAIN; OC 2007 stops" "$MADE_REAL" \
		"SRV-NOTARGET:error; no F1-F3 queries (the emulator follows the [inf] reading), not signed in although sip.$D would work."
}
sc_T09b() {
	srv _sipinternaltls._tcp ghost.$D 5061
	host sip.$D $POOL
	dns_up
	tls $POOL 5061 poolsip
	cap_up T09b-srv-target-nxdomain-lync2013.pcap
	client 0 --profile lync2013 --domain $D
	meta T09b-srv-target-nxdomain-lync2013.pcap lync2013 "--profile lync2013" \
		"As T09 with Lync 2013: goes on to F1-F3" "$MADE_REAL" \
		"SRV-NOTARGET:error; AD1/AD2 NXDOMAIN, S1 -> ghost NXDOMAIN, F1 NXDOMAIN, F2 sip.$D signed in (overall signed in)."
}
t10_setup() {
	srv _sipinternaltls._tcp pool.$D 5061
	# three A records, two of them dead (no listener: RST). dnsmasq
	# answers .11, .13, .12 (its own order, stable); the emulator tries
	# in answer order, and the generator's verdict check would catch a
	# different order (T11 would then sign in)
	host pool.$D 10.77.0.11
	host pool.$D 10.77.0.12
	host pool.$D 10.77.0.13
	dns_up
	tls 10.77.0.13 5061 pool
}
sc_T10() {
	t10_setup
	cap_up T10-ip-failover-sfb.pcap
	client 0 --profile sfb --domain $D
	meta T10-ip-failover-sfb.pcap sfb "--profile sfb" \
		"Pool with 3 A records, answered .11, .13, .12; .11 and .12 refuse TCP (RST); SfB fails over from .11 to .13" "$MADE_REAL" \
		"PASS, info IP_FAILOVER (SYN->RST to .11, then TLS to .13). AD1/AD2 NXDOMAIN first."
}
sc_T11() {
	t10_setup
	cap_up T11-no-ip-failover-oc2007.pcap
	client 1 --profile oc2007 --domain $D
	meta T11-no-ip-failover-oc2007.pcap oc2007 "--profile oc2007" \
		"As T10 with OC 2007: first address refuses, no retry" "$MADE_REAL" \
		"NO_SERVER:error + info 'client cannot fail over (SFBDNS)'; one SYN->RST to 10.77.0.11, nothing else."
}
srv_pool_with() {
	srv _sipinternaltls._tcp pool.$D 5061
	host pool.$D $POOL
	dns_up
	tls $POOL 5061 "$@"
}
sc_T12() {
	srv_pool_with expired
	cap_up T12-cert-expired.pcap
	client 1 --profile oc2007 --domain $D
	meta T12-cert-expired.pcap oc2007 "--profile oc2007" \
		"Certificate validity 2020-01-01..2021-01-01 (made with openssl ca -startdate/-enddate)" "$MADE_REAL" \
		"CERT-TIME:error; dialog 'problem verifying the certificate'; the client aborts the handshake with a fatal alert after the Certificate."
}
sc_T13() {
	srv_pool_with untrusted
	cap_up T13-cert-untrusted-root.pcap
	client 1 --profile oc2007 --domain $D
	meta T13-cert-untrusted-root.pcap oc2007 "--profile oc2007 --ca-file certs/test-root-ca.pem" \
		"Leaf signed by 'Rogue Root CA', not in the trust store given" "$MADE_REAL" \
		"CERT-CHAIN:error with the trust store (captures/certs/test-root-ca.pem); without it only info."
}
sc_T14() {
	srv_pool_with clientauth
	cap_up T14-cert-eku-clientauth.pcap
	client 1 --profile oc2007 --domain $D
	meta T14-cert-eku-clientauth.pcap oc2007 "--profile oc2007" \
		"EKU = clientAuth only" "$MADE_REAL" "CERT-EKU:error; not signed in."
}
sc_T15() {
	srv_pool_with cnonly
	cap_up T15-cert-cn-only-oc2007.pcap
	client 0 --profile oc2007 --domain $D
	meta T15-cert-cn-only-oc2007.pcap oc2007 "--profile oc2007" \
		"No SAN extension, CN = pool.$D" "$MADE_REAL" "PASS (OC 2007 accepts the CN)."
}
sc_T15s() {
	srv_pool_with cnonly
	cap_up T15s-cert-cn-only-sfb.pcap
	client 0 --profile sfb --domain $D
	meta T15s-cert-cn-only-sfb.pcap sfb "--profile sfb" \
		"No SAN extension, CN = pool.$D, SfB" "$MADE_REAL" "CERT-SAN:warn (SAN documented); signed in."
}
sc_T16() {
	srv_pool_with cnnotsan
	cap_up T16-cert-san-lacks-host-oc2007.pcap
	client 0 --profile oc2007 --domain $D
	meta T16-cert-san-lacks-host-oc2007.pcap oc2007 "--profile oc2007" \
		"SAN {other.$D} lacks the host, CN = pool.$D; OC 2007 connects (IOCS3)" "$MADE_REAL" \
		"PASS [conflict CERT-CN vs CERT-SAN]; signed in."
}
sc_T16s() {
	srv_pool_with cnnotsan
	cap_up T16s-cert-san-lacks-host-sfb.pcap
	client 1 --profile sfb --domain $D
	meta T16s-cert-san-lacks-host-sfb.pcap sfb "--profile sfb" \
		"As T16 with SfB: aborts, then tries F1-F3 (all NXDOMAIN)" "$MADE_REAL" \
		"CERT-SAN:error on pool.$D; then sipinternal/sip/sipexternal NXDOMAIN; not signed in."
}
sc_T17() {
	srv_pool_with wild
	cap_up T17-cert-wildcard-sfb.pcap
	client 0 --profile sfb --domain $D
	meta T17-cert-wildcard-sfb.pcap sfb "--profile sfb" \
		"Pool SIP certificate SAN only *.$D" "$MADE_REAL" "CERT-WILD:warn (unsupported configuration); signed in."
}
sc_T19() {
	host lyncdiscoverinternal.$D 10.77.0.14
	host pool.$D $POOL
	dns_up
	tls 10.77.0.14 443 adint
	tls $POOL 5061 pool
	cap_up T19-autodiscover-internal.pcapng ngmulti
	client 0 --profile lync2013 --domain $D --ad-pool pool.$D:5061
	meta T19-autodiscover-internal.pcapng lync2013 "--profile lync2013" \
		"AD1 resolves, HTTPS 443 completes, then A pool.$D + TLS 5061 (pcapng with two interfaces, eth0 + lo)" \
		"real; dumpcap -i eth0 -i lo" \
		"PASS; no SRV queries. Autodiscover cert SAN lyncdiscoverinternal.$D."
}
sc_T20() {
	host lyncdiscoverinternal.$D 10.77.0.15
	host sip.$D $POOL
	dns_up
	tls $POOL 5061 poolsip
	cap_up T20-autodiscover-refused.pcap
	client 0 --profile lync2013 --domain $D
	meta T20-autodiscover-refused.pcap lync2013 "--profile lync2013" \
		"AD1 resolves but TCP 443 is refused (RST); AD2 NXDOMAIN; then SRV, F1, F2" "$MADE_REAL" \
		"AD_UNREACHABLE:warn; then S1, S2, S3 NXDOMAIN, F1 NXDOMAIN, F2 sip.$D signed in (order as profile)."
}
sc_T21() {
	host lyncdiscover.$D 10.77.0.41
	host pool.$D $POOL
	dns_up
	tls 10.77.0.41 443 adext
	tls $POOL 5061 pool
	cap_up T21-autodiscover-external-only.pcap
	client 0 --profile lync2013 --domain $D --ad-pool pool.$D:5061
	meta T21-autodiscover-external-only.pcap lync2013 "--profile lync2013" \
		"AD1 missing internally, AD2 resolves to the reverse proxy (10.77.0.41)" "$MADE_REAL" \
		"AD_INTERNAL_MISSING:warn; signed in via pool.$D."
}
sc_T22() {
	dns_up
	cap_up T22-store-app-no-autodiscover.pcap
	client 1 --profile store-app --domain $D
	meta T22-store-app-no-autodiscover.pcap store-app "--profile store-app" \
		"Store app: AD1, AD2 NXDOMAIN; stops without SRV/A fallback" "$MADE_REAL" \
		"NO_AUTODISCOVER:error; only two DNS names queried."
}
sc_T23() {
	alias_ lyncdiscover.$D dir.contoso.test
	host dir.contoso.test 10.77.0.42
	dns_up
	tls 10.77.0.42 443 contosodir
	cap_up T23-store-app-ad-xdomain-cname.pcap
	client 1 --profile store-app --domain $D
	meta T23-store-app-ad-xdomain-cname.pcap store-app "--profile store-app" \
		"lyncdiscover.$D CNAME dir.contoso.test, HTTPS cert only dir.contoso.test" "$MADE_REAL" \
		"CERT-AD:error + AD_XDOMAIN_CNAME:warn; not signed in."
}
sc_T24() {
	host sipinternal.$D $POOL
	dns_up
	tls $POOL 5061 poolsipint
	cap_up T24-fallback-misordered.pcap
	client 0 --profile oc2007 --domain $D --misorder
	meta T24-fallback-misordered.pcap oc2007 "--profile oc2007" \
		"Client queries sip.$D (NXDOMAIN) before sipinternal.$D (resolves)" "real; sipclient --misorder" \
		"ORDER_MISMATCH:warn (suggest variant oc2007r2-beta); signed in via sipinternal.$D."
}
sc_T25() {
	host sip.$D $POOL
	dns_up
	tls $POOL 5061 poolsip
	cap_up T25-suffix-retry.pcap
	client 0 --profile oc2007 --domain $D --suffix corp.local
	meta T25-suffix-retry.pcap oc2007 "--profile oc2007" \
		"Every NXDOMAIN retried with .corp.local appended (Windows suffix search)" "real; sipclient --suffix corp.local" \
		"PASS; each NAME.corp.local query is the same step as NAME; signed in via sip.$D."
}
sc_T26() {
	srv _sip._tls sipdir.online.lync.com 443 100 1
	host sipdir.online.lync.com 10.77.0.43
	dns_up
	tls 10.77.0.43 443 online
	cap_up T26-online-sip-tls.pcap
	client 0 --profile sfb --domain $D
	meta T26-online-sip-tls.pcap sfb-online "--profile sfb-online" \
		"_sip._tls.$D -> sipdir.online.lync.com:443 (made-up address inside the lab), cert SAN has it" "$MADE_REAL" \
		"PASS (trusted lync.com); with --profile lync2010 a trust-dialog symptom."
}
sc_T27() {
	dns_up
	cap_up T27-online-nothing.pcap
	client 1 --profile sfb --domain $D
	meta T27-online-nothing.pcap sfb-online "--profile sfb-online" \
		"No lyncdiscover, no _sip._tls, no sip.$D" "$MADE_REAL" \
		"NO_SERVER:error; symptom 'Server is temporarily unavailable'."
}
sc_T28() {
	srv _sipinternal._tcp pool.$D 5060
	host pool.$D $POOL
	dns_up
	sipreg $POOL 5060
	cap_up T28-sip-plain-tcp.pcap
	client 0 --profile oc2007 --domain $D
	meta T28-sip-plain-tcp.pcap oc2007 "--profile oc2007" \
		"Only _sipinternal._tcp -> pool:5060; plain TCP REGISTER, 200 OK" "real: dnsmasq, python registrar, sipclient" \
		"TRANSPORT_TCP:warn (unencrypted; TLS SRV absent); signed in."
}
sc_T29() {
	host sipinternal.$D $POOL
	dns_up
	tls $POOL 443 sipint
	cap_up T29-phone-5061-then-443.pcap
	client 0 --profile cpe2007r2 --domain $D
	meta T29-phone-5061-then-443.pcap cpe2007r2 "--profile cpe2007r2" \
		"Phone Edition: sipinternal.$D resolves; 5061 RST; 443 TLS ok" "$MADE_REAL" \
		"PASS; SRV order S1, S3, S2; SYN->RST on 5061 then TLS on 443."
}
sc_T30() {
	srv _sipinternaltls._tcp pool.$D 5061 0 0
	srv _sipinternaltls._tcp pool2.$D 5061 10 0
	host pool.$D $POOL
	host pool2.$D 10.77.0.16
	dns_up
	tls $POOL 5061 pool
	tls 10.77.0.16 5061 pool2
	cap_up T30-srv-priority-ignored.pcap
	client 0 --profile oc2007 --domain $D --srv-worst-first
	meta T30-srv-priority-ignored.pcap oc2007 "--profile oc2007" \
		"S1 has 2 RRs (prio 0 pool, prio 10 pool2); client contacts prio 10 first" "real; sipclient --srv-worst-first" \
		"SRV-PRIO:info; signed in to pool2.$D (10.77.0.16)."
}
sc_T31() {
	srv _sipinternaltls._tcp pool.$D 5061
	host pool.$D $POOL
	host sipinternal.$D 10.77.0.11
	dns_up
	tls $POOL 5061 wrongname
	tls 10.77.0.11 5061 sipint
	cap_up T31-srv-cert-fail-then-f1.pcap
	client 0 --profile lync2013 --domain $D
	meta T31-srv-cert-fail-then-f1.pcap lync2013 "--profile lync2013" \
		"S1 target presents cert for wrong.$D; Lync 2013 continues to F1 which works" "$MADE_REAL" \
		"CERT-SAN:error on pool.$D; overall signed in via sipinternal.$D (UCS14)."
}
sc_T32() {
	srv_pool_with pool -tls1_3
	cap_up T32-tls13.pcap
	client 0 --profile sfb --domain $D --tls-max 1.3
	meta T32-tls13.pcap sfb "--profile sfb" \
		"Server negotiates TLS 1.3: the certificate is encrypted" "real; s_server -tls1_3" \
		"CERT_NOT_VISIBLE:info; no certificate verdicts; signed in."
}

# ------------------------------------------------------------ extras

sc_X01() {
	alias_ sipinternal.$D pool.$D
	host pool.$D $POOL
	dns "--srv-host=_sipinternaltls._tcp.contoso.test,pool.contoso.test,5061,0,0"
	host pool.contoso.test 10.77.0.17
	dns_up
	tls $POOL 5061 poolsip
	tls 10.77.0.17 5061 contoso
	cap_up X01-two-clients.pcap
	client_bg 1 --profile oc2007 --domain $D --bind 10.77.0.101
	client_bg 0 --profile oc2007 --domain contoso.test --bind 10.77.0.102
	client_wait
	meta X01-two-clients.pcap oc2007 "--profile oc2007" \
		"Two clients at once: 10.77.0.101 user@$D (lab-2 config), 10.77.0.102 user@contoso.test (SRV ok)" \
		"real; two sipclient --bind in parallel" \
		"Two attempts: .101 CERT-SAN:error (sipinternal.$D) + FALLBACK_STOPPED; .102 PASS via pool.contoso.test. Steps must not mix."
}
sc_X02() {
	local i
	srv _sipinternaltls._tcp pool.$D 5061
	host pool.$D $POOL
	dns_up
	tls $POOL 5061 pool
	cap_up X02-ten-clients.pcapng ng
	for i in 101 102 103 104 105; do
		client_bg 0 --profile oc2007 --domain $D --bind 10.77.0.$i
	done
	for i in 106 107 108 109 110; do
		client_bg 1 --profile oc2007 --domain contoso.test --bind 10.77.0.$i
	done
	client_wait
	meta X02-ten-clients.pcapng oc2007 "--profile oc2007" \
		"Ten clients at once: .101-.105 user@$D (S1 ok), .106-.110 user@contoso.test (no records)" \
		"real; ten sipclient --bind in parallel, dumpcap" \
		"Ten attempts: five PASS (pool.$D), five NO_SERVER:error (contoso.test, all NXDOMAIN)."
}
sc_X03() {
	srv _sipinternaltls._tcp pool.$D 5061
	host pool.$D $POOL
	host www.noise.test 10.77.0.44
	host mail.noise.test 10.77.0.45
	dns_up
	tls $POOL 5061 pool
	tls 10.77.0.44 443 noise
	cap_up X03-background-noise.pcap bridge
	# unrelated lookups and an unrelated HTTPS session from another host,
	# through the normal system resolver (our dnsmasq via /etc/netns)
	ip netns exec sdcap-cli2 getent ahosts www.noise.test >/dev/null || true
	ip netns exec sdcap-cli2 getent hosts mail.noise.test >/dev/null || true
	ip netns exec sdcap-cli2 getent hosts nothing.noise.test >/dev/null || true
	client_bg 0 --profile oc2007 --domain $D
	ip netns exec sdcap-cli2 openssl s_client -connect www.noise.test:443 -servername www.noise.test \
		</dev/null >/dev/null 2>&1 || true
	client_wait
	meta X03-background-noise.pcap oc2007 "--profile oc2007" \
		"Sign-in (T01 set-up) amid unrelated DNS (noise.test A/AAAA) and an unrelated HTTPS session from 10.77.0.120; captured on the bridge" \
		"real; tcpdump on the bridge, getent, openssl s_client" \
		"One attempt, PASS; the noise host and its lookups are not a sign-in attempt (no SIP names)."
}
sc_X04() {
	local i
	# 40 RRs: the answer exceeds 512 bytes, dnsmasq sets TC, the client
	# repeats the query over TCP
	srv _sipinternaltls._tcp pool.$D 5061 0 0
	for i in $(seq 10 48); do
		srv _sipinternaltls._tcp "backup$i.$D" 5061 20 "$i"
	done
	host pool.$D $POOL
	dns_up
	tls $POOL 5061 pool
	cap_up X04-dns-tcp-after-truncation.pcap
	client 0 --profile oc2007 --domain $D
	meta X04-dns-tcp-after-truncation.pcap oc2007 "--profile oc2007" \
		"SRV answer with 40 RRs: UDP answer truncated (TC=1), query repeated over TCP/53" "$MADE_REAL" \
		"PASS via pool.$D (prio 0); SRV-ONE advisory (several RRs); the TCP answer is the one that counts."
}
sc_X05() {
	srv _sipinternaltls._tcp pool.$D 5061
	dns "--host-record=pool.$D,$POOL,fd77::10"
	dns_up
	tls fd77::10 5061 pool
	cap_up X05-ipv6.pcap
	client 0 --profile sfb --domain $D --ipv6 --dns fd77::53
	meta X05-ipv6.pcap sfb "--profile sfb" \
		"IPv6 only transport: DNS to fd77::53, AAAA+A per name, TLS to [fd77::10]:5061" "$MADE_REAL" \
		"PASS; A and AAAA of one name are one step."
}
sc_X06() {
	srv _sipinternaltls._tcp pool.$D 5061
	host pool.$D $POOL
	dns_up
	tls $POOL 5061 bigchain -cert_chain "$W/pki/chain3.pem"
	# small MTU on the client: MSS 536, the 4-certificate chain (about
	# 5 KB) arrives in many segments
	ip -n sdcap-cli1 link set eth0 mtu 576
	cap_up X06-big-chain-small-mss.pcap
	client 0 --profile oc2007 --domain $D
	ip -n sdcap-cli1 link set eth0 mtu 1500
	meta X06-big-chain-small-mss.pcap oc2007 "--profile oc2007" \
		"Chain leaf + 3 x 4096-bit intermediates over MSS 536: Certificate message spans many TCP segments" \
		"real; client MTU 576" "PASS; the whole chain must be reassembled (4 certificates)."
}
sc_X07() {
	srv_pool_with pool -tls1
	cap_up X07-tls10-no-sni.pcap
	client 0 --profile oc2007 --domain $D --no-sni --tls-max 1.0
	meta X07-tls10-no-sni.pcap oc2007 "--profile oc2007" \
		"TLS 1.0 without SNI (Windows XP-era Communicator)" "real; s_server -tls1" "PASS; no SNI is normal for this client."
}
sc_X08() {
	srv_pool_with pool -tls1_2
	cap_up X08-tls12-sni.pcap
	client 0 --profile lync2010 --domain $D
	meta X08-tls12-sni.pcap lync2010 "--profile lync2010" \
		"TLS 1.2 with SNI = pool.$D" "real; s_server -tls1_2" "PASS; SNI equals the expected host."
}
sc_X09() {
	srv_pool_with selfsigned
	cap_up X09-cert-self-signed.pcap
	client 1 --profile oc2007 --domain $D
	meta X09-cert-self-signed.pcap oc2007 "--profile oc2007 --ca-file certs/test-root-ca.pem" \
		"Self-signed server certificate" "$MADE_REAL" \
		"CERT-CHAIN:error (trust store given); the client aborts the handshake with a fatal alert; not signed in."
}
sc_X10() {
	srv_pool_with sha1
	cap_up X10-cert-sha1.pcap
	client 0 --profile oc2007 --domain $D
	meta X10-cert-sha1.pcap oc2007 "--profile oc2007" \
		"Leaf signed with sha1WithRSAEncryption" "$MADE_REAL" "PASS for OC 2007 (CERT-ALG: SHA-1 is what XP-era stacks expect; at most info)."
}
sc_X11() {
	srv_pool_with md5
	cap_up X11-cert-md5.pcap
	client 0 --profile oc2007 --domain $D
	meta X11-cert-md5.pcap oc2007 "--profile oc2007" \
		"Leaf signed with md5WithRSAEncryption" "$MADE_REAL" "Signed in on the wire; CERT-ALG finding (MD5) expected at warn/info level."
}
sc_X12() {
	lab2_setup
	cap_up X12-lab2-sll2.pcap.gz sll2
	client 1 --profile oc2007 --domain $D
	meta X12-lab2-sll2.pcap.gz oc2007 "--profile oc2007" \
		"Lab attempt 2 as Linux SLL2, gzip" "real; tcpdump -i any, gzip -9n" \
		"As lab-2: CERT-SAN:error + FALLBACK_STOPPED."
}

all_scenarios() {
	make_certs
	local s
	for s in lab1 lab2 lab3 laball T01 T02 T03 T04 T05 T06 T07 T08 T08n T09 T09b T10 T11 \
		T12 T13 T14 T15 T15s T16 T16s T17 T19 T20 T21 T22 T23 T24 T25 T26 T27 T28 T29 T30 \
		T31 T32 X01 X02 X03 X04 X05 X06 X07 X08 X09 X10 X11 X12; do
		run "$s" "sc_$s"
	done
}
