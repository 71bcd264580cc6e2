-- Liveness of the warehouse: how many observations and when the last load finished.
SELECT (SELECT count(*) FROM observations) AS observations,
       (SELECT max(finished_at) FROM loads WHERE status = 'ok') AS built_at
