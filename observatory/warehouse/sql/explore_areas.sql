-- The areas at one level under one parent (NULL: the top level) of one country, in code order.
SELECT country, code, name, has_boundary
FROM territories
WHERE level = $level AND country = $country
  AND (parent_code = $parent OR ($parent IS NULL AND parent_code IS NULL))
ORDER BY country, code
