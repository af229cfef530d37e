-- Provision (or rename) a tenant; runs as the owner role through the glyph_admin policies.
INSERT INTO tenants (id, slug, name)
VALUES (COALESCE(%(id)s::uuid, gen_random_uuid()), %(slug)s, %(name)s)
ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name
RETURNING id::text AS id, slug, status::text AS status
