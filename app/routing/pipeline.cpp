// The request pipeline: authenticate, charge and load, handler, common headers.
#include "routing/pipeline.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <optional>

#include "auth/cookies.h"
#include "auth/principal.h"
#include "encoding/encoding.h"
#include "errors/errors.h"
#include "handlers/pod_access.h"
#include "handlers/rate_limit.h"
#include "ids/ids.h"
#include "store/streams.h"

namespace webpods::routing {

namespace {

using errors::Code;
using errors::Error;
using handlers::RequestContext;

std::optional<auth::Principal> authenticate(AuthPolicy policy, RequestContext& context) {
    if (policy == AuthPolicy::kNone) {
        return std::nullopt;
    }
    const auto cookie = policy == AuthPolicy::kMainToken ? auth::TokenCookie::kMainToken
                                                         : auth::TokenCookie::kPodToken;
    auto principal = auth::authenticate(context.request,
                                        cookie,
                                        context.worker.config.jwt_secret,
                                        context.tx(),
                                        context.worker.cache.known_users());
    const std::string& pod = context.route.pod;
    switch (policy) {
        case AuthPolicy::kNone:
            break;
        case AuthPolicy::kPodReader:
            if (principal && principal->pod && *principal->pod != pod) {
                throw Error(Code::kPodMismatch);
            }
            break;
        case AuthPolicy::kPodWriter:
            if (!principal) {
                throw Error(Code::kUnauthorized);
            }
            if (!principal->pod || *principal->pod != pod) {
                throw Error(Code::kPodMismatch);
            }
            break;
        case AuthPolicy::kMainToken:
            if (!principal) {
                throw Error(Code::kUnauthenticated);
            }
            break;
    }
    return principal;
}

// The origin of this host as nginx received the request: what a page of its own sends as Origin.
std::string own_origin(const http::Request& request) {
    const std::string_view default_port = request.https ? "443" : "80";
    std::string origin = (request.https ? "https://" : "http://") + request.host;
    if (!request.server_port.empty() && request.server_port != default_port) {
        origin += ":" + request.server_port;
    }
    return origin;
}

bool carries_credential_cookie(const http::Request& request) {
    static constexpr std::array<auth::CookieId, 3> kCredentials{
        auth::CookieId::kSession, auth::CookieId::kMainToken, auth::CookieId::kPodToken};
    return std::any_of(kCredentials.begin(), kCredentials.end(), [&request](auth::CookieId id) {
        return auth::read_cookie(request, id).has_value();
    });
}

// SPEC §9: to a browser every pod is the same site, so SameSite cookies do not keep one pod's
// page from writing to another. A state change that a cookie authenticates must come from a
// page of this very origin; one that carries Authorization was made by code holding the token.
void check_origin(const RequestContext& context) {
    const http::Request& request = context.request;
    const bool changes_state =
        request.method == http::Method::kPost || request.method == http::Method::kDelete;
    if (!changes_state || !request.header("authorization").empty() ||
        !carries_credential_cookie(request)) {
        return;
    }
    const std::string origin = encoding::ascii_lower(request.header("origin"));
    const bool same_origin = origin.empty() ? request.header("sec-fetch-site") == "same-origin"
                                            : origin == own_origin(request);
    if (!same_origin) {
        throw Error(Code::kCrossOriginRequest,
                    {},
                    "Origin '" + origin.substr(0, 128) + "' on " + own_origin(request));
    }
}

std::string context_stream(PodContextOf pod_context, const RequestContext& context) {
    switch (pod_context) {
        case PodContextOf::kNone:
        case PodContextOf::kPathStream:
            return context.route.stream_id;
        case PodContextOf::kOwnerStream:
            return std::string(handlers::kOwnerStream);
        case PodContextOf::kLinksStream:
            return std::string(handlers::kLinksStream);
        case PodContextOf::kStreamsListing:
            return std::string(handlers::kStreamsListing);
    }
    return context.route.stream_id;
}

handlers::RateAction action_of(Charge charge) {
    switch (charge) {
        case Charge::kRead:
            return handlers::RateAction::kRead;
        case Charge::kLogin:
            return handlers::RateAction::kLogin;
        case Charge::kNone:
        case Charge::kWrite:
            break;
    }
    return handlers::RateAction::kWrite;
}

// A read by index gets its record in the same statement as the context.
std::optional<long long> prefetched_index(const Route& route, const RequestContext& context) {
    if (route.charge != Charge::kRead || route.pod_context != PodContextOf::kPathStream) {
        return std::nullopt;
    }
    const auto found = context.query.find("i");
    if (found == context.query.end()) {
        return std::nullopt;
    }
    const auto index = ids::parse_index_query(found->second);
    if (!index || index->end) {
        return std::nullopt;
    }
    return index->first;
}

// The end of the current clock-hour window (UTC), in Unix seconds, as PostgreSQL computes it.
long long current_window_end() {
    constexpr long long kHour = 3600;
    return (static_cast<long long>(std::time(nullptr)) / kHour + 1) * kHour;
}

// Counts the request as the route's action and loads the route's pod context, in one round
// trip; the status is for the X-RateLimit-* headers. The worker's RateLedger decides whether the
// count is written now (with those it admitted from memory since) or only remembered.
std::optional<handlers::RateLimitStatus> charge_and_load(const Route& route,
                                                         RequestContext& context) {
    const bool counted = route.charge != Charge::kNone && handlers::is_rate_limited(context.worker);
    const handlers::RateAction action = action_of(route.charge);
    std::optional<store::RateCount> count;
    std::optional<store::WindowCount> window;
    const long long window_end = current_window_end();
    if (counted) {
        count = handlers::rate_count(context, action);
        const handlers::RateLedger::Ticket ticket =
            context.worker.cache.rate_ledger().take(count->identity + ' ' + count->action,
                                                    handlers::rate_limit_of(context.worker, action),
                                                    window_end,
                                                    handlers::RateLedger::Clock::now());
        if (ticket.amount == 0) {
            window = store::WindowCount{ticket.count, window_end};
            count.reset();  // decided from memory: nothing to write
        } else {
            count->amount = ticket.amount;
        }
    }
    const std::string ledger_key = count ? count->identity + ' ' + count->action : std::string{};
    if (route.pod_context == PodContextOf::kNone) {
        if (count) {
            window = store::count_request(context.tx(), *count);
        }
    } else {
        auto loaded = store::load_request_context(context.tx(),
                                                  {context.route.pod,
                                                   context_stream(route.pod_context, context),
                                                   prefetched_index(route, context),
                                                   count});
        context.pod = std::move(loaded.pod);
        if (loaded.window) {
            window = loaded.window;
        }
    }
    if (!window) {
        return std::nullopt;
    }
    if (count) {
        context.worker.cache.rate_ledger().settle(ledger_key, window->resets_at, window->count);
    }
    return handlers::judge_window(context, action, *window);
}

store::Retry retry_of(http::Method method) {
    return method == http::Method::kGet || method == http::Method::kHead
               ? store::Retry::kAlsoAfterLostConnection
               : store::Retry::kAfterRollback;
}

void add_rate_limit_headers(http::Response& response,
                            const std::optional<handlers::RateLimitStatus>& status) {
    if (status) {
        for (auto& [name, value] : handlers::rate_limit_headers(*status)) {
            response.set_header(std::move(name), std::move(value));
        }
    }
}

// Sends a streamed answer while the transaction that reads its rows is open. Once the head is
// out, a failure can no longer become an error envelope (nor be retried).
void send_streamed(http::Response& response, http::Output& output) {
    output.send_head(response);
    try {
        response.produce_body([&output](std::string_view piece) { output.send_body(piece); });
    } catch (const std::exception& error) {
        throw http::AnswerCutShort(error.what());
    }
    response.sent = true;
}

}  // namespace

http::Response run_pipeline(const Route& route,
                            const handlers::Worker& worker,
                            const http::Request& request,
                            handlers::RouteParams params,
                            http::Output& output) {
    http::QueryParams query = http::parse_query(request.query_string);
    if (route.lease == Lease::kNone) {
        RequestContext context{
            worker, request, nullptr, std::move(query), std::move(params), {}, {}};
        return route.handler(context);
    }
    std::optional<handlers::RateLimitStatus> status;
    http::Response response = worker.database.run(retry_of(request.method), [&](store::Tx& tx) {
        status.reset();
        RequestContext context{worker, request, &tx, query, params, {}, {}};
        context.principal = authenticate(route.auth, context);
        check_origin(context);
        status = charge_and_load(route, context);
        http::Response answer;
        try {
            answer = route.handler(context);
        } catch (Error& error) {
            if (status) {
                for (auto& [name, value] : handlers::rate_limit_headers(*status)) {
                    error.with_header(std::move(name), std::move(value));
                }
            }
            throw;
        }
        if (answer.produce_body) {
            add_rate_limit_headers(answer, status);
            send_streamed(answer, output);
        }
        return answer;
    });
    if (!response.sent) {
        add_rate_limit_headers(response, status);
    }
    return response;
}

}  // namespace webpods::routing
