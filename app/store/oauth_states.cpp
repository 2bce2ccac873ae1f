// oauth_state repository.
#include "store/oauth_states.h"

#include <soci/soci.h>

#include "store/database.h"

namespace webpods::store {

namespace {

// Expired states are never read again; whoever starts a login sweeps them.
constexpr const char* kPurgeExpiredStates = "DELETE FROM oauth_state WHERE expires_at < now()";

constexpr const char* kInsertState =
    "INSERT INTO oauth_state "
    "    (state, provider, code_verifier, pod, redirect, browser_key, pod_state, expires_at) "
    "VALUES (:state, :provider, :code_verifier, nullif(:pod, ''), nullif(:redirect, ''), "
    "        :browser_key, nullif(:pod_state, ''), now() + make_interval(secs => :lifetime))";

// DELETE ... RETURNING makes the state single-use even under concurrent callbacks: only one
// statement can delete the row.
constexpr const char* kTakeState =
    "DELETE FROM oauth_state WHERE state = :state "
    "RETURNING provider, code_verifier, coalesce(pod, ''), coalesce(redirect, ''), "
    "          browser_key, coalesce(pod_state, ''), "
    "          CASE WHEN expires_at > now() THEN 1 ELSE 0 END";

}  // namespace

void insert_oauth_state(Tx& tx,
                        const std::string& state,
                        const OAuthState& login,
                        long long lifetime_seconds) {
    const auto lifetime = static_cast<double>(lifetime_seconds);
    soci::session& sql = tx.sql();
    sql << kPurgeExpiredStates;
    sql << kInsertState, soci::use(state, "state"), soci::use(login.provider, "provider"),
        soci::use(login.code_verifier, "code_verifier"), soci::use(login.pod, "pod"),
        soci::use(login.redirect, "redirect"), soci::use(login.browser_key, "browser_key"),
        soci::use(login.pod_state, "pod_state"), soci::use(lifetime, "lifetime");
}

std::optional<OAuthState> take_oauth_state(Tx& tx, const std::string& state) {
    std::optional<OAuthState> taken;
    soci::session& sql = tx.sql();
    taken.reset();
    OAuthState login;
    int live = 0;
    soci::indicator found = soci::i_null;
    sql << kTakeState, soci::use(state, "state"), soci::into(login.provider, found),
        soci::into(login.code_verifier), soci::into(login.pod), soci::into(login.redirect),
        soci::into(login.browser_key), soci::into(login.pod_state), soci::into(live);
    if (sql.got_data() && found == soci::i_ok && live != 0) {
        taken = std::move(login);
    }

    return taken;
}

}  // namespace webpods::store
