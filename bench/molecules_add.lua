-- wrk script for bench/molecules.sh: POST /api/v1/projects/BENCH_PROJECT/molecules with
-- {"smiles": ..., "name": ...} and a Bearer token (BENCH_TOKEN). The molecules come from the
-- file BENCH_SMILES ("SMILES<TAB>NAME" lines, all distinct); thread k of n sends lines k,
-- k+n, k+2n, ..., so no two requests add the same structure while the file lasts (after
-- that a thread starts over and gets 409 Conflict, which wrk counts as non-2xx).
local threads = 0

function setup(thread)
    thread:set("id", threads)
    threads = threads + 1
end

local rows = {}
local next_index = 1
local step = 1

local function json_string(text)
    return '"' .. text:gsub('[%c"\\]', function(c)
        return string.format("\\u%04x", c:byte())
    end) .. '"'
end

function init(args)
    step = tonumber(os.getenv("BENCH_THREADS"))
    for line in io.lines(os.getenv("BENCH_SMILES")) do
        local smiles, name = line:match("^([^\t]+)\t?(.*)$")
        if smiles then
            rows[#rows + 1] = '{"smiles":' .. json_string(smiles) .. ',"name":' ..
                json_string(name) .. '}'
        end
    end
    next_index = id + 1
    wrk.method = "POST"
    wrk.path = "/api/v1/projects/" .. os.getenv("BENCH_PROJECT") .. "/molecules"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

function request()
    local body = rows[next_index]
    next_index = next_index + step
    if next_index > #rows then
        next_index = id + 1
    end
    return wrk.format(nil, nil, nil, body)
end
