-- The fingerprint the tenant's entity layer was built from; tenant transaction.
INSERT INTO knowledge_state (tenant_id, fingerprint) VALUES (%(tenant_id)s, %(fingerprint)s)
ON CONFLICT (tenant_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, updated_at = now()
WHERE knowledge_state.fingerprint IS DISTINCT FROM EXCLUDED.fingerprint
