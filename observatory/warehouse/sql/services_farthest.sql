-- The districts inside $area farthest (straight line from their centroid, table service_access)
-- from the nearest public service point of any type, with their province and department.
WITH RECURSIVE up(code, ancestor) AS (
    SELECT territory_code, territory_code FROM service_access WHERE country = $country
    UNION ALL
    SELECT up.code, t.parent_code
    FROM up JOIN territories t ON t.country = $country AND t.code = up.ancestor
    WHERE t.parent_code IS NOT NULL
)
SELECT a.territory_code AS code, d.name AS district_name, pr.name AS province_name,
       dep.name AS department_name, a.distance_km, a.nearest_id, a.nearest_type, n.name AS nearest_name,
       a.points_in_district
FROM service_access a
JOIN territories d ON d.country = a.country AND d.code = a.territory_code
LEFT JOIN territories pr ON pr.country = d.country AND pr.code = d.parent_code
LEFT JOIN territories dep ON dep.country = pr.country AND dep.code = pr.parent_code
LEFT JOIN service_points n ON n.country = a.country AND n.id = a.nearest_id
WHERE a.country = $country
  AND a.distance_km IS NOT NULL
  AND a.territory_code IN (SELECT code FROM up WHERE ancestor = $area)
ORDER BY a.distance_km DESC, a.territory_code
LIMIT $limit
