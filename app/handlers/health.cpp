// Health check: one round trip to PostgreSQL, and one to each read replica.
#include "handlers/health.h"

#include <vector>

#include "errors/errors.h"
#include "json/writer.h"
#include "store/database.h"
#include "store/replicas.h"

namespace webpods::handlers {

namespace {

// SPEC §14: "replicas":[{"host":..,"port":..,"state":"ok"|"down","lag_bytes":N|null}].
void write_replicas(json::Writer& writer, const std::vector<store::ReplicaHealth>& replicas) {
    writer.key("replicas").begin_array();
    for (const store::ReplicaHealth& replica : replicas) {
        writer.begin_object().key("host").string(replica.host).key("port").integer(replica.port);
        writer.key("state").string(replica.up ? "ok" : "down").key("lag_bytes");
        if (replica.lag_bytes) {
            writer.integer(*replica.lag_bytes);
        } else {
            writer.null();
        }
        writer.end_object();
    }
    writer.end_array();
}

}  // namespace

http::Response health(const Worker& worker) {
    std::vector<store::ReplicaHealth> replicas;
    bool has_replicas = false;
    try {
        worker.database.run(store::Retry::kAlsoAfterLostConnection, [&](store::Tx& tx) {
            store::ping(tx);
            has_replicas = !tx.replicas().empty();
            replicas = store::replica_health(tx);
        });
    } catch (const errors::Error&) {
        return http::Response::json(
            503,
            R"({"status":"unhealthy","database":"disconnected","version":")" WEBPODS_VERSION
            R"(","error":{"code":"DATABASE_UNAVAILABLE","message":"Database unavailable"}})");
    }
    json::Writer writer;
    writer.begin_object().key("status").string("healthy").key("database").string("connected");
    writer.key("version").string(WEBPODS_VERSION);
    if (has_replicas) {
        write_replicas(writer, replicas);
    }
    writer.end_object();
    return http::Response::json(200, std::move(writer).take());
}

}  // namespace webpods::handlers
