-- Sum of a source's observations per calendar year (all indicators and territories of the source).
SELECT year(o.period) AS year, sum(o.value) AS total
FROM observations o
JOIN indicators i ON i.id = o.indicator_id
WHERE i.source = $source
GROUP BY year
ORDER BY year
