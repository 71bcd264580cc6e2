-- One area's indicator value in a period and in the same period a year earlier (NULL: no rows).
-- $all_total: every breakdown is 'total', read from rollup_total (the other branch reads nothing).
WITH cells AS (
    SELECT period, value, provisional
    FROM rollup_total
    WHERE $all_total AND indicator_id = $indicator AND country = $country AND level = $level
      AND territory_code = $code AND granularity = $granularity
      AND period BETWEEN least($start, $previous_start) AND greatest($end, $previous_end)
    UNION ALL
    SELECT period, value, provisional
    FROM rollup
    WHERE NOT $all_total AND indicator_id = $indicator AND country = $country AND level = $level
      AND territory_code = $code AND granularity = $granularity
      AND period BETWEEN least($start, $previous_start) AND greatest($end, $previous_end)
      AND violence_type = $violence_type AND sex = $sex AND age_group = $age_group AND risk_level = $risk_level
)
SELECT sum(value) FILTER (WHERE period BETWEEN $start AND $end) AS value,
       coalesce(bool_or(provisional) FILTER (WHERE period BETWEEN $start AND $end), false) AS provisional,
       sum(value) FILTER (WHERE period BETWEEN $previous_start AND $previous_end) AS previous,
       coalesce(bool_or(provisional) FILTER (WHERE period BETWEEN $previous_start AND $previous_end), false)
           AS previous_provisional
FROM cells
