"""history_retention: delivered change events and audit rows older than their retention, pruned.

Runs as the owner role through definer functions (glyph_app may not shorten the audit trail), in batches, one
statement per batch whatever the number of tenants. Pending and dead events are never pruned. Scheduled daily.
"""

import dagster as dg

from assets.retries import TRANSIENT_RETRY, Materialized, retry_transient
from glyph_io.graph_store import GraphStore, Housekeeping
from glyph_io.logs import timed


@dg.asset(retry_policy=TRANSIENT_RETRY, group_name="operations", kinds={"postgres"}, tags={"glyph/stage": "retention"})
@retry_transient
def history_retention(context: dg.AssetExecutionContext, graph_store: GraphStore,
                      housekeeping: Housekeeping) -> Materialized:
    """The outbox and audit log trimmed to their retention periods."""
    with timed() as clock:
        pruned = graph_store.outbox.prune(housekeeping.outbox_days, housekeeping.audit_days)
    context.log.info(f"pruned {pruned.outbox_rows_deleted} published events and {pruned.audit_rows_deleted} audit rows")
    return dg.MaterializeResult(metadata={
        "published_events_deleted": pruned.outbox_rows_deleted, "audit_rows_deleted": pruned.audit_rows_deleted,
        "outbox_retention_days": housekeeping.outbox_days, "audit_retention_days": housekeeping.audit_days,
        "duration_s": clock.seconds})
