-- Every cell of one indicator over a period range, at every level and breakdown, with its parent:
-- the whole table that disclosure control protects.
SELECT r.territory_code AS code, t.parent_code, r.level,
       r.violence_type, r.sex, r.age_group, r.risk_level,
       sum(r.value) AS value
FROM rollup r
JOIN territories t ON t.country = r.country AND t.code = r.territory_code
WHERE r.indicator_id = $indicator
  AND r.country = $country
  AND r.period BETWEEN $start AND $end
GROUP BY ALL
