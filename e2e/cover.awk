# Per-package statement coverage of two go test -coverprofile files: the
# unit tests' (the first file) and the end-to-end tests' (the second),
# alone and together. make cover runs it.
#
# A profile line is FILE:START,END STATEMENTS COUNT; with -coverpkg the
# same block appears once per test binary, so a block counts once, as
# covered when any line of it has a count.

FNR == 1 { run++; next } # the mode: line

{
	block = $1
	stmts[block] = $2
	if ($3 > 0) {
		hit[run, block] = 1
	}
}

END {
	for (block in stmts) {
		pkg = block
		sub(/\/[^\/]*$/, "", pkg) # drop /FILE:START,END
		sub("^" module "/", "", pkg)
		pkgs[pkg] = 1
		total[pkg] += stmts[block]
		all += stmts[block]
		if ((1, block) in hit) {
			unit[pkg] += stmts[block]
			unitAll += stmts[block]
		}
		if ((1, block) in hit || (2, block) in hit) {
			both[pkg] += stmts[block]
			bothAll += stmts[block]
		}
	}
	n = 0
	for (pkg in pkgs) {
		names[++n] = pkg
	}
	# Insertion sort: awk has no portable sort.
	for (i = 2; i <= n; i++) {
		for (j = i; j > 1 && names[j - 1] > names[j]; j--) {
			t = names[j]; names[j] = names[j - 1]; names[j - 1] = t
		}
	}
	printf "%-24s %10s %10s %10s\n", "package", "statements", "unit", "unit+e2e"
	for (i = 1; i <= n; i++) {
		pkg = names[i]
		printf "%-24s %10d %9.1f%% %9.1f%%\n", pkg, total[pkg], 100 * unit[pkg] / total[pkg], 100 * both[pkg] / total[pkg]
	}
	printf "%-24s %10d %9.1f%% %9.1f%%\n", "total", all, 100 * unitAll / all, 100 * bothAll / all
}
