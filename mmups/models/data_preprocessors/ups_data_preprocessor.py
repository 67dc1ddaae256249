"""Batches pose sequences of possibly different layouts for UPS."""
from typing import List, Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

from mmups.registry import MODELS
from mmups.skeleton import get_layout


def sample_name(sample, index: int) -> str:
    """A readable identity of a data sample for error messages."""
    meta = getattr(sample, 'metainfo', {}) or {}
    for key in ('frame_dir', 'filename', 'img_path', 'target_img_path'):
        if meta.get(key) is not None:
            return f'sample {index} ({key}={meta[key]!r})'
    return f'sample {index}'


@MODELS.register_module()
class UPSDataPreprocessor(BaseDataPreprocessor):
    """Stack skeleton inputs into one (N, M, T, V_max, 3) tensor, or
    (N, K, M, T, V_max, 3) for K > 1 test clips per sample.

    Each input is (M, T, V, C) or (K, M, T, V, C), K clips of one sample
    (MMAction2's ``num_clips``), with C = 3 (3D) or C = 2 (2D; Z is padded
    with zeros, paper 5.2). Samples may have different layouts (V) and
    person counts (M): both are zero-padded to the batch maximum; the model
    reads each sample's layout from its metainfo. All samples must have
    the same T and the same K. K = 1 gives the (N, M, T, V_max, 3) batch
    whatever the input's form; with K > 1 the clips stay in their own axis,
    so that sample i's clips are row i (the action task kinds decode the
    N * K clips and average each sample's K scores).

    Raises clear errors, naming the sample, for non-finite coordinates, a
    joint count that does not match the sample's layout, and unsupported
    shapes.

    Args:
        coord_dims: C expected by the model (3).
    """

    def __init__(self, coord_dims: int = 3) -> None:
        super().__init__()
        self.coord_dims = coord_dims

    def _check(self, x: Tensor, sample, index: int) -> Tensor:
        """One sample's input -> (K, M, T, V, 3)."""
        name = sample_name(sample, index)
        if x.dim() == 3:  # (T, V, C): a single person
            x = x.unsqueeze(0)
        if x.dim() == 4:
            x = x.unsqueeze(0)
        if x.dim() != 5:
            raise ValueError(f'{name}: expected (M, T, V, C) coordinates or '
                             f'(K, M, T, V, C) clips, got shape '
                             f'{tuple(x.shape)}.')
        if x.shape[0] == 0:
            raise ValueError(f'{name}: no clips (K=0).')
        if x.shape[-1] not in (2, self.coord_dims):
            raise ValueError(f'{name}: expected 2 or {self.coord_dims} '
                             f'coordinates per joint, got C={x.shape[-1]}.')
        if not torch.isfinite(x).all():
            bad = (~torch.isfinite(x)).sum().item()
            raise ValueError(f'{name}: {bad} coordinates are NaN or infinite.')
        if x.shape[2] == 0:
            raise ValueError(f'{name}: the sequence is empty (T=0).')
        layout_name = sample.metainfo.get('layout') if sample is not None \
            else None
        if layout_name is None:
            raise KeyError(f'{name}: no joint layout in its metainfo.')
        layout = get_layout(layout_name)
        if x.shape[3] != layout.num_joints:
            raise ValueError(
                f'{name}: layout {layout_name!r} has {layout.num_joints} '
                f'joints but the input has V={x.shape[3]}.')
        if x.shape[-1] == 2:
            x = torch.cat([x, x.new_zeros(*x.shape[:-1], 1)], dim=-1)
        return x

    def forward(self, data: dict, training: bool = False) -> dict:
        """Cast, check and pad a collated batch.

        Args:
            data: ``dict(inputs=list of tensors or (N, ...) tensor,
                data_samples=list of UPSDataSample)``.

        Returns:
            ``dict(inputs=(N, M, T, V_max, 3) float tensor,
            data_samples=list)`` on the preprocessor's device; inputs are
            (N, K, M, T, V_max, 3) where each sample has K > 1 clips.
        """
        data = self.cast_data(data)
        inputs: Union[Tensor, Sequence[Tensor]] = data['inputs']
        samples: Optional[List] = data.get('data_samples')
        if samples is None:
            raise KeyError('UPS needs data_samples with task and layout '
                           'metainfo.')
        if isinstance(inputs, Tensor):
            inputs = list(inputs)
        if len(inputs) != len(samples):
            raise ValueError(f'{len(inputs)} inputs for {len(samples)} data '
                             'samples.')
        xs = [self._check(torch.as_tensor(x).float(), s, i)
              for i, (x, s) in enumerate(zip(inputs, samples))]
        lengths = {x.shape[2] for x in xs}
        if len(lengths) > 1:
            raise ValueError(f'Samples of one batch have different numbers of '
                             f'frames {sorted(lengths)}; sample a fixed clip '
                             'length (e.g. UniformSampleFrames) in the '
                             'pipeline.')
        clips = [x.shape[0] for x in xs]
        if len(set(clips)) > 1:
            odd = next(i for i, k in enumerate(clips) if k != clips[0])
            raise ValueError(
                f'{sample_name(samples[odd], odd)} has {clips[odd]} clips, '
                f'{sample_name(samples[0], 0)} {clips[0]}: the samples of '
                'one batch need the same num_clips.')
        m = max(x.shape[1] for x in xs)
        v = max(x.shape[3] for x in xs)
        batch = xs[0].new_zeros(len(xs), clips[0], m, xs[0].shape[2], v,
                                self.coord_dims)
        for i, x in enumerate(xs):
            batch[i, :, :x.shape[1], :, :x.shape[3]] = x
        if clips[0] == 1:
            batch = batch[:, 0]
        return dict(inputs=batch, data_samples=samples)
