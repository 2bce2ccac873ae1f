// The app_user table: who can hold a token.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/types.h"

namespace webpods::store {

// Whether text is a uuid in its canonical 8-4-4-4-12 hex form.
bool is_uuid(const std::string& text);

std::optional<User> find_user_by_id(Tx& tx, const std::string& id);
std::optional<User> find_user_by_auth_id(Tx& tx, const std::string& auth_id);

// Every user, oldest first.
std::vector<User> list_users(Tx& tx);

// Creates the user, or refreshes email and name of the existing one with that auth_id.
User upsert_user(Tx& tx,
                 const std::string& auth_id,
                 const std::string& provider,
                 const std::string& email,
                 const std::string& name);

}  // namespace webpods::store
