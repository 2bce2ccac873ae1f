-- How rows are read: each view gives a table's columns the names and text forms the store maps
-- by name (app/store/rows.cpp), so no statement repeats the formatting. Simple views are
-- inlined by the planner, so reading through them costs nothing.

CREATE VIEW record_row AS
SELECT r.stream_id,
       r.index,
       encode(r.content, 'hex') AS content_hex,
       r.content_type,
       r.alias,
       r.author,
       r.hash,
       coalesce(r.previous_hash, '') AS previous_hash,
       to_char(r.written_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS timestamp
FROM record r;

CREATE VIEW stream_row AS
SELECT s.id,
       s.pod_id,
       s.name,
       s.access_permission,
       s.creator_id::text AS creator_id,
       s.record_count,
       coalesce(s.last_hash, '') AS last_hash,
       to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at
FROM stream s;

CREATE VIEW user_row AS
SELECT u.id::text AS id,
       u.auth_id,
       coalesce(u.email, '') AS email,
       coalesce(u.name, '') AS name,
       u.provider,
       u.created_at,
       u.id AS uuid  -- for lookups by id that can use the primary key
FROM app_user u;

CREATE VIEW session_row AS
SELECT s.id,
       s.user_id,
       to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
       to_char(s.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expires_at,
       s.created_at AS created,
       s.expires_at > now() AS live
FROM session s;
