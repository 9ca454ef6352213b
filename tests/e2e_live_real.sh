#!/bin/bash
# sipdisc live watching real sign-ins: captures/make-captures rebuilds its
# lab (network namespaces it creates: dnsmasq, openssl s_server,
# harness/sipclient; nothing leaves them) and regenerates a handful of
# scenarios into a temporary directory with SIPDISC_LIVE set, so "sipdisc
# live" watches each sign-in beside tcpdump. For every scenario:
#  a. live's report equals "sipdisc analyze" on the pcapng live wrote (-w);
#  b. its verdicts and finding codes (code + severity, not frame numbers: a
#     regenerated capture's frames may differ) equal the committed
#     captures/CAPTURE.expected (or, where that does not exist yet,
#     "sipdisc analyze" of the committed capture);
#  c. live.db holds one captures row for the run, status ok, with the
#     attempts live printed.
# Needs root, ip, dnsmasq, openssl, tcpdump (and what make-captures needs
# besides: dumpcap, tshark, gzip; sqlite3 for c); skips cleanly otherwise.
# Builds nothing: uses $SIPDISC and $top_builddir/harness/sipclient.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SIPDISC=${SIPDISC:-$top_builddir/sipdisc}
# lab story, happy path, nothing found, CNAME/SAN on "any" (SLL2),
# expired certificate, two clients at once (LIVE_REAL_SCENARIOS overrides)
SCENARIOS=${LIVE_REAL_SCENARIOS:-lab1 lab2 lab3 laball T01 T02 T03 T12 X01}

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for t in ip dnsmasq openssl tcpdump dumpcap tshark gzip sqlite3 timeout; do
	command -v $t >/dev/null || skip "$t not installed"
done
[ -x "$top_builddir/harness/sipclient" ] || skip "$top_builddir/harness/sipclient not built (make)"
[ -x "$SIPDISC" ] || skip "$SIPDISC not built"
if ip netns list 2>/dev/null | grep -q '^sdcap-'; then
	skip "sdcap-* namespaces exist (a make-captures run in progress?)"
fi
ip netns add "sdlr-probe$$" 2>/dev/null || skip "cannot create a network namespace"
ip netns del "sdlr-probe$$"

caps=$top_srcdir/captures
out=$(mktemp -d /tmp/sdlivereal.XXXXXX)
chmod 755 "$out" # live drops to nobody; it must still reach its files
# shellcheck disable=SC2317 # called by the trap
cleanup() { if [ -n "${KEEP:-}" ]; then echo "kept $out"; else rm -rf "$out"; fi; }
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# ---- regenerate the scenarios, live watching each
# shellcheck disable=SC2086 # SCENARIOS is a list
if ! SIPDISC_LIVE=$SIPDISC timeout 170 "$caps/make-captures" -b "$top_builddir" -o "$out" $SCENARIOS \
	>"$out/make.log" 2>&1; then
	sed 's/^/  | /' "$out/make.log"
	bad "make-captures -o $out $SCENARIOS"
fi

# A report's attempts in attempt order, blank lines dropped: live prints
# each attempt when it completes (two clients: maybe not in attempt order),
# analyze in attempt order, and then a summary, which live does not print.
norm() {
	awk '/^summary$/ { exit } /^attempt [0-9]+ / { n = $2 } NF { printf "%d\t%s\n", n, $0 }' "$@" |
		sort -s -n -k1,1 | cut -f2-
}
# shared with the other end-to-end tests
. "$top_srcdir/tests/attempt-sig.sh"
nl=$'\n'
verdicts() { sed -n 's/^  verdict \([A-Z_]*\) .*/\1/p' "$1" | paste -sd' ' -; }

# live.txt files in the order the scenarios ran = the order of the db rows
# (a live that did not start wrote neither its -w file nor a row)
mapfile -t lives < <(cd "$out" && ls -tr -- *.live.txt 2>/dev/null)
# shellcheck disable=SC2086 # split on purpose
n_sc=$(printf '%s\n' $SCENARIOS | wc -l)
[ "${#lives[@]}" -eq "$n_sc" ] || bad "${#lives[@]} live reports for $n_sc scenarios"
mapfile -t rows < <(sqlite3 -separator ' ' "$out/live.db" "SELECT id, status, path FROM captures ORDER BY id" 2>&1)
n_ran=$(cd "$out" && find . -maxdepth 1 -name '*.live.pcapng' | wc -l)
[ "${#rows[@]}" -eq "$n_ran" ] || bad "live.db has ${#rows[@]} captures rows for $n_ran live runs"

i=0
for lt in "${lives[@]}"; do
	cap=${lt%.live.txt}
	if [ ! -f "$out/$cap.live.pcapng" ]; then
		bad "$cap: sipdisc live did not run (make-captures output above)"
		continue
	fi
	ok=1
	msg=""
	args=""
	[ -f "$out/$cap.args" ] && args=$(cat "$out/$cap.args")
	# a. the same report from analyze on the -w file (same options: --idle 3 as live had)
	# shellcheck disable=SC2086 # args is a list of options
	(cd "$out" && "$SIPDISC" analyze --no-db --no-color --idle 3 $args "$cap.live.pcapng" 2>/dev/null) |
		norm >"$out/$cap.offline.txt"
	norm "$out/$lt" >"$out/$cap.live.norm"
	if [ ! -s "$out/$lt" ]; then
		ok=0 msg="$msg; live printed nothing"
	elif ! diff -u "$out/$cap.live.norm" "$out/$cap.offline.txt" >"$out/$cap.a.diff"; then
		ok=0 msg="$msg; live differs from analyze on its -w file:$nl$(sed 's/^/    /' "$out/$cap.a.diff")"
	fi
	# b. verdicts and finding codes of the committed capture's expected report
	if [ -f "$caps/$cap.expected" ]; then
		ref="committed $cap.expected"
		cp "$caps/$cap.expected" "$out/$cap.ref"
	else
		ref="analyze of committed $cap (no .expected yet)"
		cargs=""
		[ -f "$caps/$cap.args" ] && cargs=$(cat "$caps/$cap.args")
		# shellcheck disable=SC2086
		(cd "$caps" && "$SIPDISC" analyze --no-db --no-color $cargs "$cap" 2>/dev/null) | norm >"$out/$cap.ref"
	fi
	if ! diff <(sig "$out/$cap.ref") <(sig "$out/$lt") >"$out/$cap.b.diff"; then
		ok=0 msg="$msg; verdicts/findings differ from the $ref (< committed, > live):$nl$(sed 's/^/    /' "$out/$cap.b.diff")"
	fi
	# c. the run's captures row, status ok, with the attempts live printed
	row=${rows[$i]:-}
	id=${row%% *}
	st=$(echo "$row" | cut -d' ' -f2-)
	case $st in
	"ok live:"*) ;;
	*) ok=0 msg="$msg; captures row $i: '$row'" ;;
	esac
	dbv=$(sqlite3 "$out/live.db" "SELECT verdict FROM attempts WHERE capture_id = '$id' ORDER BY seq" 2>&1 | paste -sd' ' -)
	lv=$(verdicts "$out/$cap.live.norm")
	[ "$dbv" = "$lv" ] || ok=0 msg="$msg; stored attempts '$dbv', printed '$lv'"
	i=$((i + 1))
	if [ $ok = 1 ]; then
		echo "ok: $cap: live = analyze on its -w file = $ref: $lv; db row $id ok"
	else
		bad "$cap$msg"
	fi
done
[ $fail = 0 ] || [ -n "${KEEP:-}" ] || echo "(run with KEEP=1 to keep the files)"
exit $fail
