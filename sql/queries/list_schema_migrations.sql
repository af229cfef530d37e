-- Schema files applied so far with the checksum of the text that was applied; owner role.
SELECT name, checksum FROM schema_migrations
