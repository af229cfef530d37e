"""`glyph graph show`: what a tenant's graph knows about an entity, read as the app role under RLS."""

from __future__ import annotations

import click


@click.group("graph")
def graph() -> None:
    """Look at a tenant's knowledge graph."""


@graph.command("show")
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
@click.option("--entity", "name", default=None, help="Entity or concept name, alias or slug (default: the most "
                                                     "important ones of the tenant).")
@click.option("--limit", default=10, show_default=True, help="Neighbours and documents shown.")
def show(slug: str, name: str | None, limit: int) -> None:
    """An entity's neighbours (relates_to, strongest first) and the documents that mention it; without --entity,
    the tenant's most important entities and concepts."""
    from glyph_io.graph_store import opened
    from glyph_tools.cli import _store

    with opened(_store()) as store:
        tenant = store.tenants.by_slug(slug)
        knowledge = store.knowledge
        cards = knowledge.find(tenant.id, name, limit=1 if name else 20)
        if not cards:
            raise click.ClickException(f"no entity or concept named {name!r} in tenant {slug}" if name else
                                       f"tenant {slug} has no entities yet: run `glyph run --tenant {slug}`")
        if name is None:
            click.echo(f"{'importance':>10}  {'kind':8} {'type':13} {'mentions':>8} {'docs':>5}  name")
            for c in cards:
                click.echo(f"{c.importance:>10.2f}  {c.kind:8} {c.type:13} {c.mentions:>8} {c.documents:>5}  {c.name}")
            return
        card = cards[0]
        aliases = ", ".join(a for a in card.aliases if a != card.name)
        click.echo(f"{card.name}  ({card.kind}, {card.type}; {card.mentions} mentions in {card.documents} documents; "
                   f"importance {card.importance:.2f})" + (f"\n  also written: {aliases}" if aliases else ""))
        neighbours = knowledge.neighbours(tenant.id, card.id, limit)
        click.echo(f"\nrelated ({len(neighbours)}):" if neighbours else "\nrelated: none above the threshold")
        for n in neighbours:
            click.echo(f"  {n.weight:>5.2f}  {n.name}  ({n.type})")
        documents = knowledge.documents(tenant.id, card.id, limit)
        click.echo(f"\nmentioned in ({len(documents)}{'+' if len(documents) == limit else ''}):")
        for d in documents:
            click.echo(f"  {d.mentions:>4}x  {d.title}  [{d.key}]")
