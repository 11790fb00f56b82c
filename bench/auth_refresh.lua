-- wrk script for bench/auth.sh: POST /api/v1/auth/refresh with {"refresh_token": ...}, every
-- request with a token that has never been used, so each one takes the normal rotation path
-- (revoke the token, insert its successor, sign an access token). Reusing a token would measure
-- something else: within REFRESH_REUSE_GRACE_SECONDS the sealed successor is handed back (no
-- insert), after it the token's family is revoked as stolen (401).
--
-- The tokens are live sessions auth.sh created beforehand, one per line of the file
-- BENCH_TOKENS. Thread k of BENCH_THREADS takes lines k, k + BENCH_THREADS, ... A thread that
-- runs out sends "exhausted" (401 unknown token); auth.sh reports that and asks for more.
local next_id = 0

function setup(thread)
    thread:set("thread_id", next_id)
    next_id = next_id + 1
end

function init(args)
    local threads = tonumber(os.getenv("BENCH_THREADS"))
    tokens = {}
    local line_number = 0
    for line in io.lines(os.getenv("BENCH_TOKENS")) do
        if line_number % threads == thread_id then
            tokens[#tokens + 1] = line
        end
        line_number = line_number + 1
    end
    next_token = 1
    headers = { ["Content-Type"] = "application/json" }
end

function request()
    local token = tokens[next_token] or "exhausted"
    next_token = next_token + 1
    return wrk.format("POST", nil, headers, '{"refresh_token":"' .. token .. '"}')
end
