-- The areas at one level under one parent (NULL: the top level), each with its indicator value summed
-- over a period for one combination of breakdowns. Areas with no rows come back with value NULL:
-- whether that is a true zero is the catalogue's zero_fill rule, applied by the caller.
-- $country NULL: every country (multi-country series at country level).
-- $all_total: every breakdown is 'total', read from rollup_total (the other branch reads nothing).
WITH areas AS (
    SELECT country, code, name, has_boundary
    FROM territories
    WHERE level = $level
      AND ($country IS NULL OR country = $country)
      AND (parent_code = $parent OR ($parent IS NULL AND parent_code IS NULL))
),
cells AS (
    SELECT country, territory_code, period, value, provisional
    FROM rollup_total
    WHERE $all_total AND indicator_id = $indicator AND level = $level
      AND ($country IS NULL OR country = $country)
      AND granularity = $granularity AND period BETWEEN $start AND $end
      AND territory_code IN (SELECT code FROM areas)
    UNION ALL
    SELECT country, territory_code, period, value, provisional
    FROM rollup
    WHERE NOT $all_total AND indicator_id = $indicator AND level = $level
      AND ($country IS NULL OR country = $country)
      AND granularity = $granularity AND period BETWEEN $start AND $end
      AND violence_type = $violence_type AND sex = $sex AND age_group = $age_group AND risk_level = $risk_level
      AND territory_code IN (SELECT code FROM areas)
),
vals AS (
    SELECT country, territory_code AS code, sum(value) AS value, bool_or(provisional) AS provisional
    FROM cells
    GROUP BY country, territory_code
)
SELECT a.country, a.code, a.name, a.has_boundary, v.value, coalesce(v.provisional, false) AS provisional
FROM areas a
LEFT JOIN vals v ON v.country = a.country AND v.code = a.code
ORDER BY a.country, a.code
