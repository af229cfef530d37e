-- 15-write-path.sql: storage settings of the write path, each measured (README, "Where the time goes").
--
-- nodes_v2 fillfactor 70: the glyph stage writes every node's position after the graph stages wrote the node;
-- with full pages those updates could not be HOT, so each one re-inserted the node into every index, the HNSW
-- index included (about 0.5 ms a node). With room left on the page they are HOT: 1,560 of 1,792 placements on
-- the sample corpus, and the glyph stage went from 1.3 s to 1.0 s. Only new pages are affected; existing
-- tables get the room as rows are rewritten. Idempotent.
ALTER TABLE public.nodes_v2 SET (fillfactor = 70);

-- projection_state.fitted_nodes: the tenant's node count when the basis was fitted. The glyph stage keeps the basis
-- while the count stays within 25 % of it, so an edit moves no glyph but the edited document's (a refit on every
-- change rewrote and re-sent every glyph of the tenant: 1,791 events for one edited document of 169).
ALTER TABLE public.projection_state ADD COLUMN IF NOT EXISTS fitted_nodes bigint NOT NULL DEFAULT 0;
