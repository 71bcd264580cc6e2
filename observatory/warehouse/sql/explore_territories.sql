-- Every territory of one country, plus every country (for multi-country series).
SELECT country, code, level, name, parent_code, has_boundary, vintage_note, lat, lon
FROM territories
WHERE country = $country OR level = 'country'
ORDER BY country, code
