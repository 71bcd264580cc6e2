-- The service directory of a country, by type: how many points, whether the type is a shelter
-- (never located) and the directory's release. No rows: no directory has been loaded.
SELECT type,
       bool_or(is_shelter) AS is_shelter,
       count(*) AS points,
       count(*) FILTER (WHERE NOT is_shelter) AS public_points,
       max(release) AS release
FROM service_points
WHERE country = $country
GROUP BY type
ORDER BY type
