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
