import numpy as np

from glyph_core.projection import fit_projection


def _cloud(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(5, 384))
    v = centres[rng.integers(0, 5, n)] + 0.3 * rng.normal(size=(n, 384))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_fit_is_deterministic_and_orthonormal() -> None:
    v = _cloud(300, 1)
    a, b = fit_projection(v, None), fit_projection(v, None)
    assert np.allclose(a.components, b.components)
    assert np.allclose(a.components @ a.components.T, np.eye(3), atol=1e-9)
    assert a.apply(v).shape == (300, 3)


def test_refit_after_a_small_change_moves_existing_points_little() -> None:
    v = _cloud(400, 2)
    first = fit_projection(v, None)
    grown = np.vstack([v, _cloud(20, 3)])
    second = fit_projection(grown, first)
    naive = fit_projection(grown, None)
    moved = np.linalg.norm(second.apply(v) - first.apply(v), axis=1).mean()
    spread = np.linalg.norm(first.apply(v), axis=1).mean()
    assert second.version == first.version + 1
    assert moved < 0.15 * spread
    # the naive refit may flip or swap axes; the aligned one never moves more than it
    assert moved <= np.linalg.norm(naive.apply(v) - first.apply(v), axis=1).mean() + 1e-9


def test_tiny_inputs_do_not_crash() -> None:
    one = _cloud(1, 4)
    p = fit_projection(one, None)
    assert p.apply(one).shape == (1, 3)
    assert fit_projection(_cloud(2, 5), p).components.shape == (3, 384)


def test_an_edit_keeps_the_basis_and_growth_refits_it() -> None:
    from glyph_core.projection import plan_projection

    v = _cloud(100, 0)
    ids = list(range(100))
    first, fp = plan_projection(ids, v, None, None)
    assert first is not None and first.fitted_nodes == 100
    edited = v.copy()
    edited[7] = _cloud(1, 9)[0]  # one node changed: same basis, nothing else moves
    kept, fp2 = plan_projection(ids, edited, first, fp)
    assert kept is first and fp2 != fp
    assert np.allclose(kept.apply(v[:7]), first.apply(v[:7]))
    grown, _ = plan_projection(list(range(140)), np.vstack([v, _cloud(40, 3)]), first, fp)
    assert grown is not None and grown.version == 2 and grown.fitted_nodes == 140
