// Migration runner.
#include "store/migrations.h"

#include <soci/soci.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/database.h"

namespace webpods::store {

namespace {

constexpr const char* kCreateLedger =
    "CREATE TABLE IF NOT EXISTS schema_migration ("
    "  name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())";
constexpr const char* kLock = "SELECT pg_advisory_xact_lock(7243000001)";
constexpr const char* kIsApplied = "SELECT count(*) FROM schema_migration WHERE name = :name";
constexpr const char* kRecordApplied = "INSERT INTO schema_migration (name) VALUES (:name)";

std::string read_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

}  // namespace

std::vector<std::string> apply_migrations(Tx& tx, const std::string& directory) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        if (entry.path().extension() == ".sql") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> applied;
    soci::session& sql = tx.sql();
    sql << kCreateLedger;
    for (const auto& file : files) {
        const std::string name = file.filename().string();
        Atomic atomic(tx);
        sql << kLock;
        long long done = 0;
        sql << kIsApplied, soci::use(name, "name"), soci::into(done);
        if (done > 0) {
            continue;  // the transaction rolls back: nothing to do
        }
        execute_script(tx, read_file(file));
        sql << kRecordApplied, soci::use(name, "name");
        atomic.commit();
        applied.push_back(name);
    }

    return applied;
}

}  // namespace webpods::store
