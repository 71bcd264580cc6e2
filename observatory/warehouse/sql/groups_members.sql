-- Territory groups of one country (data/groups/*.toml): one row per group and member.
SELECT group_id, name_es, name_en, description_es, description_en, territory_code
FROM territory_groups
WHERE country = $country
ORDER BY group_id, territory_code
