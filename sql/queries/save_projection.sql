-- Store the projection basis used for this run; tenant transaction.
INSERT INTO projection_state (tenant_id, model, mean, components, n_fit, version, fingerprint, fitted_nodes,
                              updated_at)
VALUES (%(tenant_id)s, %(model)s, %(mean)s, %(components)s, %(n_fit)s, %(version)s, %(fingerprint)s,
        %(fitted_nodes)s, now())
ON CONFLICT (tenant_id, model) DO UPDATE SET mean = EXCLUDED.mean, components = EXCLUDED.components,
    n_fit = EXCLUDED.n_fit, version = EXCLUDED.version, fingerprint = EXCLUDED.fingerprint,
    fitted_nodes = EXCLUDED.fitted_nodes, updated_at = now()
