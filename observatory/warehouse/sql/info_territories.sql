-- Number of territories per level for one country.
SELECT level, count(*) AS n
FROM territories
WHERE country = $country
GROUP BY level
ORDER BY CASE level WHEN 'country' THEN 0 WHEN 'department' THEN 1 WHEN 'province' THEN 2
                    WHEN 'municipality' THEN 2 ELSE 3 END
