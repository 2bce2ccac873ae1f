-- The store's prepared statements read results in binary (app/store/prepared.h), where a bytea
-- column arrives as its bytes: record_row gains the content itself beside its hex form.
CREATE OR REPLACE VIEW record_row AS
SELECT r.stream_id,
       r.index,
       encode(r.content, 'hex') AS content_hex,
       r.content_type,
       r.alias,
       r.author,
       r.hash,
       coalesce(r.previous_hash, '') AS previous_hash,
       to_char(r.written_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS timestamp,
       r.content
FROM record r;
