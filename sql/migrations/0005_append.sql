-- The append, once, for every caller: one function call that decides and writes in the same
-- atomic step (SPEC §2, §6, §11, §12). It locks the stream's head, answers a replayed
-- Idempotency-Key with the original record, checks If-Match / If-None-Match against the true
-- head, hashes the record (SPEC §6) with sha256(), inserts it with its Merkle nodes and moves
-- the head and the tree's frontier. Whoever waits for the lock re-reads the head the winner
-- committed (READ COMMITTED, a new snapshot per statement), so no caller ever retries and a
-- chain cannot fork or skip an index; UNIQUE (stream_id, index) backs the lock up.

-- Idempotency keys (SPEC §11) live with the record they wrote, scoped to stream and author.
ALTER TABLE record ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX record_idempotency_key ON record (stream_id, author, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- The Merkle tree of each stream (RFC 9162 §2.1, SPEC §12), stored so that a checkpoint or a
-- proof reads O(log n) hashes:
--   record.merkle_nodes[k + 1]: the root of the complete subtree of level k whose rightmost
--     leaf is this record, for k = 0 .. (trailing one bits of index); [1] is the leaf hash
--     SHA-256(0x00 || raw record hash). Node (level k, index j) is on record (j + 1) * 2^k - 1.
--   stream.merkle_frontier: the roots of the complete subtrees that make up the tree of
--     record_count leaves, largest (leftmost) first; the root is their right fold.
ALTER TABLE record ADD COLUMN merkle_nodes bytea[];
ALTER TABLE stream ADD COLUMN merkle_frontier bytea[] NOT NULL DEFAULT '{}';

CREATE FUNCTION merkle_leaf(record_hash text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT sha256('\x00'::bytea || decode(substr(record_hash, 8), 'hex')) $$;

-- Adds `leaf` to a tree of `size` leaves with `frontier`: the nodes the new leaf completes
-- (its record's merkle_nodes) and the new frontier.
CREATE FUNCTION merkle_append(frontier bytea[], size bigint, leaf bytea,
                              OUT nodes bytea[], OUT next_frontier bytea[])
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    node bytea := leaf;
    remaining bigint := size;
    kept int := cardinality(frontier);
BEGIN
    nodes := ARRAY[leaf];
    WHILE remaining & 1 = 1 LOOP  -- each trailing one bit is a subtree the new one completes
        node := sha256('\x01'::bytea || frontier[kept] || node);
        kept := kept - 1;
        nodes := nodes || node;
        remaining := remaining >> 1;
    END LOOP;
    next_frontier := frontier[1:kept] || node;
END
$$;

-- Existing streams get their trees.
DO $$
DECLARE
    s record;
    r record;
    frontier bytea[];
    step record;
BEGIN
    FOR s IN SELECT id FROM stream ORDER BY id LOOP
        frontier := '{}';
        FOR r IN SELECT id, index, hash FROM record WHERE stream_id = s.id ORDER BY index LOOP
            step := merkle_append(frontier, r.index, merkle_leaf(r.hash));
            UPDATE record SET merkle_nodes = step.nodes WHERE id = r.id;
            frontier := step.next_frontier;
        END LOOP;
        UPDATE stream SET merkle_frontier = frontier WHERE id = s.id;
    END LOOP;
END
$$;
ALTER TABLE record ALTER COLUMN merkle_nodes SET NOT NULL;

-- outcome: 'appended' (index, hash, previous_hash, timestamp of the new record), 'replayed'
-- (those of the record the key wrote), 'key_reused' (same), 'precondition_failed' (index and
-- hash of the head: -1 and '' when empty). No row: the stream does not exist.
-- p_alias is '' when absent; p_if_match, p_if_none_match and p_idempotency_key are NULL. The
-- conditions are comma-separated entity-tag values without quotes, '*' for any.
CREATE FUNCTION append_record(p_stream_id bigint, p_written_at text, p_content bytea,
                              p_content_type text, p_alias text, p_author text,
                              p_content_sha256 text, p_if_match text, p_if_none_match text,
                              p_idempotency_key text)
RETURNS TABLE (outcome text, index bigint, hash text, previous_hash text, "timestamp" text)
LANGUAGE plpgsql
AS $$
DECLARE
    head record;
    prior record;
    new_hash text;
    step record;
BEGIN
    SELECT s.record_count, coalesce(s.last_hash, '') AS last_hash, s.merkle_frontier
    INTO head FROM stream s WHERE s.id = p_stream_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    IF p_idempotency_key IS NOT NULL THEN
        SELECT r.index, r.hash, coalesce(r.previous_hash, '') AS previous_hash,
               to_char(r.written_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts,
               r.content_type = p_content_type AND r.alias IS NOT DISTINCT FROM nullif(p_alias, '')
                   AND sha256(r.content) = decode(p_content_sha256, 'hex') AS same_request
        INTO prior FROM record r
        WHERE r.stream_id = p_stream_id AND r.author = p_author
          AND r.idempotency_key = p_idempotency_key;
        IF FOUND THEN
            RETURN QUERY SELECT CASE WHEN prior.same_request THEN 'replayed' ELSE 'key_reused' END,
                                prior.index, prior.hash, prior.previous_hash, prior.ts;
            RETURN;
        END IF;
    END IF;

    -- An empty stream has no entity tag: If-Match fails on it, If-None-Match holds.
    IF (p_if_match IS NOT NULL AND NOT (head.record_count > 0 AND (p_if_match = '*'
            OR head.last_hash = ANY (string_to_array(p_if_match, ',')))))
       OR (p_if_none_match IS NOT NULL AND head.record_count > 0 AND (p_if_none_match = '*'
            OR head.last_hash = ANY (string_to_array(p_if_none_match, ','))))
    THEN
        RETURN QUERY SELECT 'precondition_failed', head.record_count - 1, head.last_hash, ''::text,
                            ''::text;
        RETURN;
    END IF;

    -- The preimage is exactly chain::canonical_preimage() (app/chain); an absent alias is ''.
    new_hash := 'sha256:' || encode(sha256(convert_to(concat_ws(chr(10), 'webpods-record-v1',
        head.record_count::text, head.last_hash, p_written_at, p_content_type, p_alias, p_author,
        p_content_sha256), 'UTF8')), 'hex');
    step := merkle_append(head.merkle_frontier, head.record_count, merkle_leaf(new_hash));
    INSERT INTO record (stream_id, index, content, content_type, alias, author, hash,
                        previous_hash, written_at, idempotency_key, merkle_nodes)
    VALUES (p_stream_id, head.record_count, p_content, p_content_type, nullif(p_alias, ''),
            p_author, new_hash, nullif(head.last_hash, ''), CAST(p_written_at AS timestamptz),
            p_idempotency_key, step.nodes);
    UPDATE stream SET record_count = head.record_count + 1, last_hash = new_hash,
                      merkle_frontier = step.next_frontier
    WHERE id = p_stream_id;
    RETURN QUERY SELECT 'appended', head.record_count, new_hash, head.last_hash, p_written_at;
END
$$;
