-- When the index was last (re)built and at which change counter; owner connection.
SELECT method, rows_at_build, built_at FROM index_maintenance WHERE index_name = %(index_name)s
