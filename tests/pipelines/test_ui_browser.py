"""The Dagster UI of `glyph ui` in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

What a person does, click by click, against the real webserver + daemon + services:
  1. Lineage: expand all groups, every asset of the Definitions is on the graph.
  2. source_documents > Partitions: both tenants are there.
  3. Jobs > tenant_ingest > Partitions > Materialize…: pick one tenant, tag glyph/tenant=<slug>, launch
     (the UI launches a one-partition selection as a single run; with two or more it says "Launch backfill").
  4. Jobs > glyph_days > Partitions > Materialize…: two days, tag glyph/tenants=<slug>, "Launch backfill".
  5. The runs succeed (the backfill daemon queues them, the run coordinator starts them); glyphs exist for the
     selected tenant only. Screenshots of every step go to test-artifacts/ui-browser/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.pipelines.conftest import UiServer, tenant_scalar, wait_for_runs

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(300)]

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCATION = "pipelines.definitions"


@pytest.fixture(scope="module")
def page(artifacts_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: scripts/install.sh installs it (apt, as root)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1600, "height": 1000})
        # the "join the community" pop-up would cover the page on a fresh profile
        browser.add_init_script("window.localStorage.setItem('communityNux', '1')")
        page = browser.new_page()
        page.set_default_timeout(30_000)
        try:
            yield page
        finally:
            browser.close()


def shot(page: Page, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))


def open_materialize_dialog(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Materialize…").first.click()
    confirm = page.get_by_role("button", name="Confirm")  # "upstream not materialized" warning, when shown
    title = page.get_by_text("Launch runs to materialize")
    expect(confirm.or_(title).first).to_be_visible()
    if confirm.is_visible():
        confirm.click()
    expect(title).to_be_visible()


def add_tag(page: Page, key: str, value: str) -> None:
    page.get_by_text("Tags", exact=True).click()
    page.get_by_role("button", name="Add tags").click()
    page.get_by_placeholder("Tag Key").last.fill(key)
    page.get_by_placeholder("Tag Value").last.fill(value)
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Add tags to run")).to_be_hidden()
    expect(page.get_by_text(f"{key}: {value}").first).to_be_visible()


def test_asset_graph_partitions_and_tenant_by_two_days_from_the_ui(
        ui_server: UiServer, page: Page, make_ui_tenant: Any, pg_instance: dg.DagsterInstance,
        env: dict[str, str], artifacts_dir: Path) -> None:
    from glyph_tools.runner import definitions
    defs = definitions()

    out = artifacts_dir / "ui-browser"
    tenant, other = make_ui_tenant("uia"), make_ui_tenant("uib")
    started = time.monotonic()

    # 1. the asset graph shows every asset
    page.goto(f"{ui_server.url}/asset-groups")
    expect(page.get_by_role("button", name="Materialize all…")).to_be_visible()
    page.keyboard.press("Alt+e")  # "Expand all groups" (graph settings menu, ⌥E)
    assets = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
    assert len(assets) >= 7, assets
    for name in assets:
        expect(page.get_by_text(name, exact=True).first).to_be_visible()
    shot(page, out, "01-asset-graph")

    # 2. the partitions view of a tenant stage lists both tenants
    page.goto(f"{ui_server.url}/assets/source_documents?view=partitions")
    name_filter = page.get_by_placeholder("Filter by name…")
    for t in (tenant, other):  # the list is virtualized: with many tenants, filter like a person would
        name_filter.fill(t.slug)
        expect(page.get_by_text(t.slug, exact=True).first).to_be_visible()
    name_filter.fill("ui")
    for t in (tenant, other):
        expect(page.get_by_text(t.slug, exact=True).first).to_be_visible()
    shot(page, out, "02-tenant-partitions")

    # 3. one tenant's stages: Materialize… on the tenant_ingest job, one partition, tagged with the tenant
    open_materialize_dialog(page, f"{ui_server.url}/locations/{LOCATION}/jobs/tenant_ingest/partitions")
    page.get_by_text("Select a partition or create one").click()
    page.keyboard.type(tenant.slug)
    page.get_by_role("menuitem").filter(has_text=tenant.slug).last.click()
    page.get_by_text("Launch runs to materialize").click()  # close the partition picker
    add_tag(page, "glyph/tenant", tenant.slug)
    shot(page, out, "03-tenant-ingest-dialog")
    page.get_by_role("button", name="Launch 1 run").click()
    ingest_runs = wait_for_runs(pg_instance, dg.RunsFilter(tags={"dagster/partition": tenant.slug}), 1, 150)
    assert all(r.tags.get("glyph/tenant") == tenant.slug for r in ingest_runs)
    assert tenant_scalar(env, tenant.id, "SELECT count(*) FROM files WHERE deleted_at IS NULL") == 3
    assert tenant_scalar(env, other.id, "SELECT count(*) FROM files") == 0

    # 4. two days of glyphs for that tenant: a backfill of glyph_days with the glyph/tenants tag
    today = datetime.now(timezone.utc).date()
    days = [(today - timedelta(days=1)).isoformat(), today.isoformat()]
    open_materialize_dialog(page, f"{ui_server.url}/locations/{LOCATION}/jobs/glyph_days/partitions")
    page.get_by_role("button", name="Custom", exact=True).click()
    selection = page.get_by_role("dialog").locator("input").first
    selection.fill(f"[{days[0]}...{days[1]}]")
    selection.press("Enter")
    expect(page.get_by_role("dialog").get_by_text("2 partitions", exact=True).first).to_be_visible()
    add_tag(page, "glyph/tenants", tenant.slug)
    shot(page, out, "04-glyph-days-backfill-dialog")
    page.get_by_role("button", name="Launch backfill").click()
    glyph_runs = wait_for_runs(pg_instance, dg.RunsFilter(tags={"glyph/tenants": tenant.slug}), 2, 120)
    assert sorted(r.tags["dagster/partition"] for r in glyph_runs) == days
    assert all("dagster/backfill" in r.tags for r in glyph_runs)
    nodes = tenant_scalar(env, tenant.id, "SELECT count(*) FROM nodes_v2 WHERE embedding_384 IS NOT NULL")
    assert tenant_scalar(env, tenant.id, "SELECT count(*) FROM glyphs_4d WHERE t = %s::date", (days[1],)) == nodes > 0
    assert tenant_scalar(env, other.id, "SELECT count(*) FROM glyphs_4d") == 0

    # 5. the UI shows the succeeded runs: the backfill's runs, and the tenant's run in the run list
    backfill_id = glyph_runs[0].tags["dagster/backfill"]
    page.goto(f"{ui_server.url}/runs/b/{backfill_id}?tab=runs")
    expect(page.get_by_text("Success").first).to_be_visible()
    shot(page, out, "05-backfill-runs")
    page.goto(f"{ui_server.url}/runs")
    expect(page.get_by_text(f"glyph/tenant: {tenant.slug}").first).to_be_visible()
    shot(page, out, "06-runs")
    print(f"UI: asset graph, partitions, tenant run, 2-day backfill in {time.monotonic() - started:.1f} s")
