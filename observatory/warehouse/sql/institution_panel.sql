-- A group's indicators where each is published (its finest level: the area the source covers,
-- e.g. one distrito fiscal), by year, every breakdown at its total.
SELECT r.indicator_id,
       r.territory_code,
       year(r.period) AS year,
       sum(r.value) AS value,
       bool_or(r.provisional) AS provisional,
       i.disclosure
FROM rollup r
JOIN indicators i ON i.id = r.indicator_id
WHERE i."group" = $group
  AND r.country = $country
  AND r.level = i.finest_level
  AND r.violence_type = 'total' AND r.sex = 'total' AND r.age_group = 'total' AND r.risk_level = 'total'
GROUP BY r.indicator_id, r.territory_code, year, i.disclosure
ORDER BY r.territory_code, year, r.indicator_id
