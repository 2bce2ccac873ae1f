-- Records are read only by the prepared statements, in binary (app/store/prepared.h): the hex
-- form of the content, which doubled every row PostgreSQL sent (and every row libpq held) while
-- nothing read it, leaves the view.
DROP VIEW record_row;
CREATE VIEW record_row AS
SELECT r.stream_id,
       r.index,
       r.content,
       r.content_type,
       r.alias,
       r.author,
       r.hash,
       coalesce(r.previous_hash, '') AS previous_hash,
       to_char(r.written_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS timestamp
FROM record r;
