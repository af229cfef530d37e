-- Memory for one index build in this owner maintenance session (IVFFlat k-means keeps lists x 50 sample vectors).
SELECT set_config('maintenance_work_mem', %(memory)s, false)
