# attempt-sig.sh - sourced by the end-to-end tests that compare analyses of
# regenerated captures: sig FILE... prints one line per attempt of sipdisc's
# text report (client, domain, profile, verdict (how it ended), then the
# findings as severity + code), sorted, since two clients may start in
# either order in a regenerated capture.
sig() {
	awk '
	function out() { if (s != "") print s; s = "" }
	/^attempt [0-9]+ / { out(); s = $4 " " $6 " " $8; inf = 0; next }
	/^  verdict / { s = s " " $2 " (" $4 ")"; next }
	/^findings:$/ { inf = 1; next }
	/^[a-z].*:$/ { inf = 0 }
	inf && /^  (ERROR|WARN |INFO ) / { s = s ", " $1 " " $2 }
	END { out() }' "$@" | sort
}
