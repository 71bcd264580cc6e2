-- The values each breakdown of an indicator takes in one country, besides 'total'.
SELECT breakdown, value
FROM (
    UNPIVOT (
        SELECT violence_type, sex, age_group, risk_level
        FROM rollup
        WHERE indicator_id = $indicator AND country = $country AND level = 'country'
    ) ON violence_type, sex, age_group, risk_level INTO NAME breakdown VALUE value
)
WHERE value <> 'total'
GROUP BY breakdown, value
ORDER BY breakdown, value
