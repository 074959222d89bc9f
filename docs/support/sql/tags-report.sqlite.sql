-- Seed 003 §1 (SQLite): every tag the stores use, with how many stores use each, most used
-- first, as one JSON array built with SQLite's JSON functions:
--   [{"tag":"education","stores":2},{"tag":"food","stores":1}]
-- Run (docs/soporte.md): sqlite3 -bail data/ecommerce.db < docs/support/sql/tags-report.sqlite.sql
-- The same report is GET /support/reports/tags; a test checks that both agree.
SELECT json_group_array(json_object('tag', tag, 'stores', stores)) AS tags
FROM (
    -- A store has a tag at most once (the table's key), so COUNT(*) counts stores.
    SELECT tag, COUNT(*) AS stores
    FROM seller_tags
    GROUP BY tag
    ORDER BY stores DESC, tag
);
