-- The areas of totals_rows.sql with the key its rows carry and how many rows each one has.
SELECT level, territory_code, hash(level, territory_code) AS area_key, count(*) AS rows
FROM rollup_total
WHERE indicator_id = $indicator AND country = $country AND granularity = $granularity
GROUP BY level, territory_code
ORDER BY level, territory_code
