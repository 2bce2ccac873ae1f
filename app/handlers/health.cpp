// Health check: one round trip to PostgreSQL.
#include "handlers/health.h"

#include "errors/errors.h"
#include "store/database.h"

namespace webpods::handlers {

http::Response health(const Worker& worker) {
    try {
        worker.database.run(store::Retry::kAlsoAfterLostConnection,
                            [](store::Tx& tx) { store::ping(tx); });
        return http::Response::json(
            200,
            R"({"status":"healthy","database":"connected","version":")" WEBPODS_VERSION R"("})");
    } catch (const errors::Error&) {
        return http::Response::json(
            503,
            R"({"status":"unhealthy","database":"disconnected","version":")" WEBPODS_VERSION
            R"(","error":{"code":"DATABASE_UNAVAILABLE","message":"Database unavailable"}})");
    }
}

}  // namespace webpods::handlers
