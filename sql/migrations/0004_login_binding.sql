-- Logins are bound to the browser that began them (SPEC §9). browser_key is the key of the
-- secret in that browser's state cookie (hex HMAC-SHA256 with the session secret, as for
-- session ids, app/auth/sessions.h); pod_state is the pod's own state from its /login, handed
-- back to the pod's /auth/callback when the provider login ends.

-- A login begun before this migration has no binding and could only be refused.
DELETE FROM oauth_state;

ALTER TABLE oauth_state
    ADD COLUMN browser_key text NOT NULL,
    ADD COLUMN pod_state   text;
