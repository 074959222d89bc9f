-- Seed 003 §2 (SQLite): the urgent change of one store, in one transaction: its owner becomes
-- Old-Wolf, and it stops selling finance and sells education (tag finance -> education; its
-- other tags stay). The store's audit trail (GET /sellers/{id}/changes) records it, with the
-- old and new values, as a change made by `sql:sqlite3`.
--
-- The store and the values are written once, in `change_request` below: for another store or
-- other values, change them there. A store that does not exist stops the file with an error
-- ("CHECK constraint failed") and changes nothing.
--
-- Run (docs/soporte.md), -bail so that an error stops everything (and rolls back):
--   sqlite3 -bail data/ecommerce.db < docs/support/sql/store-owner-and-tags.sqlite.sql
-- It prints the store as it is now: {"id":"...","name":"...","owner_name":"Old-Wolf","tags":[...]}
-- Prefer the API when it answers: PATCH /sellers/{id} with {"owner_name": ..., "tags": [...]}.
-- The sqlite3 shell does not check foreign keys unless asked (the service always does).
PRAGMA foreign_keys = ON;
BEGIN IMMEDIATE;

CREATE TEMP TABLE change_request AS
SELECT '0d4f7a40-651d-44fb-8744-04d9b31ef844' AS store_id,
       'Old-Wolf' AS new_owner,
       'finance' AS old_tag,
       'education' AS new_tag;

-- Stop here unless the store exists.
CREATE TEMP TABLE store_exists (found INTEGER NOT NULL CHECK (found = 1));
INSERT INTO store_exists
SELECT COUNT(*) FROM sellers WHERE id = (SELECT store_id FROM change_request);

-- The audit row first, while the old values are still there. Tags are lower-case and sorted,
-- as the API stores and shows them (json() keeps a subquery's array an array, not a string).
INSERT INTO seller_changes (seller_id, changed_by, changed_by_email, changed_by_role, changes, changed_at)
SELECT s.id, 'sql:sqlite3', NULL, 'sql',
       json_object(
           'owner_name', json_object('old', s.owner_name, 'new', c.new_owner),
           'tags', json_object(
               'old', json((SELECT json_group_array(tag)
                            FROM (SELECT tag FROM seller_tags WHERE seller_id = s.id ORDER BY tag))),
               'new', json((SELECT json_group_array(tag)
                            FROM (SELECT tag FROM seller_tags WHERE seller_id = s.id AND tag <> c.old_tag
                                  UNION
                                  SELECT c.new_tag
                                  ORDER BY tag)))
           )
       ),
       strftime('%Y-%m-%d %H:%M:%f', 'now')
FROM sellers AS s
JOIN change_request AS c ON c.store_id = s.id
-- Only a change that changes something is recorded (as the API does).
WHERE s.owner_name IS NOT c.new_owner
   OR EXISTS (SELECT 1 FROM seller_tags WHERE seller_id = s.id AND tag = c.old_tag)
   OR NOT EXISTS (SELECT 1 FROM seller_tags WHERE seller_id = s.id AND tag = c.new_tag);

UPDATE sellers
SET owner_name = (SELECT new_owner FROM change_request),
    updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
WHERE id = (SELECT store_id FROM change_request);

DELETE FROM seller_tags
WHERE seller_id = (SELECT store_id FROM change_request)
  AND tag = (SELECT old_tag FROM change_request);

INSERT OR IGNORE INTO seller_tags (seller_id, tag)
SELECT store_id, new_tag FROM change_request;

-- The store as it is now.
SELECT json_object(
           'id', s.id,
           'name', s.name,
           'owner_name', s.owner_name,
           'tags', json((SELECT json_group_array(tag)
                         FROM (SELECT tag FROM seller_tags WHERE seller_id = s.id ORDER BY tag)))
       ) AS store
FROM sellers AS s
WHERE s.id = (SELECT store_id FROM change_request);

DROP TABLE change_request;
DROP TABLE store_exists;
COMMIT;
