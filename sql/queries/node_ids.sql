-- Ids of the tenant's nodes with these external keys, in one pass (an = ANY over the unique (tenant_id,
-- external_key) index, or the tenant's rows with a hashed filter): per-edge lookups were planned from statistics
-- that cannot know the nodes this transaction just inserted and nested-looped (1.8 s for 3,900 edges). Tenant tx.
SELECT external_key, id FROM nodes_v2 WHERE tenant_id = %(tenant_id)s AND external_key = ANY(%(keys)s)
