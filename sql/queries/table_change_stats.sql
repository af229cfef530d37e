-- Live rows and rows inserted/updated/deleted in nodes_v2 since statistics began (pg_stat), for the rebuild ratio.
SELECT n_live_tup, n_tup_ins + n_tup_upd + n_tup_del
FROM pg_stat_user_tables WHERE relid = 'public.nodes_v2'::regclass
