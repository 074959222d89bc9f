-- Seed 003 §1 (PostgreSQL): every tag the stores use, with how many stores use each, most
-- used first, as one JSON array built with PostgreSQL's JSON functions:
--   [{"tag" : "education", "stores" : 2}, {"tag" : "food", "stores" : 1}]
-- Run (docs/soporte.md): psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAt -f docs/support/sql/tags-report.postgres.sql
-- The same report is GET /support/reports/tags; a test checks that both agree.
SELECT COALESCE(
           json_agg(json_build_object('tag', tag, 'stores', stores) ORDER BY stores DESC, tag),
           '[]'::json
       ) AS tags
FROM (
    -- A store has a tag at most once (the table's key), so COUNT(*) counts stores.
    SELECT tag, COUNT(*) AS stores
    FROM seller_tags
    GROUP BY tag
) AS used;
