# shellcheck shell=bash
# Shared by the wrk-based benchmarks: one summary line per wrk --latency report.
# Sourced, not run.

# wrk_summary FILE: one line from a wrk report ("Requests/sec:", the 50% and 99% latencies,
# non-2xx responses and socket errors).
wrk_summary() {
    awk '
        /^ +[0-9]+ requests in /           { requests = $1 }
        /^Requests\/sec:/                  { rps = $2 }
        /^ +50% /                          { p50 = $2 }
        /^ +99% /                          { p99 = $2 }
        /Non-2xx or 3xx responses:/        { bad = $NF }
        /Socket errors:/                   { errors = $0; sub(/^ */, "", errors) }
        END {
            if (requests == 0) {
                print "no request completed: all were still waiting when wrk stopped"
                exit
            }
            line = sprintf("%s requests, %s requests/s, p50 %s, p99 %s", requests, rps, p50, p99)
            if (bad != "")    line = line ", non-2xx " bad
            if (errors != "") line = line ", " errors
            print line
        }' "$1"
}
