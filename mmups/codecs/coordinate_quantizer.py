"""Uniform quantization of 3D joint coordinates into discrete bins.

UPS (section 3.2) represents every coordinate of a joint by one of
``num_bins`` discrete bins per axis, so that a 3D pose becomes a sequence of
vocabulary tokens. This codec maps real coordinates to bin indices and back.
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from mmups.registry import KEYPOINT_CODECS

__all__ = ['CoordinateQuantizer']

RangeSpec = Union[Tuple[float, float], Sequence[Sequence[float]]]


def _parse_ranges(ranges: RangeSpec) -> Tensor:
    """Turn ``ranges`` into a float64 tensor (3, 2) = (axis, [lo, hi])."""
    try:
        arr = np.asarray(ranges, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f'ranges must be one (lo, hi) pair or three pairs '
                         f'(X, Y, Z), got {ranges!r}') from e
    if arr.shape == (2, ):
        arr = np.tile(arr, (3, 1))
    if arr.shape != (3, 2):
        raise ValueError(f'ranges must be one (lo, hi) pair or three pairs '
                         f'(X, Y, Z), got {ranges!r} (shape {arr.shape})')
    if not np.isfinite(arr).all() or not (arr[:, 0] < arr[:, 1]).all():
        raise ValueError(f'every range needs finite lo < hi, got {ranges!r}')
    return torch.from_numpy(arr)


@KEYPOINT_CODECS.register_module()
class CoordinateQuantizer:
    """Uniform per-axis quantizer of (X, Y, Z) coordinates.

    Axis ``a`` with range ``(lo, hi)`` is cut into ``num_bins`` bins of width
    ``w = (hi - lo) / num_bins``; bin ``b`` covers ``[lo + b*w, lo + (b+1)*w)``
    (the upper edge ``hi`` itself falls into the last bin) and decodes to its
    centre ``lo + (b + 0.5) * w``. In-range values therefore round-trip with an
    error of at most ``w / 2`` per axis.

    Values below ``lo`` or above ``hi`` are *clipped* to the first / last bin
    (never wrapped) and counted:

    * ``last_num_clipped``: LongTensor (3,) -- clipped values per axis in the
      most recent :meth:`encode` call;
    * ``num_clipped``: LongTensor (3,) -- clipped values per axis accumulated
      over all calls since construction or :meth:`reset_clip_count`.

    Args:
        num_bins: Number of bins per axis.
        ranges: One ``(lo, hi)`` pair used for all three axes, or three pairs
            for X, Y, Z. Units are those of the data (metres for root-relative
            Human3.6M poses).
    """

    def __init__(self,
                 num_bins: int = 256,
                 ranges: RangeSpec = (-1.2, 1.2)) -> None:
        if isinstance(num_bins, bool) or not isinstance(
                num_bins, (int, np.integer)) or num_bins < 1:
            raise ValueError(
                f'num_bins must be a positive int, got {num_bins!r}')
        self.num_bins = int(num_bins)
        # (3, 2) float64: float64 keeps the bin arithmetic exact enough that
        # in-range values never land in a neighbouring bin.
        self.ranges = _parse_ranges(ranges)
        self.num_clipped = torch.zeros(3, dtype=torch.long)
        self.last_num_clipped = torch.zeros(3, dtype=torch.long)

    @property
    def bin_width(self) -> Tensor:
        """Bin width per axis, float64 tensor (3,)."""
        return (self.ranges[:, 1] - self.ranges[:, 0]) / self.num_bins

    def reset_clip_count(self) -> None:
        """Zero ``num_clipped`` (and ``last_num_clipped``)."""
        self.num_clipped.zero_()
        self.last_num_clipped.zero_()

    @staticmethod
    def _check_shape(x: Tensor, what: str) -> None:
        if x.dim() == 0 or x.shape[-1] != 3:
            raise ValueError(f'{what} must have shape (..., 3) with the last '
                             f'axis holding (X, Y, Z), got {tuple(x.shape)}')

    def encode(self, coords: Union[Tensor, np.ndarray]) -> Tensor:
        """Quantize coordinates into bin indices.

        Args:
            coords: Real coordinates, shape (..., 3) with the last axis
                (X, Y, Z). A numpy array or tensor of any real dtype.

        Returns:
            LongTensor (..., 3): bin indices in ``[0, num_bins)`` on the
            device of ``coords`` (CPU for numpy input). The per-axis count of
            clipped values of this call is left in ``last_num_clipped``.

        Raises:
            ValueError: if the last axis is not of size 3 or any value is NaN
                or infinite.
        """
        x = torch.as_tensor(coords)
        self._check_shape(x, 'coords')
        if x.is_complex() or x.dtype == torch.bool:
            raise ValueError(f'coords must be real numbers, got {x.dtype}')
        if not x.is_floating_point():
            x = x.to(torch.float64)
        if not torch.isfinite(x).all():
            raise ValueError('coords contain NaN or infinite values; '
                             'mask invalid joints before quantizing')
        # The range test runs in the input's precision, so that e.g. a
        # float32 value equal to float32(lo) is not reported as clipped.
        edges = self.ranges.to(x.device, x.dtype)
        outside = (x < edges[:, 0]) | (x > edges[:, 1])
        clipped = outside.reshape(-1, 3).sum(0).to('cpu', torch.long)
        x = x.to(torch.float64)
        ranges = self.ranges.to(x.device)
        lo, hi = ranges[:, 0], ranges[:, 1]
        width = (hi - lo) / self.num_bins
        self.last_num_clipped = clipped
        self.num_clipped += clipped
        bins = torch.floor((x - lo) / width).long()
        # The clamp handles clipped values and ``x == hi`` (last bin).
        return bins.clamp_(0, self.num_bins - 1)

    def decode(self, bins: Union[Tensor, np.ndarray]) -> Tensor:
        """Map bin indices back to coordinates (bin centres).

        Args:
            bins: Integer bin indices, shape (..., 3), values in
                ``[0, num_bins)``.

        Returns:
            Float32 tensor (..., 3) of bin-centre coordinates on the device of
            ``bins``.

        Raises:
            ValueError: on a wrong shape, a non-integer dtype or an index
                outside ``[0, num_bins)``.
        """
        b = torch.as_tensor(bins)
        self._check_shape(b, 'bins')
        if b.is_floating_point() or b.is_complex() or b.dtype == torch.bool:
            raise ValueError(f'bins must be integers, got {b.dtype}')
        if b.numel() and (b.min() < 0 or b.max() >= self.num_bins):
            raise ValueError(f'bin indices must lie in [0, {self.num_bins}), '
                             f'got values in [{int(b.min())}, '
                             f'{int(b.max())}]')
        ranges = self.ranges.to(b.device)
        lo = ranges[:, 0]
        width = (ranges[:, 1] - lo) / self.num_bins
        return (lo + (b.to(torch.float64) + 0.5) * width).to(torch.float32)

    def bin_positions(self, coords: Union[Tensor, np.ndarray]) -> Tensor:
        """Exact coordinates in units of bins: float64 (..., 3).

        Position ``u = (x - lo) / w - 0.5``, so that bin ``b``'s centre sits
        at ``u = b``; clipped to ``[0, num_bins - 1]`` (the outermost
        centres), like :meth:`encode` clips to the outermost bins.
        """
        x = torch.as_tensor(coords)
        self._check_shape(x, 'coords')
        x = x.to(torch.float64)
        if not torch.isfinite(x).all():
            raise ValueError('coords contain NaN or infinite values; '
                             'mask invalid joints before quantizing')
        ranges = self.ranges.to(x.device)
        lo = ranges[:, 0]
        width = (ranges[:, 1] - lo) / self.num_bins
        return ((x - lo) / width - 0.5).clamp_(0, self.num_bins - 1)

    def soft_encode(self, coords: Union[Tensor, np.ndarray],
                    mode: str = 'gaussian', sigma: float = 1.0) -> Tensor:
        """Ordinal targets: a distribution over each axis's bins.

        Cross-entropy against a one-hot bin costs as much for a neighbouring
        bin as for a bin at the other end of the axis; these targets put
        their mass on the bins near the exact value instead.

        Args:
            coords: real coordinates (..., 3).
            mode: ``'gaussian'``: weights ``exp(-(b - u)^2 / (2 sigma^2))``
                around the exact position ``u`` (:meth:`bin_positions`),
                normalised (as SimCC's label smoothing); ``'two_bin'``: the
                two bins around ``u``, weighted so that their mean is exactly
                ``u`` (the target of Distribution Focal Loss); ``'hard'``:
                one-hot at :meth:`encode`'s bin.
            sigma: width of the Gaussian, in bins.

        Returns:
            Float32 tensor (..., 3, num_bins); every row sums to 1.
        """
        if mode == 'hard':
            bins = self.encode(coords)
            return torch.nn.functional.one_hot(
                bins, self.num_bins).to(torch.float32)
        u = self.bin_positions(coords).unsqueeze(-1)  # (..., 3, 1)
        centres = torch.arange(self.num_bins, dtype=torch.float64,
                               device=u.device)
        if mode == 'gaussian':
            if not sigma > 0:
                raise ValueError(f'sigma must be > 0, got {sigma!r}')
            weights = torch.exp(-0.5 * ((centres - u) / sigma)**2)
        elif mode == 'two_bin':
            weights = (1 - (centres - u).abs()).clamp_(min=0)
        else:
            raise ValueError(f"mode must be 'gaussian', 'two_bin' or 'hard', "
                             f'got {mode!r}')
        return (weights / weights.sum(-1, keepdim=True)).to(torch.float32)

    def bin_centres(self, device: Optional[torch.device] = None) -> Tensor:
        """Float32 (3, num_bins): the coordinate each bin decodes to."""
        bins = torch.arange(self.num_bins, device=device)
        return self.decode(bins[:, None].expand(-1, 3)).t().contiguous()

    def expectation(self, probs: Tensor, window: Optional[int] = None,
                    axis: Optional[Tensor] = None) -> Tensor:
        """Continuous coordinates from distributions over the bins.

        The mean of the bin centres under ``probs``: the estimate that
        minimises the expected squared error, where the arg-max bin centre
        minimises the chance of a wrong bin.

        Args:
            probs: (..., 3, num_bins) non-negative weights per axis (e.g.
                a softmax over the axis's bins; rows are renormalised), or
                (..., num_bins) rows of the axes given by ``axis``.
            window: if set, only the bins within ``window`` of each row's
                arg-max count (a multi-modal distribution then reads out
                its main mode instead of a point between modes).
            axis: (...) long, the axis of each row of a (..., num_bins)
                ``probs``; None for (..., 3, num_bins) input.

        Returns:
            Float32 tensor (..., 3) of coordinates, or (...) with ``axis``.
        """
        if axis is None:
            if probs.dim() < 2 or tuple(
                    probs.shape[-2:]) != (3, self.num_bins):
                raise ValueError(f'probs must have shape (..., 3, '
                                 f'{self.num_bins}), got '
                                 f'{tuple(probs.shape)}')
            centres = self.bin_centres(probs.device)
        else:
            if tuple(probs.shape) != (*axis.shape, self.num_bins):
                raise ValueError(f'probs {tuple(probs.shape)} must be '
                                 f'axis {tuple(axis.shape)} + '
                                 f'({self.num_bins},)')
            centres = self.bin_centres(probs.device)[axis]
        p = probs.float()
        if window is not None:
            centre = p.argmax(-1, keepdim=True)
            bins = torch.arange(self.num_bins, device=p.device)
            p = p * ((bins - centre).abs() <= window)
        p = p / p.sum(-1, keepdim=True).clamp(min=1e-12)
        return (p * centres).sum(-1)

    @staticmethod
    def covering_ranges(coords: Union[Tensor, np.ndarray],
                        coverage: float = 0.999) -> np.ndarray:
        """Per-axis ranges that hold ``coverage`` of the values.

        For choosing ``ranges`` from the training targets: the central
        ``coverage`` quantile interval of each axis (the same share cut off
        at both ends), so that the bins are spent where the data lies.

        Args:
            coords: (..., 3) real coordinates (e.g. every training target).
            coverage: share of each axis's values inside its range.

        Returns:
            float64 array (3, 2) of (lo, hi) per axis (X, Y, Z).
        """
        x = np.asarray(coords, dtype=np.float64)
        if x.ndim == 0 or x.shape[-1] != 3 or x.size == 0:
            raise ValueError(f'coords must have shape (..., 3) with values, '
                             f'got {x.shape}')
        if not 0 < coverage <= 1:
            raise ValueError(f'coverage must lie in (0, 1], got {coverage!r}')
        x = x.reshape(-1, 3)
        if not np.isfinite(x).all():
            raise ValueError('coords contain NaN or infinite values')
        tail = (1 - coverage) / 2
        return np.quantile(x, [tail, 1 - tail], axis=0).T

    def __repr__(self) -> str:
        ranges = [tuple(round(v, 6) for v in r) for r in self.ranges.tolist()]
        return (f'{type(self).__name__}(num_bins={self.num_bins}, '
                f'ranges={ranges})')
