#!/bin/sh
# Agreement with tshark on DNS messages and certificates, for every capture
# under captures/ and every public capture in ../shared/captures-public.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
SIPDISC=${SIPDISC:-$top_srcdir/sipdisc}
export SIPDISC
pub="$top_srcdir/../shared/captures-public"
[ -n "$SIPDISC_PUBLIC" ] && pub=$SIPDISC_PUBLIC
exec python3 "$top_srcdir/tests/agree.py" --public "$pub" "$top_srcdir/captures"
