from glyph_core.vector_index import index_name, plan_tenant_indexes, tenant_of

A = "11111111-2222-3333-4444-555555555555"
B = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
C = "01234567-89ab-cdef-0123-456789abcdef"


def test_index_names_round_trip_and_fit_postgres_identifiers() -> None:
    assert tenant_of(index_name(A)) == A
    assert len(index_name(A)) <= 63
    assert tenant_of("nodes_v2_emb384_hnsw_idx") is None


def test_small_tenants_get_an_index_large_and_tiny_ones_do_not() -> None:
    counts = {A: 900_000, B: 50_000, C: 500}
    create, drop = plan_tenant_indexes(counts, [], min_rows=2000, max_share=0.2)
    assert create == [B]
    assert drop == []


def test_indexes_of_tenants_that_grew_or_vanished_are_dropped() -> None:
    existing = [index_name(A), index_name(B)]
    create, drop = plan_tenant_indexes({A: 900_000, B: 50_000}, existing)
    assert create == [] and drop == [index_name(A)]
    create, drop = plan_tenant_indexes({A: 900_000}, existing)
    assert drop == sorted([index_name(A), index_name(B)])
