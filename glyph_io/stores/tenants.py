"""The tenant directory: resolve a partition key (slug), list tenants, provision one (owner role)."""

from __future__ import annotations

from glyph_core.models import Tenant
from glyph_io.database import Database, UnknownTenant, one, rows


class TenantStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def by_slug(self, slug: str) -> Tenant:
        """Every stage resolves its partition key here: one row, not the whole directory (10,000 tenants)."""
        with self._db.app() as conn:
            tenant = one(conn, "get_tenant", {"slug": slug}, Tenant)
        if tenant is None:
            raise UnknownTenant(slug)
        return tenant

    def all(self) -> list[Tenant]:
        """Every tenant (id, slug, status) through the definer directory function, in one statement."""
        with self._db.app() as conn:
            return rows(conn, "list_tenants", None, Tenant)

    def active(self, slugs: list[str] | None = None) -> list[Tenant]:
        """Tenants that are not suspended, optionally only those named (unknown names raise UnknownTenant)."""
        tenants = [t for t in self.all() if t.active]
        if slugs is None:
            return tenants
        by_slug = {t.slug: t for t in tenants}
        missing = [s for s in slugs if s not in by_slug]
        if missing:
            raise UnknownTenant(", ".join(missing))
        return [by_slug[s] for s in slugs]

    def create(self, slug: str, name: str, tenant_id: str | None = None) -> Tenant:
        """The one deliberate privileged path that creates tenants (owner role, glyph_admin policies)."""
        with self._db.owner() as conn:
            tenant = one(conn, "create_tenant", {"id": tenant_id, "slug": slug, "name": name}, Tenant)
        assert tenant is not None  # INSERT ... RETURNING always returns the row
        return tenant
