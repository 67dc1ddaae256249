"""Partial observation of a sequence, for early action prediction."""
import math
import random
from typing import Sequence, Union

from mmcv.transforms import BaseTransform

from mmups.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ObservationRatio(BaseTransform):
    """Keep only the first ``r`` of a sequence's frames.

    Placed before MMAction2's frame sampling (``UniformSampleFrames`` /
    ``PoseDecode``), it shortens ``total_frames`` and the ``keypoint`` (and
    ``keypoint_score``) arrays of shape (M, T, V, C) to the first
    ceil(r * T) frames, so the clip is sampled from the observed part only,
    and records ``obs_ratio`` = r for the metric.

    Placed first, before the normalisation (``PreNormalize3D`` /
    ``PreNormalize2D``), it cuts the recorded clip, and nothing after the
    cut reaches the sample: ``PreNormalize3D`` picks the main person, the
    centre and the frames it keeps from the observed frames only. Placed
    after it (the configs' default, as the protocol was first run), the
    cut falls on the normalised clip, whose main person and empty frames
    were chosen from the whole clip. docs/tasks.md has both protocols.

    Args:
        ratios: one ratio (fixed, for testing) or several (training: one
            drawn uniformly per sample). Each in (0, 1].
    """

    def __init__(self, ratios: Union[float, Sequence[float]]) -> None:
        ratios = [ratios] if isinstance(ratios, (int, float)) else list(ratios)
        if not ratios or any(not 0 < r <= 1 for r in ratios):
            raise ValueError(f'Observation ratios must lie in (0, 1], got '
                             f'{ratios}.')
        self.ratios = [float(r) for r in ratios]

    def transform(self, results: dict) -> dict:
        ratio = self.ratios[0] if len(self.ratios) == 1 \
            else random.choice(self.ratios)
        total = int(results.get('total_frames',
                                results['keypoint'].shape[1]))
        keep = max(1, math.ceil(round(ratio * total, 6)))
        results['total_frames'] = keep
        for key in ('keypoint', 'keypoint_score'):
            if key in results:
                results[key] = results[key][:, :keep]
        results['obs_ratio'] = ratio
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(ratios={self.ratios})'
