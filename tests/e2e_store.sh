#!/bin/bash
# The results store end to end (docs/schema.md): a batch over captures/ run
# twice gives the same row counts; a folder with a corrupt and a truncated
# file among good ones stores the good ones and records the bad ones; a kill
# -9 in the middle of a batch leaves a consistent database that a re-run
# completes with no duplicates; a batch of 1,000 distinct captures with -j 2
# reports summary counts equal to the database's. Figures are printed for
# the record (time, database size).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
SIPDISC=${SIPDISC:-$top_srcdir/sipdisc}
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 CLI absent"; exit 77; }
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
q() { sqlite3 "$1" "$2"; }
counts() { # one line of row counts per table
	local db=$1 t out=""
	for t in captures attempts steps answers connections certificates certificate_names \
		connection_certificates findings; do
		out="$out $t=$(q "$db" "SELECT count(*) FROM $t")"
	done
	echo "$out"
}

caps="$top_srcdir/captures"
ncap=$(find "$caps" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.gz' \) | wc -l)
[ "$ncap" -gt 0 ] || { echo "SKIP: no captures under captures/"; exit 77; }

# 1. twice over the same folder: rows replaced, never duplicated
db="$tmp/twice.db"
"$SIPDISC" analyze --db "$db" "$caps" >/dev/null 2>&1
c1=$(counts "$db")
"$SIPDISC" analyze --db "$db" "$caps" >/dev/null 2>&1
c2=$(counts "$db")
[ "$c1" = "$c2" ] && ok "batch twice: same rows ($c1)" || bad "batch twice: '$c1' vs '$c2'"
[ "$(q "$db" "SELECT count(*) FROM captures")" -eq "$ncap" ] && ok "one captures row per file ($ncap)" ||
	bad "captures rows $(q "$db" "SELECT count(*) FROM captures") != $ncap files"
"$SIPDISC" analyze --db "$db" --skip-known "$caps" >"$tmp/skip.out" 2>&1
[ "$(counts "$db")" = "$c1" ] && ok "--skip-known leaves the rows alone" || bad "--skip-known changed rows"

# the fingerprints are those of independent tools: xxh128sum (Debian's
# xxhash) for the key, sha256sum for --sha256 (stored for chain of custody)
one=$(ls "$caps"/*.pcap | head -1)
db="$tmp/fp.db"
"$SIPDISC" analyze --db "$db" "$one" >/dev/null 2>&1
"$SIPDISC" analyze --db "$db" --sha256 "$one" >/dev/null 2>&1
row=$(q "$db" "SELECT xxh128 || ' ' || sha256 || ' ' || size FROM captures")
want_sha=$(sha256sum "$one" | cut -d' ' -f1)
[ "$(q "$db" "SELECT count(*) FROM captures")" -eq 1 ] && [ "${row#* }" = "$want_sha $(stat -c %s "$one")" ] &&
	ok "--sha256 stores sha256sum's digest and the size, replacing the first row" || bad "fingerprint row: $row"
if command -v xxh128sum >/dev/null 2>&1; then
	want_x=$(xxh128sum "$one" | cut -d' ' -f1)
	[ "${row%% *}" = "$want_x" ] && ok "xxh128 = xxh128sum ($want_x)" || bad "xxh128 ${row%% *} != xxh128sum $want_x"
else
	echo "note: xxh128sum not installed (Debian package xxhash); xxh128 not cross-checked"
fi

# report prints stored attempts exactly as analyze printed them
db="$tmp/report.db"
"$SIPDISC" analyze --db "$db" --no-color "$caps/lab-all.pcapng" "$caps/T01-srv-pool-ok.pcap" 2>/dev/null |
	sed '/^summary$/,$d; /^# /d; /^$/d' >"$tmp/an.txt"
"$SIPDISC" report --db "$db" --no-color 2>/dev/null | sed '/^== /d; /^$/d; /attempt(s), .* not signed in/d' >"$tmp/rep.txt"
if [ -s "$tmp/an.txt" ] && cmp -s "$tmp/an.txt" "$tmp/rep.txt"; then
	ok "report = analyze, line for line ($(grep -c '^attempt ' "$tmp/rep.txt") attempts)"
else
	bad "report differs from analyze: $(diff "$tmp/an.txt" "$tmp/rep.txt" | head -5)"
fi
# ... and so in the other formats: --verbose lists every query of a step, JSON
# every field (both lost the queries and conn_id before schema 4)
"$SIPDISC" analyze --no-db --no-color --verbose "$caps/lab-all.pcapng" "$caps/T01-srv-pool-ok.pcap" 2>/dev/null |
	sed '/^summary$/,$d; /^# /d; /^$/d' >"$tmp/anv.txt"
"$SIPDISC" report --db "$db" --no-color --verbose 2>/dev/null | sed '/^== /d; /^$/d; /attempt(s), .* not signed in/d' >"$tmp/repv.txt"
if grep -q '^ *query frame ' "$tmp/anv.txt" && cmp -s "$tmp/anv.txt" "$tmp/repv.txt"; then
	ok "report --verbose = analyze --verbose ($(grep -c '^ *query frame ' "$tmp/repv.txt") queries)"
else
	bad "report --verbose differs: $(diff "$tmp/anv.txt" "$tmp/repv.txt" | head -5)"
fi
"$SIPDISC" analyze --no-db --json "$caps/lab-all.pcapng" "$caps/T01-srv-pool-ok.pcap" 2>/dev/null |
	grep '"type":"attempt"' >"$tmp/an.json"
"$SIPDISC" report --db "$db" --json 2>/dev/null | grep '"type":"attempt"' >"$tmp/rep.json"
if [ -s "$tmp/an.json" ] && cmp -s "$tmp/an.json" "$tmp/rep.json"; then
	ok "report --json = analyze --json ($(wc -l <"$tmp/rep.json") attempts)"
else
	bad "report --json differs: $(cmp "$tmp/an.json" "$tmp/rep.json" 2>&1 | head -2)"
fi
n=$("$SIPDISC" report --db "$db" --domain SCHERTZ.local --verdict failed --json 2>/dev/null | wc -l)
[ "$n" -eq "$(q "$db" "SELECT count(*) FROM attempts WHERE domain = 'schertz.local' AND verdict = 'FAILED'")" ] &&
	ok "report --domain --verdict --json: $n attempts" || bad "report filters: $n lines"
"$SIPDISC" report --db "$db" --since 2999-01-01 >/dev/null 2>&1
[ $? -eq 0 ] && ok "report --since in the future: nothing, exit 0" || bad "report --since"
"$SIPDISC" report --db "$tmp/none.db" >/dev/null 2>&1
[ $? -eq 2 ] && ok "report on a missing database: exit 2" || bad "report on a missing database"

# 2. bad files among good ones
mkdir -p "$tmp/mixed"
cp "$caps/lab-all.pcapng" "$tmp/mixed/good1.pcapng"
cp "$caps/T01-srv-pool-ok.pcap" "$tmp/mixed/good2.pcap" 2>/dev/null || cp "$caps/lab-1-no-records.pcap" "$tmp/mixed/good2.pcap"
# corrupt: a pcap magic followed by garbage; truncated: a good file cut mid-packet
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\x7f\x01\x00\x00\x00garbage!garbage!garbage!' >"$tmp/mixed/corrupt.pcap"
size=$(wc -c <"$caps/lab-all.pcapng")
head -c $((size * 2 / 3)) "$caps/lab-all.pcapng" >"$tmp/mixed/truncated.pcapng"
printf 'not a capture' >"$tmp/mixed/notes.txt"
db="$tmp/mixed.db"
"$SIPDISC" analyze --db "$db" --no-color "$tmp/mixed" >"$tmp/mixed.out" 2>"$tmp/mixed.err"
rc=$?
[ $rc -eq 2 ] && ok "mixed folder: exit 2" || bad "mixed folder: exit $rc"
st=$(q "$db" "SELECT path || ':' || status FROM captures ORDER BY path" | sed "s|$tmp/mixed/||" | tr '\n' ' ')
case "$st" in
"corrupt.pcap:read-error good1.pcapng:ok good2.pcap:ok truncated.pcapng:read-error "|\
"corrupt.pcap:unreadable good1.pcapng:ok good2.pcap:ok truncated.pcapng:read-error ")
	ok "mixed folder: $st" ;;
*) bad "mixed folder statuses: $st" ;;
esac
n_good=$(q "$db" "SELECT count(*) FROM attempts a JOIN captures c ON c.id = a.capture_id WHERE c.path LIKE '%good%'")
[ "$n_good" -ge 4 ] && ok "good captures' attempts stored ($n_good)" || bad "good attempts stored: $n_good"
grep -q "corrupt.pcap" "$tmp/mixed.err" && grep -q "truncated.pcapng" "$tmp/mixed.err" &&
	ok "errors name the files" || bad "stderr: $(cat "$tmp/mixed.err")"
q "$db" "SELECT error FROM captures WHERE status != 'ok'" | grep -qi "frame" &&
	ok "stored error names the frame" || bad "stored errors: $(q "$db" "SELECT error FROM captures WHERE status != 'ok'")"

# 3. 1,000 distinct captures (copies made distinct without changing what they
#    hold: classic pcap gets another snaplen, pcapng an extra custom block that
#    readers skip), then kill -9 in the middle, then the whole batch with -j 2
mkdir -p "$tmp/many"
python3 - "$caps" "$tmp/many" <<'PY'
import os, struct, sys
src, dst = sys.argv[1], sys.argv[2]
files = sorted(f for f in os.listdir(src) if f.endswith((".pcap", ".pcapng")))
i = 0
while i < 1000:
    for f in files:
        if i >= 1000:
            break
        data = bytearray(open(os.path.join(src, f), "rb").read())
        magic = data[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):        # little-endian pcap
            struct.pack_into("<I", data, 16, 100000 + i)
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            struct.pack_into(">I", data, 16, 100000 + i)
        elif magic == b"\x0a\x0d\x0d\x0a":
            le = data[8:12] == b"\x4d\x3c\x2b\x1a"
            body = struct.pack("<I" if le else ">I", i)
            blk = struct.pack("<II" if le else ">II", 0x40000BAD, 16) + body + struct.pack("<I" if le else ">I", 16)
            # a Custom Block with PEN i: skipped by readers that do not know it
            blk = struct.pack("<III" if le else ">III", 0x40000BAD, 16, i) + struct.pack("<I" if le else ">I", 16)
            data += blk
        else:
            continue
        open(os.path.join(dst, "c%04d-%s" % (i, f)), "wb").write(data)
        i += 1
PY
nmany=$(ls "$tmp/many" | wc -l)
db="$tmp/many.db"
"$SIPDISC" analyze -j 2 --db "$db" "$tmp/many" >/dev/null 2>&1 &
pid=$!
# kill it once some captures are stored and before the batch ends
for _ in $(seq 1 500); do
	n=$(q "$db" "SELECT count(*) FROM captures" 2>/dev/null || echo 0)
	[ "${n:-0}" -ge 20 ] && break
	sleep 0.01
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
done_before=$(q "$db" "SELECT count(*) FROM captures" 2>/dev/null || echo 0)
ic=$(q "$db" "PRAGMA integrity_check" 2>&1)
[ "$ic" = "ok" ] && ok "kill -9 after $done_before captures: integrity_check ok" || bad "integrity_check: $ic"
[ "$done_before" -lt "$nmany" ] || bad "the batch ended before the kill: nothing was interrupted"
running=$(q "$db" "SELECT count(*) FROM captures WHERE status = 'running'" 2>/dev/null || echo 0)
[ "${running:-0}" -eq 0 ] && ok "no half-stored capture after kill -9" || bad "$running captures left 'running'"
start=$(date +%s.%N)
"$SIPDISC" analyze -j 2 --db "$db" --no-color "$tmp/many" >"$tmp/many.out" 2>"$tmp/many.err"
end=$(date +%s.%N)
rows=$(q "$db" "SELECT count(*) FROM captures")
dist=$(q "$db" "SELECT count(DISTINCT xxh128) FROM captures")
[ "$rows" -eq "$nmany" ] && [ "$dist" -eq "$nmany" ] && ok "re-run: $rows captures, no duplicates" ||
	bad "re-run: $rows rows, $dist distinct, $nmany files"
# summary line: "attempts  N signed in, N failed, N inconclusive"
read -r s_in s_failed s_inc <<<"$(sed -n 's/^ *attempts *\([0-9]*\) signed in, \([0-9]*\) failed, \([0-9]*\) inconclusive.*/\1 \2 \3/p' "$tmp/many.out")"
read -r s_read s_bad <<<"$(sed -n 's/^ *captures *\([0-9]*\) read, \([0-9]*\) failed.*/\1 \2/p' "$tmp/many.out")"
d_in=$(q "$db" "SELECT count(*) FROM attempts WHERE verdict = 'SIGNED_IN'")
d_failed=$(q "$db" "SELECT count(*) FROM attempts WHERE verdict = 'FAILED'")
d_inc=$(q "$db" "SELECT count(*) FROM attempts WHERE verdict = 'INCONCLUSIVE'")
d_read=$(q "$db" "SELECT count(*) FROM captures WHERE status = 'ok'")
if [ "${s_in:-x}" = "$d_in" ] && [ "${s_failed:-x}" = "$d_failed" ] && [ "${s_inc:-x}" = "$d_inc" ] &&
	[ "${s_read:-x}" = "$d_read" ]; then
	ok "1,000-capture batch -j 2: summary = database (captures $d_read, signed in $d_in, failed $d_failed, inconclusive $d_inc)"
else
	bad "summary ($s_read read; $s_in/$s_failed/$s_inc) != database ($d_read; $d_in/$d_failed/$d_inc)"
fi
secs=$(echo "$end - $start" | bc 2>/dev/null || python3 -c "print($end - $start)")
echo "figures: $nmany captures, -j 2, ${secs}s, database $(du -k "$db" | cut -f1) KiB (+ WAL $(du -k "$db-wal" 2>/dev/null | cut -f1) KiB)"
exit $fail
