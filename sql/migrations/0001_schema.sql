-- webpods schema: users, pods, streams, records, sessions, OAuth states, rate-limit windows.

CREATE TABLE app_user (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    auth_id     text NOT NULL UNIQUE,            -- auth:{provider}:{provider_user_id}
    email       text,
    name        text,
    provider    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pod (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    -- Mirrors the latest .meta/owner record; both change in one transaction.
    owner_id    uuid NOT NULL REFERENCES app_user (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stream (
    id                 bigserial PRIMARY KEY,
    pod_id             bigint NOT NULL REFERENCES pod (id) ON DELETE CASCADE,
    name               text NOT NULL,
    access_permission  text NOT NULL,            -- public | private | /{stream}
    creator_id         uuid NOT NULL REFERENCES app_user (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    -- The head of the chain: an append moves both in the same statement that inserts the
    -- record, and only when record_count still equals the index it computed (compare and swap).
    record_count       bigint NOT NULL DEFAULT 0 CHECK (record_count >= 0),
    last_hash          text,
    UNIQUE (pod_id, name)
);

CREATE TABLE record (
    id             bigserial PRIMARY KEY,
    stream_id      bigint NOT NULL REFERENCES stream (id) ON DELETE CASCADE,
    index          bigint NOT NULL CHECK (index >= 0),
    content        bytea NOT NULL,
    content_type   text NOT NULL,
    alias          text,
    author         text NOT NULL,                -- the writer's auth_id, as hashed
    hash           text NOT NULL,
    previous_hash  text,
    written_at     timestamptz NOT NULL,         -- hashed with millisecond precision
    UNIQUE (stream_id, index),
    UNIQUE (stream_id, alias)
);

CREATE TABLE session (
    id          text PRIMARY KEY,                -- random, the webpods.sid cookie value
    user_id     uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX session_user_idx ON session (user_id);
CREATE INDEX session_expires_idx ON session (expires_at);

CREATE TABLE oauth_state (
    state          text PRIMARY KEY,
    provider       text NOT NULL,
    code_verifier  text NOT NULL,
    pod            text,
    redirect       text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL
);
CREATE INDEX oauth_state_expires_idx ON oauth_state (expires_at);

CREATE TABLE rate_limit (
    identity      text NOT NULL,                 -- auth_id or ip:{address}
    action        text NOT NULL,                 -- write | read | pod_create | stream_create
    window_start  timestamptz NOT NULL,          -- the clock hour
    count         bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (identity, action, window_start)
);
CREATE INDEX rate_limit_window_idx ON rate_limit (window_start);
