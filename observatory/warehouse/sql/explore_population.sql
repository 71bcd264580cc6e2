-- The population used for rates, one row per area and year. First choice: the build's `denominators`
-- (one population per territory, year and sex, best source first), nearest year; where it has none
-- (an older warehouse), the raw `population` table: INEI projection, then the 2017 census, then any
-- other estimate. population_source names the method in a short key the interface translates.
WITH years AS (SELECT unnest($years) AS year),
candidates AS (
    SELECT country, territory_code AS code, year AS population_year, value AS population, 0 AS priority,
           CASE WHEN method LIKE 'proyecci%' THEN 'inei_proyecciones'
                WHEN method LIKE 'censo 2017%' THEN 'censo_2017_ajustado'
                WHEN method LIKE 'estimaci%' THEN 'estimada_2020_ajustada'
                WHEN method LIKE 'poblaci%oficial%' THEN 'oficial'
                ELSE 'otra' END AS population_source,
           method AS population_method
    FROM denominators
    WHERE sex = $sex AND territory_code = ANY($codes) AND ($country IS NULL OR country = $country)
    UNION ALL
    SELECT country, territory_code, year, value,
           CASE source WHEN 'inei_proyecciones' THEN 1 WHEN 'censo_2017' THEN 2 ELSE 3 END,
           CASE WHEN source IN ('inei_proyecciones', 'censo_2017', 'estimada_2020') THEN source ELSE 'otra' END,
           source
    FROM population
    WHERE sex = $sex AND territory_code = ANY($codes) AND ($country IS NULL OR country = $country)
)
SELECT c.country, c.code, y.year, c.population, c.population_source, c.population_year, c.population_method
FROM years y
CROSS JOIN candidates c
QUALIFY row_number() OVER (
    PARTITION BY c.country, c.code, y.year
    ORDER BY c.priority, abs(c.population_year - y.year), c.population_year DESC
) = 1
ORDER BY c.code, y.year
