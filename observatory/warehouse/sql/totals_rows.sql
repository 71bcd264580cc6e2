-- Every all-'total' cell of one indicator in one country, at every level: its area as the key of
-- totals_areas.sql (a number: no string per cell), period, value and provisional. Unordered:
-- observatory/totals.py sorts them (DuckDB's own sort kept ~40 MB per worker at 10M rows).
SELECT hash(level, territory_code) AS area_key, period, value, provisional
FROM rollup_total
WHERE indicator_id = $indicator AND country = $country AND granularity = $granularity
