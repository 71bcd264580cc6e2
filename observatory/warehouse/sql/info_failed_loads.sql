-- Failed imports recorded in the ledger.
SELECT source, release, file_name, started_at, error
FROM loads
WHERE status = 'failed'
ORDER BY started_at
