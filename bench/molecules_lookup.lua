-- wrk script for bench/molecules.sh: GET /api/v1/molecules/lookup?smiles=... with a Bearer
-- token, cycling through the request paths in the file BENCH_QUERIES (one per line, already
-- URL-encoded; present and absent structures interleaved). Each thread starts at its own
-- offset so the threads do not ask the same structure at the same moment.
local threads = 0

function setup(thread)
    thread:set("id", threads)
    threads = threads + 1
end

local paths = {}
local next_index = 1

function init(args)
    for line in io.lines(os.getenv("BENCH_QUERIES")) do
        paths[#paths + 1] = line
    end
    next_index = (id * 7919) % #paths + 1
    wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

function request()
    local path = paths[next_index]
    next_index = next_index % #paths + 1
    return wrk.format("GET", path)
end
