-- Time series of some areas (by code) for one indicator and breakdown, per month or per year ($step).
-- Periods with no rows are absent: the caller fills true zeros where the catalogue says so.
-- `= ANY($codes)` is pushed into the scan like IN; list_contains() was evaluated row by row (2x slower at 10M).
-- $all_total: every breakdown is 'total', read from rollup_total (the other branch reads nothing).
WITH cells AS (
    SELECT country, territory_code, period, value, provisional
    FROM rollup_total
    WHERE $all_total AND indicator_id = $indicator AND territory_code = ANY($codes)
      AND ($country IS NULL OR country = $country)
      AND granularity = $granularity AND period BETWEEN $start AND $end
    UNION ALL
    SELECT country, territory_code, period, value, provisional
    FROM rollup
    WHERE NOT $all_total AND indicator_id = $indicator AND territory_code = ANY($codes)
      AND ($country IS NULL OR country = $country)
      AND granularity = $granularity AND period BETWEEN $start AND $end
      AND violence_type = $violence_type AND sex = $sex AND age_group = $age_group AND risk_level = $risk_level
)
SELECT country, territory_code AS code, CAST(date_trunc($step, period) AS DATE) AS period,
       sum(value) AS value, bool_or(provisional) AS provisional
FROM cells
GROUP BY ALL
ORDER BY code, period
