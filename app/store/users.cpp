// app_user repository.
#include "store/users.h"

#include <soci/soci.h>

#include "store/database.h"

namespace webpods::store {

namespace {

constexpr const char* kUserColumns =
    "SELECT id::text, auth_id, coalesce(email, ''), coalesce(name, ''), provider FROM app_user ";

std::optional<User> find_user(soci::session& sql, const char* where, const std::string& value) {
    std::optional<User> found;
    run(sql, [&] {
        User user;
        soci::indicator present = soci::i_null;
        sql << std::string(kUserColumns) + where, soci::use(value), soci::into(user.id, present),
            soci::into(user.auth_id), soci::into(user.email), soci::into(user.name),
            soci::into(user.provider);
        if (sql.got_data() && present == soci::i_ok) {
            found = std::move(user);
        }
    });
    return found;
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

std::optional<User> find_user_by_id(soci::session& sql, const std::string& id) {
    // A malformed uuid is simply no user, never an SQL error.
    if (!is_uuid(id)) {
        return std::nullopt;
    }
    return find_user(sql, "WHERE id = CAST(:id AS uuid)", id);
}

std::optional<User> find_user_by_auth_id(soci::session& sql, const std::string& auth_id) {
    return find_user(sql, "WHERE auth_id = :auth_id", auth_id);
}

std::vector<User> list_users(soci::session& sql) {
    std::vector<User> users;
    run(sql, [&] {
        users.clear();
        const soci::rowset<soci::row> rows =
            (sql.prepare << std::string(kUserColumns) + "ORDER BY created_at");
        for (const soci::row& row : rows) {
            users.push_back(User{row.get<std::string>(0),
                                 row.get<std::string>(1),
                                 row.get<std::string>(2),
                                 row.get<std::string>(3),
                                 row.get<std::string>(4)});
        }
    });
    return users;
}

User upsert_user(soci::session& sql,
                 const std::string& auth_id,
                 const std::string& provider,
                 const std::string& email,
                 const std::string& name) {
    User user;
    run(sql, [&] {
        sql << kUpsertUser, soci::use(auth_id, "auth_id"), soci::use(provider, "provider"),
            soci::use(email, "email"), soci::use(name, "name"), soci::into(user.id),
            soci::into(user.auth_id), soci::into(user.email), soci::into(user.name),
            soci::into(user.provider);
    });
    return user;
}

}  // namespace webpods::store
