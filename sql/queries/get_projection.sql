-- The tenant's last projection basis for the model (stable glyph positions between runs); tenant transaction.
SELECT mean, components, n_fit, version, fingerprint, fitted_nodes
FROM projection_state WHERE tenant_id = %(tenant_id)s AND model = %(model)s
