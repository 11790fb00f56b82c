-- wrk script for bench/auth.sh: POST /api/v1/auth/login with the JSON body
-- {"email": BENCH_EMAIL, "password": BENCH_PASSWORD}. Both come from the environment and must
-- not contain '"' or '\' (auth.sh chooses them).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format(
    '{"email":"%s","password":"%s"}', os.getenv("BENCH_EMAIL"), os.getenv("BENCH_PASSWORD")
)
