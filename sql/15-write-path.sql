-- 15-write-path.sql: storage settings of the write path, each measured (README, "Where the time goes").
--
-- nodes_v2 fillfactor 70: the glyph stage writes every node's position after the graph stages wrote the node;
-- with full pages those updates could not be HOT, so each one re-inserted the node into every index, the HNSW
-- index included (about 0.5 ms a node). With room left on the page they are HOT: 1,560 of 1,792 placements on
-- the sample corpus, and the glyph stage went from 1.3 s to 1.0 s. Only new pages are affected; existing
-- tables get the room as rows are rewritten. Idempotent.
ALTER TABLE public.nodes_v2 SET (fillfactor = 70);
