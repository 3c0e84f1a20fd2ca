#!/usr/bin/env bash
# The end of `make test`: the output of every test that did not pass, then one line
# "N passed, N failed, N skipped" (CI reads that last line).
#
# Usage: scripts/test_summary.sh XUNIT LOG
#   XUNIT  the xUnit report of `swift test --parallel --xunit-output XUNIT`: the list of tests that ran,
#          and which failed (a test that crashed has no result line in the log, but fails here).
#   LOG    the console output of the same run with -v, which prints every test's own output,
#          including XCTest's "Test Case 'Class.test' skipped (…)" line.
# XCTest on Linux writes skipped tests into the xUnit report as passed (no <skipped/>), so the skips
# are taken from the log: a test the report does not fail counts as skipped when its own
# "Test Case 'Class.test' skipped" line is in the log.
set -euo pipefail
xunit=$1 log=$2

# Each parallel test prints one block, from "Test Suite 'Selected tests' started" to a blank line;
# print the blocks of tests that neither passed nor skipped, as the non-verbose run does.
awk '
    /^Test Suite .Selected tests. started/ { inblock = 1; block = ""; ok = 0 }
    inblock {
        block = block $0 "\n"
        if ($0 ~ /^Test Case .* (passed|skipped) \([0-9.]+ seconds\)$/) ok = 1
        if ($0 == "") { if (!ok) printf "%s", block; inblock = 0 }
    }
    END { if (inblock && !ok) printf "%s", block }
' "$log"

# Skipped tests as "Class.test", from their own result lines.
skips=$(sed -n "s/^Test Case '\([^']*\)' skipped ([0-9.]* seconds)\$/\1/p" "$log" | sort -u)

awk -v skips="$skips" '
    BEGIN { n = split(skips, list, "\n"); for (i = 1; i <= n; i++) if (list[i] != "") skipped[list[i]] = 1 }
    function close_case() {
        if (!open) return
        if (failed) nfailed++; else if (name in skipped) nskipped++; else npassed++
        open = 0
    }
    /<testcase / {
        close_case()
        # classname="Module.Class" name="testX": XCTest names the case "Class.testX".
        class = $0; sub(/.*classname="/, "", class); sub(/".*/, "", class); sub(/^[^.]*\./, "", class)
        test = $0; sub(/.* name="/, "", test); sub(/".*/, "", test)
        name = class "." test; open = 1; failed = 0
    }
    /<failure/ { failed = 1 }
    /<\/testcase>/ { close_case() }
    END { close_case(); printf "%d passed, %d failed, %d skipped\n", npassed, nfailed, nskipped }
' "$xunit"
