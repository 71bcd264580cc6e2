-- Service points inside each of some areas ($codes, any level), of the chosen $types (an empty
-- list: every type). A point is inside an area when its district is the area or lies below it.
-- Shelters are counted (never located): points = public_points + shelters.
WITH RECURSIVE up(code, ancestor) AS (
    SELECT DISTINCT territory_code, territory_code FROM service_points WHERE country = $country
    UNION ALL
    SELECT up.code, t.parent_code
    FROM up JOIN territories t ON t.country = $country AND t.code = up.ancestor
    WHERE t.parent_code IS NOT NULL
),
areas AS (
    SELECT code FROM territories WHERE country = $country AND list_contains(CAST($codes AS VARCHAR[]), code)
),
pts AS (
    SELECT id, territory_code, is_shelter FROM service_points
    WHERE country = $country
      AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), type))
)
SELECT a.code,
       count(p.id) AS points,
       count(p.id) FILTER (WHERE NOT p.is_shelter) AS public_points,
       count(p.id) FILTER (WHERE p.is_shelter) AS shelters
FROM areas a
LEFT JOIN up ON up.ancestor = a.code
LEFT JOIN pts p ON p.territory_code = up.code
GROUP BY a.code
ORDER BY a.code
