-- Every all-'total' row of one indicator in one country, at every level, sorted so each area's
-- rows are neighbours in period order: observatory/totals.py holds them in memory.
SELECT level, territory_code, period, value, provisional
FROM rollup_total
WHERE indicator_id = $indicator AND country = $country AND granularity = $granularity
ORDER BY level, territory_code, period
