// The session table: browser logins on the main domain (cookie webpods.sid), with sliding expiry.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/users.h"

namespace webpods::store {

struct Session {
    std::string id;          // the stored key (not the cookie value: see auth/sessions.cpp)
    std::string created_at;  // ISO-8601 UTC, milliseconds
    std::string expires_at;
};

// A live session with the user it belongs to.
struct SessionOwner {
    Session session;
    User user;
};

// Purges every expired session, then stores a new one for user_id (a uuid of an existing user)
// that lives lifetime_seconds.
Session create_session(Tx& tx,
                       const std::string& id,
                       const std::string& user_id,
                       long long lifetime_seconds);

// The live session with this id, its expiry pushed to now + lifetime_seconds (sliding); nullopt
// when there is none or it has expired.
std::optional<SessionOwner> touch_session(Tx& tx,
                                          const std::string& id,
                                          long long lifetime_seconds);

// The user's live sessions, newest first.
std::vector<Session> list_sessions(Tx& tx, const std::string& user_id);

// Deletes one session whatever its owner; false when there was none.
bool delete_session(Tx& tx, const std::string& id);

// Deletes one of the user's sessions; false when the user has no live session with that id.
bool delete_user_session(Tx& tx, const std::string& user_id, const std::string& id);

// Deletes all of the user's sessions; returns how many of them were still live.
long long delete_user_sessions(Tx& tx, const std::string& user_id);

}  // namespace webpods::store
