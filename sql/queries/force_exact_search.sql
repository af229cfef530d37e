-- Exact search for the recall baseline: no index scans for the rest of this transaction (SET LOCAL).
SET LOCAL enable_indexscan = off;
SET LOCAL enable_bitmapscan = off
