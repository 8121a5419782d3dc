-- spandex.sql: DuckDB table macros over a spandex data directory, so that SQL counts what the
-- API counts. A span re-sent with the same id (an OTLP retry, an Opik update, a Scale GP
-- start and end) is a new line in the files; the API answers with the newest version only,
-- and so do these. Load with `.read /usr/share/spandex/analytics/spandex.sql` (duckdb CLI) or
-- by running this file's text, then e.g.:
--   SELECT model, sum(cost_total_usd) FROM spandex_spans('/var/lib/spandex') GROUP BY 1;
--   SELECT count(*) FROM spandex_workspace_spans('/var/lib/spandex', 'team-a');
-- Open days (<day>.jsonl), the late lines of sealed days (<day>.late.jsonl) and sealed days
-- (<day>.jsonl.zst, zstd by its extension) are read alike. ignore_errors skips the torn last
-- line of a write in progress (it reads as a row of nulls, left out below), and a seal's
-- temporary file (.tmp) is left out; while a seal finishes, a day's lines may be in two files
-- at once, which the newest-version rule reads once.

CREATE OR REPLACE MACRO spandex_lines(files) AS TABLE
SELECT * EXCLUDE (filename)
FROM read_json(files, format = 'newline_delimited', union_by_name = true,
               ignore_errors = true, filename = true)
WHERE span_id IS NOT NULL AND filename NOT LIKE '%.tmp';

-- The newest version of each span id of each workspace: what GET .../spans/{span_id} returns.
-- A deleted span (its newest version says raw_attributes {"spandex.deleted": true}) is left
-- out, as the API and live.jq leave it out. raw_attributes is read through the row as JSON,
-- so files in which no span has the column read alike.
CREATE OR REPLACE MACRO spandex_live(files) AS TABLE
SELECT * EXCLUDE (spandex_version, spandex_deleted) FROM (
    SELECT *, row_number() OVER (PARTITION BY workspace, span_id
                                 ORDER BY CAST(ingested_at AS TIMESTAMPTZ) DESC) AS spandex_version,
           coalesce(json_extract(json_extract_string(to_json(l), '$.raw_attributes'),
                                 '$."spandex.deleted"')::VARCHAR = 'true', false) AS spandex_deleted
    FROM spandex_lines(files) AS l
) WHERE spandex_version = 1 AND NOT spandex_deleted;

-- Every live span of every workspace of the data directory.
CREATE OR REPLACE MACRO spandex_spans(data) AS TABLE
SELECT * FROM spandex_live(data || '/*/*.jsonl*');

-- The live spans of one workspace (reads only its files).
CREATE OR REPLACE MACRO spandex_workspace_spans(data, ws) AS TABLE
SELECT * FROM spandex_live(data || '/' || ws || '/*.jsonl*');
