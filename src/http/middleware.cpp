#include "http/middleware.hpp"

#include <algorithm>
#include <cctype>
#include <exception>

#include "common/log.hpp"
#include "common/random.hpp"
#include "http/problem.hpp"

namespace molvault::http {
namespace {

constexpr std::size_t kMaxRequestIdLength = 128;
constexpr std::size_t kGeneratedRequestIdBytes = 16;
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
constexpr std::string_view kPreflightMaxAgeSeconds = "600";
constexpr std::string_view kAllowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
constexpr std::string_view kAllowedHeaders =
    "Authorization, Content-Type, X-CSRF-Token, X-Request-ID";
constexpr std::string_view kExposedHeaders =
    "X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, "
    "ETag";

bool valid_request_id(std::string_view id) {
    return !id.empty() && id.size() <= kMaxRequestIdLength &&
           std::all_of(id.begin(), id.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' ||
                      c == '-';
           });
}

}  // namespace

void assign_request_id(Request& request) {
    const auto given = request.header("X-Request-ID");
    request.request_id =
        given && valid_request_id(*given) ? *given : random_hex(kGeneratedRequestIdBytes);
}

void apply_security_headers(Response& response, bool production) {
    response.set("X-Content-Type-Options", "nosniff");
    response.set("X-Frame-Options", "DENY");
    response.set("X-XSS-Protection", "1; mode=block");
    response.set("Referrer-Policy", "strict-origin-when-cross-origin");
    if (!response.headers.contains("Content-Security-Policy")) {
        response.set("Content-Security-Policy", std::string(kContentSecurityPolicy));
    }
    if (!response.headers.contains("Cache-Control")) {
        response.set("Cache-Control", "no-store");
    }
    if (production) {
        response.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    }
}

Middleware security_headers(bool production) {
    return [production](Request& request, const Handler& next) {
        auto response = next(request);
        apply_security_headers(response, production);
        return response;
    };
}

Middleware catch_all() {
    return [](Request& request, const Handler& next) {
        try {
            return next(request);
        } catch (const Error& error) {
            return problem_response(error, request.request_id);
        } catch (const std::exception& error) {
            log::error(
                "unhandled_exception",
                {{"request_id", request.request_id},
                 {"route", request.route},
                 {"exception", error.what()}}
            );
        } catch (...) {
            log::error(
                "unhandled_exception",
                {{"request_id", request.request_id}, {"route", request.route}}
            );
        }
        return problem_response(
            status::kInternalServerError,
            "An unexpected error occurred; quote the request id when reporting it",
            request.request_id
        );
    };
}

Middleware cors(std::vector<std::string> allowed_origins) {
    return [origins = std::move(allowed_origins)](Request& request, const Handler& next) {
        const auto origin = request.header("Origin");
        if (!origin) {
            return next(request);
        }
        const bool allowed = std::find(origins.begin(), origins.end(), *origin) != origins.end();
        const bool preflight = request.method == "OPTIONS" &&
                               request.headers.contains("Access-Control-Request-Method");
        if (preflight) {
            if (!allowed) {
                return problem_response(
                    status::kForbidden, "This origin is not allowed", request.request_id
                );
            }
            Response response;
            response.status = status::kNoContent;
            response.set("Access-Control-Allow-Methods", std::string(kAllowedMethods));
            response.set("Access-Control-Allow-Headers", std::string(kAllowedHeaders));
            response.set("Access-Control-Max-Age", std::string(kPreflightMaxAgeSeconds));
            response.set("Access-Control-Allow-Origin", *origin);
            response.set("Access-Control-Allow-Credentials", "true");
            response.set("Vary", "Origin");
            return response;
        }
        auto response = next(request);
        response.set("Vary", "Origin");
        if (allowed) {
            response.set("Access-Control-Allow-Origin", *origin);
            response.set("Access-Control-Allow-Credentials", "true");
            response.set("Access-Control-Expose-Headers", std::string(kExposedHeaders));
        }
        return response;
    };
}

Middleware access_log(RequestObserver& observer) {
    return [&observer](Request& request, const Handler& next) {
        const auto start = std::chrono::steady_clock::now();
        observer.request_started();
        Response response;
        try {
            response = next(request);
        } catch (...) {
            observer.request_finished(
                request.method,
                request.route,
                status::kInternalServerError,
                std::chrono::steady_clock::now() - start
            );
            throw;
        }
        const auto elapsed = std::chrono::steady_clock::now() - start;
        observer.request_finished(request.method, request.route, response.status, elapsed);
        log::Fields fields = {
            {"request_id", request.request_id},
            {"method", request.method},
            {"path", request.path},
            {"route", request.route},
            {"status", response.status},
            {"duration_ms", std::chrono::duration<double, std::milli>(elapsed).count()},
            {"client_ip", request.client_ip}};
        if (response.stream) {
            fields["streamed"] = true;  // bytes follow in http_stream_finished
        } else {
            fields["bytes"] = response.body.size();
        }
        log::info("http_request", std::move(fields));
        return response;
    };
}

}  // namespace molvault::http
