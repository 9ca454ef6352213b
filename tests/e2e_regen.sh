#!/bin/bash
# The corpus regenerates to the same verdicts: captures/make-captures runs
# every scenario from scratch into a temporary directory (real dnsmasq,
# openssl s_server, the client emulator and tcpdump in namespaces this test
# creates; our synthesizer for the edge cases), and each new capture must
# give the same attempts, verdicts and finding codes (severity + code) as
# the committed captures/*.expected. Frame numbers and certificates may
# differ between runs; what the analysis concludes may not.
# Needs root and the lab's programs; skips cleanly otherwise.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SIPDISC=${SIPDISC:-$top_builddir/sipdisc}
[ "$(id -u)" = 0 ] || { echo "SKIP: regeneration needs root (network namespaces)"; exit 77; }
for t in ip dnsmasq openssl tcpdump dumpcap tshark gzip; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ -x "$top_builddir/harness/sipclient" ] || { echo "SKIP: harness/sipclient not built"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if ! timeout 600 "$top_srcdir/captures/make-captures" -b "$top_builddir" -o "$out" >"$out/make.log" 2>&1; then
	tail -20 "$out/make.log"
	echo "FAIL: make-captures"
	exit 1
fi
# shared with the other end-to-end tests
. "$top_srcdir/tests/attempt-sig.sh"
same=0
fail=0
for e in "$top_srcdir"/captures/*.expected; do
	c=${e%.expected}
	b=$(basename "$c")
	if [ ! -f "$out/$b" ]; then
		echo "FAIL: $b was not regenerated"
		fail=1
		continue
	fi
	args=$(cat "$c.args" 2>/dev/null)
	# .args paths (--ca-file) are relative to the capture's directory
	# shellcheck disable=SC2086
	(cd "$out" && "$SIPDISC" analyze --no-db --no-color $args "$b" >"$b.txt" 2>/dev/null)
	if [ "$(sig "$e")" != "$(sig "$out/$b.txt")" ]; then
		# A lab run on a loaded machine can lose a packet (the capture is
		# real): make that one scenario once more before judging.
		id=${b%%-*}
		echo "note: $b differs; regenerating scenario $id once more"
		timeout 300 "$top_srcdir/captures/make-captures" -b "$top_builddir" -o "$out" "$id" >>"$out/make.log" 2>&1
		# shellcheck disable=SC2086
		(cd "$out" && "$SIPDISC" analyze --no-db --no-color $args "$b" >"$b.txt" 2>/dev/null)
	fi
	if [ "$(sig "$e")" = "$(sig "$out/$b.txt")" ]; then
		same=$((same + 1))
	else
		echo "FAIL: $b: regenerated capture concludes differently (< committed, > regenerated):"
		diff <(sig "$e") <(sig "$out/$b.txt") | sed 's/^/    /'
		fail=1
	fi
done
echo "regenerated: $same captures conclude as their committed expected results"
exit $fail
