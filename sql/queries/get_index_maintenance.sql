-- The change counter the index absorbed at its last recorded (re)build; owner connection.
SELECT rows_at_build FROM index_maintenance WHERE index_name = %(index_name)s
