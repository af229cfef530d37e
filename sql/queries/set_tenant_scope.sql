-- Scope this transaction to one tenant and name the actor for audit rows; both vanish at COMMIT/ROLLBACK (D2).
SELECT set_config('app.tenant_id', %(tenant_id)s, true), set_config('app.actor', %(actor)s, true)
