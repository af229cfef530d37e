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
