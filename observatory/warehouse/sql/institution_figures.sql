-- One area's yearly figures from every indicator of a group, per reporting institution, with the
-- status (preliminary / homologated) the loaded observations carry.
SELECT r.indicator_id,
       coalesce(nullif(r.institution, ''), i.institution) AS reporter,
       year(r.period) AS year,
       sum(r.value) AS value,
       bool_or(r.provisional) AS provisional,
       max(o.status) AS status,
       max(o.status_date) AS status_date,
       i.disclosure,
       i.finest_level = r.level AS published_here
FROM rollup r
JOIN indicators i ON i.id = r.indicator_id
LEFT JOIN observations o
  ON o.indicator_id = r.indicator_id AND o.country = r.country AND o.territory_code = r.territory_code
 AND o.period = r.period AND o.institution = r.institution
 AND o.violence_type = 'total' AND o.sex = 'total' AND o.age_group = 'total' AND o.risk_level = 'total'
WHERE i."group" = $group
  AND r.country = $country
  AND r.territory_code = $code
  AND r.violence_type = 'total' AND r.sex = 'total' AND r.age_group = 'total' AND r.risk_level = 'total'
  AND year(r.period) BETWEEN $first AND $last
GROUP BY r.indicator_id, reporter, year, i.disclosure, published_here
ORDER BY year, reporter
