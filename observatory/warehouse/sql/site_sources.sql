-- Every declared source with its publisher, licence and the release loaded, for footers and the methodology page.
SELECT name, title, publisher, url, licence, release, loaded_at,
       name IN (SELECT source FROM indicators) AS has_indicators
FROM sources
ORDER BY has_indicators DESC, name
