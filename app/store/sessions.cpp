// session repository.
#include "store/sessions.h"

#include <soci/soci.h>

#include "store/database.h"

namespace webpods::store {

namespace {

// A login is the natural moment to sweep: expired rows are never read again.
constexpr const char* kPurgeExpiredSessions = "DELETE FROM session WHERE expires_at < now()";

constexpr const char* kInsertSession =
    "INSERT INTO session (id, user_id, expires_at) "
    "VALUES (:id, CAST(:user_id AS uuid), now() + make_interval(secs => :lifetime)) "
    "RETURNING id, "
    "  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "  to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

// Sliding expiry: every use of a live session pushes its end out again.
constexpr const char* kTouchSession =
    "WITH touched AS ("
    "  UPDATE session SET expires_at = now() + make_interval(secs => :lifetime) "
    "  WHERE id = :id AND expires_at > now() RETURNING *) "
    "SELECT touched.id, "
    "  to_char(touched.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "  to_char(touched.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "  u.id::text, u.auth_id, coalesce(u.email, ''), coalesce(u.name, ''), u.provider "
    "FROM touched JOIN app_user u ON u.id = touched.user_id";

constexpr const char* kListSessions =
    "SELECT id, created_at, expires_at FROM session_row "
    "WHERE user_id = CAST(:user_id AS uuid) AND live ORDER BY created DESC, id";

constexpr const char* kDeleteSession = "DELETE FROM session WHERE id = :id";

constexpr const char* kDeleteUserSession =
    "DELETE FROM session "
    "WHERE id = :id AND user_id = CAST(:user_id AS uuid) AND expires_at > now()";

constexpr const char* kDeleteUserSessions =
    "WITH gone AS (DELETE FROM session WHERE user_id = CAST(:user_id AS uuid) "
    "              RETURNING expires_at) "
    "SELECT count(*) FILTER (WHERE expires_at > now()) FROM gone";

}  // namespace

Session create_session(Tx& tx,
                       const std::string& id,
                       const std::string& user_id,
                       long long lifetime_seconds) {
    const auto lifetime = static_cast<double>(lifetime_seconds);
    Session session;
    soci::session& sql = tx.sql();
    sql << kPurgeExpiredSessions;
    sql << kInsertSession, soci::use(id, "id"), soci::use(user_id, "user_id"),
        soci::use(lifetime, "lifetime"), soci::into(session.id), soci::into(session.created_at),
        soci::into(session.expires_at);

    return session;
}

std::optional<SessionOwner> touch_session(Tx& tx,
                                          const std::string& id,
                                          long long lifetime_seconds) {
    const auto lifetime = static_cast<double>(lifetime_seconds);
    std::optional<SessionOwner> found;
    soci::session& sql = tx.sql();
    found.reset();
    SessionOwner owner;
    soci::indicator present = soci::i_null;
    sql << kTouchSession, soci::use(lifetime, "lifetime"), soci::use(id, "id"),
        soci::into(owner.session.id, present), soci::into(owner.session.created_at),
        soci::into(owner.session.expires_at), soci::into(owner.user.id),
        soci::into(owner.user.auth_id), soci::into(owner.user.email), soci::into(owner.user.name),
        soci::into(owner.user.provider);
    if (sql.got_data() && present == soci::i_ok) {
        found = std::move(owner);
    }

    return found;
}

std::vector<Session> list_sessions(Tx& tx, const std::string& user_id) {
    std::vector<Session> sessions;
    soci::session& sql = tx.sql();
    sessions.clear();
    const soci::rowset<soci::row> rows =
        (sql.prepare << kListSessions, soci::use(user_id, "user_id"));
    for (const soci::row& row : rows) {
        sessions.push_back(Session{row.get<std::string>("id"),
                                   row.get<std::string>("created_at"),
                                   row.get<std::string>("expires_at")});
    }

    return sessions;
}

bool delete_session(Tx& tx, const std::string& id) {
    bool deleted = false;
    soci::session& sql = tx.sql();
    soci::statement statement = (sql.prepare << kDeleteSession, soci::use(id, "id"));
    statement.execute(true);
    deleted = statement.get_affected_rows() > 0;

    return deleted;
}

bool delete_user_session(Tx& tx, const std::string& user_id, const std::string& id) {
    bool deleted = false;
    soci::session& sql = tx.sql();
    soci::statement statement =
        (sql.prepare << kDeleteUserSession, soci::use(id, "id"), soci::use(user_id, "user_id"));
    statement.execute(true);
    deleted = statement.get_affected_rows() > 0;

    return deleted;
}

long long delete_user_sessions(Tx& tx, const std::string& user_id) {
    long long count = 0;
    soci::session& sql = tx.sql();
    sql << kDeleteUserSessions, soci::use(user_id, "user_id"), soci::into(count);
    return count;
}

}  // namespace webpods::store
