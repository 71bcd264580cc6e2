-- Every district inside $area with how many service points of the chosen $types (an empty list:
-- every type) it holds: the districts without any are those with points = 0.
WITH RECURSIVE up(code, ancestor) AS (
    SELECT code, code FROM territories WHERE country = $country AND level = $level
    UNION ALL
    SELECT up.code, t.parent_code
    FROM up JOIN territories t ON t.country = $country AND t.code = up.ancestor
    WHERE t.parent_code IS NOT NULL
),
pts AS (
    SELECT territory_code, count(*) AS points FROM service_points
    WHERE country = $country
      AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), type))
    GROUP BY territory_code
)
SELECT d.code, d.name, coalesce(p.points, 0) AS points
FROM territories d
LEFT JOIN pts p ON p.territory_code = d.code
WHERE d.country = $country AND d.level = $level
  AND d.code IN (SELECT code FROM up WHERE ancestor = $area)
ORDER BY d.code
