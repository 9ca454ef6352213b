#!/bin/sh
# sipdisc dump end to end: every bundled capture decodes and its JSON Lines
# parse; damaged files fail cleanly (exit 2, the file and frame named) while
# the events before the damage are still printed; the CLI's basic contract.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
SIPDISC=${SIPDISC:-$top_srcdir/sipdisc}
pub=${SIPDISC_PUBLIC:-$top_srcdir/../shared/captures-public}
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$SIPDISC" --version | grep -q '^sipdisc [0-9]' && ok "--version" || bad "--version"
"$SIPDISC" --help >/dev/null && ok "--help" || bad "--help"
"$SIPDISC" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown command exits 2" || bad "unknown command"
"$SIPDISC" dump >/dev/null 2>&1; [ $? -eq 2 ] && ok "dump without capture exits 2" || bad "dump usage"

n=0
for f in "$top_srcdir"/captures/*.pcap "$top_srcdir"/captures/*.pcapng "$top_srcdir"/captures/*.gz; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	if ! "$SIPDISC" dump "$f" >"$tmp/out.txt" 2>"$tmp/err.txt"; then
		bad "dump $f: $(cat "$tmp/err.txt")"
		continue
	fi
	[ -s "$tmp/out.txt" ] || bad "dump $f printed nothing"
	"$SIPDISC" dump --json "$f" >"$tmp/out.json" 2>/dev/null || bad "dump --json $f"
	python3 -c '
import json, sys
types = set()
for i, line in enumerate(open(sys.argv[1]), 1):
    o = json.loads(line)
    types.add(o.get("type") or o.get("event"))
if not any(t and t.startswith("dns") for t in types):
    sys.exit("no DNS event")
' "$tmp/out.json" || bad "JSON Lines of $f"
done
[ $n -gt 0 ] && ok "$n bundled captures decode, JSON Lines valid" || bad "no captures under captures/"

# Not a capture at all.
printf 'hello world, not a capture' >"$tmp/junk.pcap"
"$SIPDISC" dump "$tmp/junk.pcap" >/dev/null 2>"$tmp/err.txt"
rc=$?
[ $rc -eq 2 ] && grep -q "junk.pcap" "$tmp/err.txt" && ok "junk file: exit 2, named ($(cat "$tmp/err.txt"))" ||
	bad "junk file: rc=$rc $(cat "$tmp/err.txt")"

# A capture cut in the middle of a packet: the frames before it still decode.
first=$(ls "$top_srcdir"/captures/lab-all.pcapng 2>/dev/null | head -1)
if [ -n "$first" ]; then
	size=$(wc -c <"$first")
	head -c $((size - 100)) "$first" >"$tmp/cut.pcapng"
	"$SIPDISC" dump "$tmp/cut.pcapng" >"$tmp/out.txt" 2>"$tmp/err.txt"
	rc=$?
	if [ $rc -eq 2 ] && grep -q "cut.pcapng" "$tmp/err.txt" && grep -qi "frame" "$tmp/err.txt" &&
		grep -q "dns" "$tmp/out.txt"; then
		ok "truncated file: exit 2, events before the cut kept ($(cat "$tmp/err.txt"))"
	else
		bad "truncated file: rc=$rc, $(cat "$tmp/err.txt")"
	fi
fi

if [ -d "$pub" ]; then
	f="$pub/suricata-verify/tls_DER-incomplete-header.pcap"
	if [ -f "$f" ]; then
		"$SIPDISC" dump --json "$f" >"$tmp/out.json" 2>"$tmp/err.txt"
		rc=$?
		# MANIFEST: 6 good frames, then a record claiming a 4 MB packet
		if [ $rc -eq 2 ] && grep -q "tls_DER-incomplete-header.pcap" "$tmp/err.txt" &&
			grep -q '"type":"capture-end"' "$tmp/out.json" && grep -q '"frames":6' "$tmp/out.json"; then
			ok "damaged public pcap: 6 frames decoded, then a clear error"
		else
			bad "damaged public pcap: rc=$rc $(cat "$tmp/err.txt") $(tail -1 "$tmp/out.json")"
		fi
	fi
	for f in "$pub"/libpcap/*.pcapng; do
		[ -f "$f" ] || continue
		"$SIPDISC" dump "$f" >/dev/null 2>"$tmp/err.txt"
		rc=$?
		b=$(basename "$f")
		[ $rc -eq 2 ] && grep -q "$b" "$tmp/err.txt" && ok "$b: exit 2 ($(cat "$tmp/err.txt"))" ||
			bad "$b: rc=$rc $(cat "$tmp/err.txt")"
	done
else
	echo "SKIP: $pub absent, public damaged captures not checked"
fi
exit $fail
