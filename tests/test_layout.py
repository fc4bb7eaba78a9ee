"""Tests of the flat parameter layout ``[W0, b0, W1, b1, ...]``."""

import numpy as np
import pytest

from sknnopt._layout import Layout

UNITS = [(3, 4, 2), (5, 1), (2, 3, 4, 1), (4, 6, 5, 3)]


def _expected_sizes(units):
    """Return [(n_weights, n_biases)] per layer, computed from the unit counts."""
    return [(a * b, b) for a, b in zip(units[:-1], units[1:])]


@pytest.mark.parametrize("units", UNITS)
def test_size_and_n_layers(units):
    layout = Layout(units)
    assert layout.n_layers == len(units) - 1
    assert layout.size == sum(w + b for w, b in _expected_sizes(units))
    assert layout.offset(layout.n_layers) == layout.size
    for k in range(layout.n_layers):
        assert layout.shape(k) == (units[k], units[k + 1])


@pytest.mark.parametrize("units", UNITS)
def test_interleaved_order(units):
    layout = Layout(units)
    start = 0
    for k, (n_w, n_b) in enumerate(_expected_sizes(units)):
        assert layout.offset(k) == start
        assert layout.weight_slices[k] == slice(start, start + n_w)
        assert layout.bias_slices[k] == slice(start + n_w, start + n_w + n_b)
        assert layout.layer_slice(k) == slice(start, start + n_w + n_b)
        start += n_w + n_b
    assert start == layout.size


@pytest.mark.parametrize("units", UNITS)
def test_views_read_theta_in_interleaved_row_major_order(units):
    layout = Layout(units)
    theta = np.arange(layout.size, dtype=float)
    coefs, intercepts = layout.views(theta)
    assert len(coefs) == len(intercepts) == layout.n_layers
    pos = 0
    for k, (fan_in, fan_out) in enumerate(zip(units[:-1], units[1:])):
        assert coefs[k].shape == (fan_in, fan_out)
        assert intercepts[k].shape == (fan_out,)
        expected_W = np.arange(pos, pos + fan_in * fan_out).reshape(fan_in, fan_out)
        np.testing.assert_array_equal(coefs[k], expected_W)
        pos += fan_in * fan_out
        np.testing.assert_array_equal(intercepts[k], np.arange(pos, pos + fan_out))
        pos += fan_out


@pytest.mark.parametrize("units", UNITS)
def test_views_are_views_into_theta(units):
    layout = Layout(units)
    theta = np.zeros(layout.size)
    coefs, intercepts = layout.views(theta)
    for k in range(layout.n_layers):
        assert np.shares_memory(coefs[k], theta)
        assert np.shares_memory(intercepts[k], theta)
        coefs[k][0, -1] = 10.0 + k
        intercepts[k][-1] = -10.0 - k
    for k in range(layout.n_layers):
        fan_in, fan_out = layout.shape(k)
        w = layout.weight_slices[k]
        b = layout.bias_slices[k]
        assert theta[w.start + fan_out - 1] == 10.0 + k
        assert theta[b.stop - 1] == -10.0 - k
    assert np.count_nonzero(theta) == 2 * layout.n_layers
    # and writing theta in place is seen through the views
    before = theta.copy()
    theta += 1.0
    assert coefs[0][0, 0] == before[0] + 1.0
    assert intercepts[-1][0] == before[layout.bias_slices[-1].start] + 1.0


@pytest.mark.parametrize("units", UNITS)
def test_weight_mask(units):
    layout = Layout(units)
    mask = layout.weight_mask()
    assert mask.dtype == bool and mask.shape == (layout.size,)
    expected = np.concatenate(
        [np.r_[np.ones(n_w, bool), np.zeros(n_b, bool)] for n_w, n_b in _expected_sizes(units)]
    )
    np.testing.assert_array_equal(mask, expected)
    assert mask.sum() == sum(n_w for n_w, _ in _expected_sizes(units))
    for k in range(layout.n_layers):
        start = layout.offset(k)
        np.testing.assert_array_equal(layout.weight_mask(start), expected[start:])


@pytest.mark.parametrize("units", UNITS)
def test_layer_slice_covers_layer_only(units):
    layout = Layout(units)
    theta = np.zeros(layout.size)
    coefs, intercepts = layout.views(theta)
    for k in range(layout.n_layers):
        theta[...] = 0
        theta[layout.layer_slice(k)] = 1.0
        for j in range(layout.n_layers):
            expected = 1.0 if j == k else 0.0
            assert np.all(coefs[j] == expected)
            assert np.all(intercepts[j] == expected)


def test_no_hidden_layer():
    layout = Layout([4, 3])
    assert layout.n_layers == 1
    assert layout.size == 4 * 3 + 3
    np.testing.assert_array_equal(layout.weight_mask(), [True] * 12 + [False] * 3)


def test_equality_and_hash():
    assert Layout([3, 4, 2]) == Layout((3, 4, 2))
    assert hash(Layout([3, 4, 2])) == hash(Layout((3, 4, 2)))
    assert Layout([3, 4, 2]) != Layout([3, 2, 4])
