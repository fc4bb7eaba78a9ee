"""Tests of the gradient transforms: clip by value, clip by global norm, chain."""

import math
import pickle

import numpy as np
import pytest

from sknnopt.transforms import GradientTransform, clip_by_global_norm, clip_by_value


def _grad():
    return np.array([3.0, -0.2, 0.05, -4.0, 1.0])


@pytest.mark.parametrize("low, high", [(-0.5, 0.5), (-1.0, 0.1), (0.0, 2.0), (-3.0, -1.0)])
def test_clip_by_value_range(low, high):
    g = _grad()
    out = clip_by_value(g, low, high)
    assert out is g  # in place
    expected = [min(max(v, low), high) for v in _grad()]
    np.testing.assert_array_equal(g, expected)
    assert g.min() >= low and g.max() <= high


def test_clip_by_value_symmetric_keeps_inner_components():
    g = _grad()
    clip_by_value(g, -1.0, 1.0)
    np.testing.assert_array_equal(g, [1.0, -0.2, 0.05, -1.0, 1.0])


def test_clip_by_global_norm_rescales_to_exactly_clip_norm():
    g = _grad()
    norm = math.sqrt(sum(v * v for v in _grad()))
    returned = clip_by_global_norm(g, 2.0)
    assert returned == pytest.approx(norm, rel=1e-14)  # the norm before clipping
    assert np.linalg.norm(g) == pytest.approx(2.0, rel=1e-14)
    # one scale for the whole vector: the direction is kept
    np.testing.assert_allclose(g, _grad() * (2.0 / norm), rtol=1e-14)


def test_clip_by_global_norm_leaves_small_gradients_untouched():
    g = _grad()
    norm = np.linalg.norm(g)
    clip_by_global_norm(g, norm * 1.01)
    np.testing.assert_array_equal(g, _grad())
    clip_by_global_norm(g, norm)  # at the threshold: nothing to do
    np.testing.assert_array_equal(g, _grad())


def test_clip_by_global_norm_uses_a_given_norm():
    g = _grad()
    clip_by_global_norm(g, 1.0, norm=10.0)
    np.testing.assert_allclose(g, _grad() / 10.0, rtol=1e-14)


def test_zero_gradient_is_left_alone():
    g = np.zeros(4)
    assert clip_by_global_norm(g, 1.0) == 0.0
    np.testing.assert_array_equal(g, 0.0)


def test_transform_applies_value_then_norm():
    t = GradientTransform(clip_value=(-1.0, 1.0), clip_norm=1.5)
    g = _grad()
    assert t(g) is g
    clipped = [min(max(v, -1.0), 1.0) for v in _grad()]  # [1, -.2, .05, -1, 1]
    norm = math.sqrt(sum(v * v for v in clipped))
    np.testing.assert_allclose(g, [v * 1.5 / norm for v in clipped], rtol=1e-14)
    assert np.linalg.norm(g) == pytest.approx(1.5)
    # norm first would scale by 1.5 / ||g|| = 0.29 and then clip nothing
    norm_first = _grad() * (1.5 / np.linalg.norm(_grad()))
    assert not np.allclose(g, norm_first)


def test_transform_ignores_stale_norm_after_value_clipping():
    # the caller's norm is of the unclipped gradient; value clipping changes it
    t = GradientTransform(clip_value=(-1.0, 1.0), clip_norm=1.5)
    g = _grad()
    t(g, norm=float(np.linalg.norm(g)))
    assert np.linalg.norm(g) == pytest.approx(1.5)


def test_transform_norm_only_and_value_only():
    g = _grad()
    GradientTransform(clip_norm=1.0)(g)
    assert np.linalg.norm(g) == pytest.approx(1.0)
    g = _grad()
    GradientTransform(clip_value=(-0.1, 0.5))(g)
    np.testing.assert_array_equal(g, [0.5, -0.1, 0.05, -0.1, 0.5])


def test_inactive_transform_is_identity():
    t = GradientTransform()
    assert not t.active
    assert GradientTransform(clip_norm=1.0).active
    assert GradientTransform(clip_value=(-1, 1)).active
    g = _grad()
    t(g)
    np.testing.assert_array_equal(g, _grad())


def test_transform_acts_on_a_view_in_place():
    # the trainer hands grad[offset:]; the frozen prefix must stay as it is
    full = np.concatenate([[100.0, -100.0], _grad()])
    GradientTransform(clip_value=(-1.0, 1.0), clip_norm=1.0)(full[2:])
    np.testing.assert_array_equal(full[:2], [100.0, -100.0])
    assert np.linalg.norm(full[2:]) == pytest.approx(1.0)


def test_transform_pickles():
    t = GradientTransform(clip_value=(-1.0, 2.0), clip_norm=3.0)
    assert pickle.loads(pickle.dumps(t)) == t


def test_float32_stays_float32():
    g = _grad().astype(np.float32)
    GradientTransform(clip_value=(-1.0, 1.0), clip_norm=1.0)(g)
    assert g.dtype == np.float32
    assert float(np.linalg.norm(g)) == pytest.approx(1.0, rel=1e-6)
