#!/bin/bash
# sipdisc live, in network namespaces this test creates (nothing leaves them):
#  1. replay: the lab story replayed into a veth while live watches the other
#     end; its verdicts must equal analyze's on the pcapng it wrote with -w,
#     and the expected verdicts of the lab story;
#  2. top speed: tcpreplay --topspeed of the whole corpus, drop count printed;
#  3. SIGINT in the middle of an attempt: exit 0, the open attempt closed and
#     stored, the run's captures row completed.
# Needs root, ip(8) and tcpreplay; skips cleanly otherwise.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
SIPDISC=${SIPDISC:-$top_srcdir/sipdisc}
[ "$(id -u)" = 0 ] || { echo "SKIP: live test needs root (network namespaces)"; exit 77; }
for t in ip tcpreplay editcap sqlite3; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
ns=sdlive$$
tmp=$(mktemp -d)
chmod 755 "$tmp" # live drops to nobody; it must still reach its files
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
cleanup() {
	pkill -KILL -f "sipdisc live -i sdl0-$$" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" || { echo "SKIP: cannot create a network namespace"; exit 77; }
ip -n "$ns" link add "sdl0-$$" type veth peer name "sdl1-$$" || { echo "SKIP: no veth"; exit 77; }
ip -n "$ns" link set "sdl0-$$" up
ip -n "$ns" link set "sdl1-$$" up
ip -n "$ns" link set lo up
IN() { ip netns exec "$ns" "$@"; }

lab="$top_srcdir/captures/lab-all.pcapng"
[ -f "$lab" ] || { echo "SKIP: $lab missing"; exit 77; }

# waits until live prints that it listens (the device is open)
wait_listening() {
	local i
	for i in $(seq 1 100); do
		grep -q "listening on" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

verdicts() { sed -n 's/^attempt \([0-9]*\) .*/\1/p; s/^  verdict \([A-Z_]*\) .*/\1/p' "$1" | paste -sd' '; }

# ---- 1. replay at capture pace, verdicts = analyze on the -w file
ip netns exec "$ns" "$SIPDISC" live -i "sdl0-$$" --no-color --idle 2 --db "$tmp/live.db" -w "$tmp/live.pcapng" \
	>"$tmp/live.out" 2>"$tmp/live.err" &
pid=$!
wait_listening "$tmp/live.err" || bad "live did not start: $(cat "$tmp/live.err")"
IN tcpreplay -q -i "sdl1-$$" "$lab" >/dev/null 2>&1
sleep 4 # settle + idle on wall time: verdicts must come without more packets
printed_before_stop=$(grep -c '^attempt ' "$tmp/live.out")
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 0 ] && ok "live exits 0 on SIGINT" || bad "live exit $rc: $(cat "$tmp/live.err")"
[ "$printed_before_stop" -eq 3 ] && ok "3 verdicts printed before SIGINT (quiet-link ticking)" ||
	bad "$printed_before_stop verdicts printed before SIGINT"
"$SIPDISC" analyze --no-db --no-color "$tmp/live.pcapng" >"$tmp/offline.out" 2>/dev/null
lv=$(verdicts "$tmp/live.out")
ov=$(verdicts "$tmp/offline.out")
[ "$lv" = "$ov" ] && ok "live = analyze on its -w file: $lv" || bad "live '$lv' vs offline '$ov'"
expect="1 FAILED 2 FAILED 3 SIGNED_IN"
[ "$lv" = "$expect" ] && ok "lab story verdicts: $lv" || bad "lab story verdicts '$lv', expected '$expect'"
# the same findings, not just the verdicts
diff <(grep -E '^  (ERROR|WARN |INFO )' "$tmp/live.out") <(grep -E '^  (ERROR|WARN |INFO )' "$tmp/offline.out") >/dev/null &&
	ok "same findings live and offline" || bad "findings differ live vs offline"
st=$(sqlite3 "$tmp/live.db" "SELECT status || ' ' || live || ' ' || path FROM captures")
[ "$st" = "ok 1 live:sdl0-$$" ] && ok "one live captures row: $st" || bad "captures row: $st"
n=$(sqlite3 "$tmp/live.db" "SELECT count(*) FROM attempts")
[ "$n" -eq 3 ] && ok "3 attempts stored" || bad "$n attempts stored"
grep -q "dropped by kernel" "$tmp/live.err" && ok "pcap_stats printed: $(grep 'live end' "$tmp/live.err" | sed 's/^sipdisc: //')" ||
	bad "no pcap_stats line"
grep -q "running as 'nobody'" "$tmp/live.err" && ok "dropped root privileges" || bad "no privilege drop message"

# ---- 2. top speed, many packets: report the drop count
mkdir -p "$tmp/all"
for f in "$top_srcdir"/captures/*.pcap "$top_srcdir"/captures/*.pcapng; do
	[ -f "$f" ] || continue
	# tcpreplay sends one link type: keep the Ethernet captures, as classic pcap
	capinfos -E "$f" 2>/dev/null | grep -q 'encapsulation: *Ethernet$' || continue
	editcap -F pcap "$f" "$tmp/all/$(basename "$f").pcap" >/dev/null 2>&1
done
ip netns exec "$ns" "$SIPDISC" live -i "sdl0-$$" --no-color --no-db >"$tmp/fast.out" 2>"$tmp/fast.err" &
pid=$!
wait_listening "$tmp/fast.err"
IN tcpreplay --topspeed -q -l 20 -i "sdl1-$$" "$tmp"/all/*.pcap >"$tmp/replay.txt" 2>&1
sleep 1
kill -INT $pid
wait $pid
sent=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' "$tmp/replay.txt" | head -1)
line=$(grep 'live end' "$tmp/fast.err" | sed 's/^sipdisc: //')
[ -n "$line" ] && ok "top speed: tcpreplay sent ${sent:-?} packets; $line" || bad "top-speed run: $(cat "$tmp/fast.err")"

# ---- 3. SIGINT in the middle of an attempt (the capture cut after the TLS ClientHello of attempt 2)
editcap -r "$lab" "$tmp/half.pcapng" 1-27 >/dev/null 2>&1
ip netns exec "$ns" "$SIPDISC" live -i "sdl0-$$" --no-color --db "$tmp/half.db" >"$tmp/half.out" 2>"$tmp/half.err" &
pid=$!
wait_listening "$tmp/half.err"
IN tcpreplay -q --topspeed -i "sdl1-$$" "$tmp/half.pcapng" >/dev/null 2>&1
sleep 0.5
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 0 ] && ok "SIGINT mid-attempt: exit 0" || bad "SIGINT mid-attempt: exit $rc"
rows=$(sqlite3 "$tmp/half.db" "SELECT seq || ':' || verdict FROM attempts ORDER BY seq" | paste -sd' ')
st=$(sqlite3 "$tmp/half.db" "SELECT status FROM captures")
ic=$(sqlite3 "$tmp/half.db" "PRAGMA integrity_check")
case "$rows" in
"1:FAILED 2:"*) ok "open attempt closed and stored at SIGINT: $rows (run status $st, integrity $ic)" ;;
*) bad "after SIGINT: attempts '$rows', status $st" ;;
esac
[ "$st" = ok ] && [ "$ic" = ok ] || bad "run row $st, integrity $ic"
# ---- 4. -Z USER, SIGHUP reopens the -w file, the interface disappears
# (the reopened file is created after the drop: its folder belongs to nobody)
mkdir -p "$tmp/rot" && chown nobody "$tmp/rot"
ip netns exec "$ns" "$SIPDISC" live -i "sdl0-$$" -Z nobody --no-color --db "$tmp/gone.db" -w "$tmp/rot/rot.pcapng" \
	>"$tmp/gone.out" 2>"$tmp/gone.err" &
pid=$!
wait_listening "$tmp/gone.err"
user=$(ps -o user= -p $pid 2>/dev/null | tr -d ' ')
[ "$user" = nobody ] && ok "-Z nobody: runs as $user" || bad "-Z nobody: runs as '$user'"
IN tcpreplay -q -i "sdl1-$$" "$lab" >/dev/null 2>&1
mv "$tmp/rot/rot.pcapng" "$tmp/rot/rot.1.pcapng"
kill -HUP $pid
for _ in $(seq 1 50); do [ -f "$tmp/rot/rot.pcapng" ] && break; sleep 0.05; done
[ -f "$tmp/rot/rot.pcapng" ] && grep -q "reopened" "$tmp/gone.err" && ok "SIGHUP reopened the -w file" ||
	bad "SIGHUP: no new -w file ($(tail -2 "$tmp/gone.err"))"
sleep 3 # the lab attempts complete (settle, idle)
ip -n "$ns" link del "sdl0-$$"
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
wait $pid
rc=$?
st=$(sqlite3 "$tmp/gone.db" "SELECT status FROM captures")
n=$(sqlite3 "$tmp/gone.db" "SELECT count(*) FROM attempts")
if [ $rc -eq 2 ] && [ "$st" = read-error ] && [ "$n" -eq 3 ]; then
	ok "interface deleted: exit 2, '$(grep -m1 'closing open attempts' "$tmp/gone.err" | sed 's/^sipdisc: //')', $n attempts kept"
else
	bad "interface deleted: exit $rc, run status '$st', $n attempts; $(tail -3 "$tmp/gone.err")"
fi
exit $fail
