-- Seed 003 §2 (PostgreSQL): the urgent change of one store, in one transaction: its owner
-- becomes Old-Wolf, and it stops selling finance and sells education (tag finance ->
-- education; its other tags stay). The store's audit trail (GET /sellers/{id}/changes)
-- records it, with the old and new values, as a change made by `sql:<database user>`.
--
-- The store and the values are written once, in `change_request` below: for another store or
-- other values, change them there. A store that does not exist stops the file with an error
-- ("store ... does not exist") and changes nothing.
--
-- Run (docs/soporte.md), ON_ERROR_STOP so that an error stops everything (and rolls back):
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAt -f docs/support/sql/store-owner-and-tags.postgres.sql
-- It prints the store as it is now: {"id" : "...", "name" : "...", "owner_name" : "Old-Wolf", "tags" : [...]}
-- Prefer the API when it answers: PATCH /sellers/{id} with {"owner_name": ..., "tags": [...]}.
BEGIN;

CREATE TEMP TABLE change_request ON COMMIT DROP AS
SELECT '0d4f7a40-651d-44fb-8744-04d9b31ef844'::text AS store_id,
       'Old-Wolf'::text AS new_owner,
       'finance'::text AS old_tag,
       'education'::text AS new_tag;

-- Stop here unless the store exists; lock it so that nobody changes it meanwhile.
DO $$
BEGIN
    PERFORM 1 FROM sellers WHERE id = (SELECT store_id FROM change_request) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'store % does not exist', (SELECT store_id FROM change_request);
    END IF;
END
$$;

-- The audit row first, while the old values are still there. Tags are lower-case and sorted,
-- as the API stores and shows them.
INSERT INTO seller_changes (seller_id, changed_by, changed_by_email, changed_by_role, changes, changed_at)
SELECT s.id, 'sql:' || current_user, NULL, 'sql',
       json_build_object(
           'owner_name', json_build_object('old', s.owner_name, 'new', c.new_owner),
           'tags', json_build_object(
               'old', (SELECT COALESCE(json_agg(tag ORDER BY tag), '[]'::json)
                       FROM seller_tags WHERE seller_id = s.id),
               'new', (SELECT json_agg(tag ORDER BY tag)
                       FROM (SELECT tag FROM seller_tags WHERE seller_id = s.id AND tag <> c.old_tag
                             UNION
                             SELECT c.new_tag) AS kept)
           )
       )::text,
       now() AT TIME ZONE 'UTC'
FROM sellers AS s
JOIN change_request AS c ON c.store_id = s.id
-- Only a change that changes something is recorded (as the API does).
WHERE s.owner_name IS DISTINCT FROM c.new_owner
   OR EXISTS (SELECT 1 FROM seller_tags WHERE seller_id = s.id AND tag = c.old_tag)
   OR NOT EXISTS (SELECT 1 FROM seller_tags WHERE seller_id = s.id AND tag = c.new_tag);

UPDATE sellers
SET owner_name = (SELECT new_owner FROM change_request),
    updated_at = now() AT TIME ZONE 'UTC'
WHERE id = (SELECT store_id FROM change_request);

DELETE FROM seller_tags
WHERE seller_id = (SELECT store_id FROM change_request)
  AND tag = (SELECT old_tag FROM change_request);

INSERT INTO seller_tags (seller_id, tag)
SELECT store_id, new_tag FROM change_request
ON CONFLICT DO NOTHING;

-- The store as it is now.
SELECT json_build_object(
           'id', s.id,
           'name', s.name,
           'owner_name', s.owner_name,
           'tags', (SELECT COALESCE(json_agg(tag ORDER BY tag), '[]'::json)
                    FROM seller_tags WHERE seller_id = s.id)
       ) AS store
FROM sellers AS s
WHERE s.id = (SELECT store_id FROM change_request);

COMMIT;
