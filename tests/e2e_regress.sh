#!/bin/sh
# sipdisc regress: every capture under captures/ with an expected file gives
# exactly its expected report; and changing one expected finding makes
# regress fail with a readable unified diff naming the capture.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
SIPDISC=${SIPDISC:-$top_srcdir/sipdisc}
caps="$top_srcdir/captures"
n=$(ls "$caps"/*.expected 2>/dev/null | wc -l)
[ "$n" -gt 0 ] || { echo "SKIP: no expected files under captures/"; exit 77; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$SIPDISC" regress "$caps" >"$tmp/all.out" 2>&1
rc=$?
tail -1 "$tmp/all.out"
if [ $rc -ne 0 ]; then
	cat "$tmp/all.out"
	echo "FAIL: regress on captures/ exit $rc"
	fail=1
fi
passed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$tmp/all.out")
[ "${passed:-0}" -eq "$n" ] && echo "ok: all $n expected files checked" || { echo "FAIL: $passed of $n checked"; fail=1; }

# One finding changed in a copy of the lab story: regress must fail and show it.
cp "$caps/lab-all.pcapng" "$caps/lab-all.pcapng.expected" "$tmp/"
[ -f "$caps/lab-all.pcapng.args" ] && cp "$caps/lab-all.pcapng.args" "$tmp/"
sed -i '0,/CERT-SAN/s//CERT-CN/' "$tmp/lab-all.pcapng.expected"
if cmp -s "$caps/lab-all.pcapng.expected" "$tmp/lab-all.pcapng.expected"; then
	echo "FAIL: could not change a finding in the expected file"
	fail=1
fi
"$SIPDISC" regress "$tmp" >"$tmp/one.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "^FAIL .*lab-all.pcapng" "$tmp/one.out" && grep -q '^-.*CERT-CN' "$tmp/one.out" &&
	grep -q '^+.*CERT-SAN' "$tmp/one.out" && grep -q '^@@' "$tmp/one.out" && tail -1 "$tmp/one.out" | grep -q '^0 passed, 1 failed$'; then
	echo "ok: a changed finding fails with a unified diff:"
	sed 's/^/    /' "$tmp/one.out" | head -20
else
	echo "FAIL: changed expected file: exit $rc"
	cat "$tmp/one.out"
	fail=1
fi
# --update puts it right and names the file
"$SIPDISC" regress --update "$tmp" >"$tmp/upd.out" 2>&1
if grep -q "^updated .*lab-all.pcapng.expected" "$tmp/upd.out" && cmp -s "$caps/lab-all.pcapng.expected" "$tmp/lab-all.pcapng.expected"; then
	echo "ok: --update rewrites and names the changed file"
else
	echo "FAIL: --update"
	cat "$tmp/upd.out"
	fail=1
fi
exit $fail
