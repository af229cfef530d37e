-- Live rows and rows inserted/updated/deleted in nodes_v2 since statistics began (pg_stat), for the rebuild ratio
-- and the IVFFlat list count. Live rows fall back to the planner's estimate (pg_class.reltuples, kept by VACUUM,
-- ANALYZE and index builds) when the activity counters are behind it: they restart at zero after a crash.
SELECT GREATEST(s.n_live_tup, c.reltuples::bigint, 0), s.n_tup_ins + s.n_tup_upd + s.n_tup_del
FROM pg_class c
JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.oid = 'public.nodes_v2'::regclass
