-- Data sources with observations: release loaded, rows and period coverage.
SELECT s.name, s.release, count(*) AS rows,
       strftime(min(o.period), '%Y-%m') AS first_period, strftime(max(o.period), '%Y-%m') AS last_period
FROM sources s
JOIN indicators i ON i.source = s.name
JOIN observations o ON o.indicator_id = i.id
GROUP BY s.name, s.release
ORDER BY s.name
