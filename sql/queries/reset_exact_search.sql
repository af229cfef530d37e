-- Back to the planner's own choice after force_exact_search.sql, in the same transaction.
RESET enable_indexscan;
RESET enable_bitmapscan
