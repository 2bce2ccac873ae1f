// app_user repository.
#include "store/users.h"

#include <soci/soci.h>

#include "store/rows.h"

namespace webpods::store {

namespace {

constexpr const char* kUserById =
    "SELECT id, auth_id, email, name, provider FROM user_row WHERE uuid = CAST(:id AS uuid)";
constexpr const char* kUserByAuthId =
    "SELECT id, auth_id, email, name, provider FROM user_row WHERE auth_id = :auth_id";
constexpr const char* kListUsers =
    "SELECT id, auth_id, email, name, provider FROM user_row ORDER BY created_at";

std::optional<User> find_user(Tx& tx, const char* statement, const std::string& key) {
    soci::row row;
    tx.sql() << statement, soci::use(key), soci::into(row);
    if (!tx.sql().got_data()) {
        return std::nullopt;
    }
    return user_from(row);
}

constexpr const char* kUpsertUser =
    "INSERT INTO app_user (auth_id, provider, email, name) "
    "VALUES (:auth_id, :provider, nullif(:email, ''), nullif(:name, '')) "
    "ON CONFLICT (auth_id) DO UPDATE SET "
    "  email = coalesce(EXCLUDED.email, app_user.email), "
    "  name = coalesce(EXCLUDED.name, app_user.name), "
    "  updated_at = now() "
    "RETURNING id::text, auth_id, coalesce(email, ''), coalesce(name, ''), provider";

}  // namespace

bool is_uuid(const std::string& text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (dash_position ? c != '-' : !hex) {
            return false;
        }
    }
    return true;
}

std::optional<User> find_user_by_id(Tx& tx, const std::string& id) {
    // A malformed uuid is simply no user, never an SQL error.
    if (!is_uuid(id)) {
        return std::nullopt;
    }
    return find_user(tx, kUserById, id);
}

std::optional<User> find_user_by_auth_id(Tx& tx, const std::string& auth_id) {
    return find_user(tx, kUserByAuthId, auth_id);
}

std::vector<User> list_users(Tx& tx) {
    std::vector<User> users;
    const soci::rowset<soci::row> rows = (tx.sql().prepare << kListUsers);
    for (const soci::row& row : rows) {
        users.push_back(user_from(row));
    }
    return users;
}

User upsert_user(Tx& tx,
                 const std::string& auth_id,
                 const std::string& provider,
                 const std::string& email,
                 const std::string& name) {
    User user;
    soci::session& sql = tx.sql();
    sql << kUpsertUser, soci::use(auth_id, "auth_id"), soci::use(provider, "provider"),
        soci::use(email, "email"), soci::use(name, "name"), soci::into(user.id),
        soci::into(user.auth_id), soci::into(user.email), soci::into(user.name),
        soci::into(user.provider);

    return user;
}

}  // namespace webpods::store
