-- The public service points (never a shelter: they have no name or coordinates) inside $area, of
-- the chosen $types (an empty list: every type), with their district and the district's parents.
WITH RECURSIVE up(code, ancestor) AS (
    SELECT DISTINCT territory_code, territory_code FROM service_points WHERE country = $country
    UNION ALL
    SELECT up.code, t.parent_code
    FROM up JOIN territories t ON t.country = $country AND t.code = up.ancestor
    WHERE t.parent_code IS NOT NULL
)
SELECT p.id, p.type, p.name, p.territory_code, d.name AS district_name,
       pr.name AS province_name, dep.name AS department_name,
       p.lat, p.lon, p.open_24h
FROM service_points p
JOIN territories d ON d.country = p.country AND d.code = p.territory_code
LEFT JOIN territories pr ON pr.country = d.country AND pr.code = d.parent_code
LEFT JOIN territories dep ON dep.country = pr.country AND dep.code = pr.parent_code
WHERE p.country = $country
  AND NOT p.is_shelter AND p.lat IS NOT NULL AND p.lon IS NOT NULL
  AND (len(CAST($types AS VARCHAR[])) = 0 OR list_contains(CAST($types AS VARCHAR[]), p.type))
  AND p.territory_code IN (SELECT code FROM up WHERE ancestor = $area)
ORDER BY dep.name, pr.name, d.name, p.type, p.id
