-- The indicator catalogue for one country (and multi-country '*' series), with the source's title,
-- release and load date, and the periods the indicator covers in that country.
SELECT i.*,
       s.title AS source_title, s.release AS source_release, s.loaded_at AS source_loaded_at,
       c.first_period, c.last_period, c.last_final_period
FROM indicators i
LEFT JOIN sources s ON s.name = i.source
LEFT JOIN (
    SELECT indicator_id, min(period) AS first_period, max(period) AS last_period,
           max(period) FILTER (WHERE NOT provisional) AS last_final_period
    FROM rollup
    WHERE country = $country AND level = 'country'
      AND violence_type = 'total' AND sex = 'total' AND age_group = 'total' AND risk_level = 'total'
    GROUP BY indicator_id
) c ON c.indicator_id = i.id
WHERE i.country = $country OR i.country = '*'
ORDER BY i.id
