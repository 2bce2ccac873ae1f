// The oauth_state table: one row per login in progress, used once, gone after ten minutes.
#pragma once

#include <optional>
#include <string>

#include "store/database.h"

namespace webpods::store {

// What a login remembers between /auth/{provider} and its callback.
struct OAuthState {
    std::string provider;
    std::string code_verifier;  // PKCE secret: never logged
    std::string pod;            // empty for a plain login
    std::string redirect;       // already sanitised; empty when none was given
    std::string browser_key;    // the key of the browser's state cookie (auth::bind_login)
    std::string pod_state;      // the pod's state from its /login; empty for a plain login
};

// Stores a new state valid for lifetime_seconds and purges expired rows. Throws
// Error(Conflict) in the (random, 256-bit) case of a duplicate state, like run().
void insert_oauth_state(Tx& tx,
                        const std::string& state,
                        const OAuthState& login,
                        long long lifetime_seconds);

// Deletes the state and returns what it remembered, if it existed and had not expired. One
// statement, so two callbacks racing with the same state cannot both get it.
std::optional<OAuthState> take_oauth_state(Tx& tx, const std::string& state);

}  // namespace webpods::store
