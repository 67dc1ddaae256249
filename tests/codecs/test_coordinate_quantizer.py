import numpy as np
import pytest
import torch

from mmups.codecs import CoordinateQuantizer
from mmups.registry import KEYPOINT_CODECS


def test_registered_and_bin_width():
    q = KEYPOINT_CODECS.build(
        dict(type='CoordinateQuantizer', num_bins=4, ranges=(-1.0, 1.0)))
    assert isinstance(q, CoordinateQuantizer)
    assert torch.allclose(q.bin_width, torch.full((3, ), 0.5,
                                                  dtype=torch.float64))


@pytest.mark.parametrize('ranges', [(-1.2, 1.2),
                                    ((-1.0, 1.0), (-2.0, 0.5), (0.0, 5.0))])
def test_round_trip_within_half_bin(ranges):
    q = CoordinateQuantizer(num_bins=256, ranges=ranges)
    lo, hi = q.ranges[:, 0].float(), q.ranges[:, 1].float()
    gen = torch.Generator().manual_seed(0)
    # coords: (N, J, 3) uniformly inside the ranges, plus the exact edges.
    coords = lo + torch.rand(64, 17, 3, generator=gen) * (hi - lo)
    coords = torch.cat([coords.reshape(-1, 3), lo[None], hi[None]])
    bins = q.encode(coords)
    assert bins.dtype == torch.long and bins.shape == coords.shape
    assert int(bins.min()) >= 0 and int(bins.max()) < 256
    assert q.last_num_clipped.tolist() == [0, 0, 0]
    decoded = q.decode(bins)
    assert decoded.dtype == torch.float32 and decoded.shape == coords.shape
    err = (decoded - coords).abs().double()
    assert (err <= q.bin_width / 2 + 1e-6).all()
    # The edges map to the first / last bin.
    assert bins[-2].tolist() == [0, 0, 0]
    assert bins[-1].tolist() == [255, 255, 255]


def test_bin_boundaries_and_centres():
    q = CoordinateQuantizer(num_bins=4, ranges=(0.0, 4.0))
    x = torch.tensor([[0.0, 0.99, 1.0], [3.5, 2.0, 3.999]])
    assert q.encode(x).tolist() == [[0, 0, 1], [3, 2, 3]]
    assert q.decode(torch.tensor([[0, 1, 3]])).tolist() == [[0.5, 1.5, 3.5]]


def test_numpy_input_and_batch_shapes():
    q = CoordinateQuantizer(num_bins=8)
    arr = np.zeros((2, 3, 5, 3), dtype=np.float32)
    bins = q.encode(arr)
    assert isinstance(bins, torch.Tensor) and bins.shape == (2, 3, 5, 3)
    assert (bins == 4).all()  # 0.0 is the lower edge of the middle bin


def test_clipping_is_counted_not_wrapped():
    q = CoordinateQuantizer(num_bins=10, ranges=((-1, 1), (-1, 1), (0, 2)))
    x = torch.tensor([[-5.0, 0.0, 2.5], [1.5, 3.0, -0.1], [0.0, 0.0, 1.0]])
    bins = q.encode(x)
    assert bins.tolist() == [[0, 5, 9], [9, 9, 0], [5, 5, 5]]
    assert q.last_num_clipped.tolist() == [2, 1, 2]
    assert q.num_clipped.tolist() == [2, 1, 2]
    q.encode(torch.tensor([[9.0, 0.0, 1.0]]))
    assert q.last_num_clipped.tolist() == [1, 0, 0]
    assert q.num_clipped.tolist() == [3, 1, 2]
    q.reset_clip_count()
    assert q.num_clipped.tolist() == [0, 0, 0]


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
def test_non_finite_raises(bad):
    q = CoordinateQuantizer()
    with pytest.raises(ValueError, match='NaN or infinite'):
        q.encode(torch.tensor([[0.0, bad, 0.0]]))


def test_shape_and_dtype_errors():
    q = CoordinateQuantizer(num_bins=8)
    for shape in [(4, 2), (4, 4), ()]:
        with pytest.raises(ValueError, match=r'\(\.\.\., 3\)'):
            q.encode(torch.zeros(shape))
        with pytest.raises(ValueError, match=r'\(\.\.\., 3\)'):
            q.decode(torch.zeros(shape, dtype=torch.long))
    with pytest.raises(ValueError, match='integers'):
        q.decode(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r'\[0, 8\)'):
        q.decode(torch.tensor([[0, 8, 1]]))
    with pytest.raises(ValueError, match=r'\[0, 8\)'):
        q.decode(torch.tensor([[0, -1, 1]]))


def test_bad_constructor_args():
    with pytest.raises(ValueError):
        CoordinateQuantizer(num_bins=0)
    with pytest.raises(ValueError):
        CoordinateQuantizer(ranges=(1.0, -1.0))
    with pytest.raises(ValueError):
        CoordinateQuantizer(ranges=((0, 1), (0, 1)))
    with pytest.raises(ValueError):
        CoordinateQuantizer(ranges=(0.0, float('inf')))


@pytest.mark.parametrize('mode', ['gaussian', 'two_bin', 'hard'])
def test_soft_targets_sum_to_one_and_peak_at_the_bin(mode):
    q = CoordinateQuantizer(num_bins=16, ranges=((-1.0, 1.0), (0.0, 2.0),
                                                 (-2.0, 2.0)))
    coords = torch.tensor([[0.3, 1.71, -1.2], [-0.99, 0.02, 1.95]])
    targets = q.soft_encode(coords, mode, sigma=1.5)
    assert targets.shape == (2, 3, 16)
    assert torch.allclose(targets.sum(-1), torch.ones(2, 3))
    assert (targets >= 0).all()
    # The heaviest bin is the one the value falls in.
    assert torch.equal(targets.argmax(-1), q.encode(coords))


def test_gaussian_target_shape():
    q = CoordinateQuantizer(num_bins=32, ranges=(-1.0, 1.0))
    # Exactly on the centre of bin 10 on every axis.
    centre = q.decode(torch.full((1, 3), 10))
    t = q.soft_encode(centre, 'gaussian', sigma=2.0)[0, 0]
    b = torch.arange(32, dtype=torch.float32)
    expected = torch.exp(-0.5 * ((b - 10) / 2.0)**2)
    assert torch.allclose(t, expected / expected.sum(), atol=1e-6)
    # Symmetric about the bin, falling off with the distance.
    assert torch.allclose(t[10 - 3], t[10 + 3])
    assert t[10] > t[11] > t[13] > t[20]


def test_expectation_of_one_hot_is_the_bin_centre():
    q = CoordinateQuantizer(num_bins=8, ranges=((-1.0, 1.0), (0.0, 4.0),
                                                (-0.5, 0.5)))
    bins = torch.tensor([[0, 3, 7], [5, 5, 1]])
    one_hot = torch.nn.functional.one_hot(bins, 8).float()
    assert torch.allclose(q.expectation(one_hot), q.decode(bins))


def test_expectation_of_two_bin_target_is_the_exact_value():
    q = CoordinateQuantizer(num_bins=256, ranges=(-1.2, 1.2))
    coords = torch.tensor([[0.0, 0.123456, -0.987], [1.1, -1.15, 0.5]])
    t = q.soft_encode(coords, 'two_bin')
    assert ((t > 0).sum(-1) <= 2).all()
    assert torch.allclose(q.expectation(t), coords, atol=1e-6)
    # The Gaussian target away from the edges has the same mean.
    g = q.soft_encode(coords[:1], 'gaussian', sigma=2.0)
    assert torch.allclose(q.expectation(g), coords[:1], atol=1e-5)
    # Per-row axes give the same read-out.
    rows, axes = t.reshape(-1, 256), torch.arange(3).repeat(2)
    assert torch.allclose(q.expectation(rows, axis=axes),
                          coords.reshape(-1), atol=1e-6)


def test_expectation_window_reads_the_main_mode():
    q = CoordinateQuantizer(num_bins=10, ranges=(0.0, 10.0))
    probs = torch.zeros(1, 3, 10)
    probs[..., 1] = 0.6  # main mode at centre 1.5
    probs[..., 8] = 0.4  # a second mode at 8.5
    assert torch.allclose(q.expectation(probs),
                          torch.full((1, 3), 0.6 * 1.5 + 0.4 * 8.5))
    assert torch.allclose(q.expectation(probs, window=2),
                          torch.full((1, 3), 1.5))


def test_covering_ranges():
    rng = np.random.default_rng(0)
    x = np.stack([rng.uniform(-1, 1, 100000), rng.uniform(0, 4, 100000),
                  rng.normal(0, 0.1, 100000)], -1)
    r = CoordinateQuantizer.covering_ranges(x, coverage=0.9)
    assert r.shape == (3, 2)
    assert np.allclose(r[0], [-0.9, 0.9], atol=0.02)
    assert np.allclose(r[1], [0.2, 3.8], atol=0.04)
    inside = ((x >= r[:, 0]) & (x <= r[:, 1])).mean(0)
    assert np.allclose(inside, 0.9, atol=0.002)
    with pytest.raises(ValueError, match='coverage'):
        CoordinateQuantizer.covering_ranges(x, coverage=0)
    with pytest.raises(ValueError, match='NaN'):
        CoordinateQuantizer.covering_ranges(np.full((2, 3), np.nan))
