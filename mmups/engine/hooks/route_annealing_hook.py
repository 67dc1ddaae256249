"""Anneal the routing's Gumbel temperature and score scale over training."""
import math
from typing import Dict, Optional

from mmengine.hooks import Hook

from mmups.models.encoders import find_routed_encoders
from mmups.registry import HOOKS

#: Schedules of :func:`annealed_value`.
SCHEDULES = ('linear', 'cosine', 'exp')


def annealed_value(start: float, end: float, progress: float,
                   schedule: str = 'cosine') -> float:
    """The value a schedule from ``start`` (progress 0) to ``end`` (progress
    1) takes at ``progress``, clipped to [0, 1].

    Schedules: ``'linear'``; ``'cosine'``, half a cosine period, flat at
    both ends; ``'exp'``, geometric (a constant factor per iteration; both
    values must be positive).
    """
    if schedule not in SCHEDULES:
        raise ValueError(f'schedule must be one of {SCHEDULES}, not '
                         f'{schedule!r}')
    p = min(max(progress, 0.0), 1.0)
    if schedule == 'linear':
        return start + (end - start) * p
    if schedule == 'cosine':
        return end + (start - end) * (1 + math.cos(math.pi * p)) / 2
    if start <= 0 or end <= 0:
        raise ValueError(f"schedule 'exp' needs positive start and end "
                         f'values, got {start} and {end}')
    return start * (end / start)**p


@HOOKS.register_module()
class RouteAnnealingHook(Hook):
    """Set the Gumbel temperature and/or the score scale of every
    :class:`~mmups.models.RoutedEncoder` of the model before each training
    iteration, from a schedule over the iterations.

    Hard Gumbel-Softmax draws block h with probability
    ``softmax(score_scale * s)_h``: a small scale early lets every task try
    the blocks of each layer while its scores are still uninformative, a
    large one late makes the draw the argmax route that evaluation takes.
    The temperature sets how soft the straight-through gradient's sample is
    (high: smooth, small gradients; low: sharp, high variance). Evaluation
    depends on neither.

    The value at iteration i (0-based, before the i-th update) follows the
    schedule from ``begin_iter`` (the start value) to ``end_iter`` (the end
    value) and stays at either end outside them; it depends on the
    iteration only, so a resumed run continues the schedule. Each value is
    also logged (``gumbel_tau``, ``score_scale``).

    Example::

        custom_hooks = [dict(type='RouteAnnealingHook',
                             score_scale=dict(start=0.25, end=1.0,
                                              schedule='cosine'))]

    Args:
        gumbel_tau: ``dict(start=..., end=..., schedule='cosine')`` (see
            :func:`annealed_value`), or None to leave the encoder's.
        score_scale: likewise for the score scale.
        begin_iter: first iteration of the schedules.
        end_iter: iteration at which they reach their end values (default:
            the training's ``max_iters``).
    """

    priority = 'ABOVE_NORMAL'  # before hooks that read the values

    def __init__(self, gumbel_tau: Optional[dict] = None,
                 score_scale: Optional[dict] = None, begin_iter: int = 0,
                 end_iter: Optional[int] = None) -> None:
        self.schedules: Dict[str, dict] = {}
        for name, cfg in (('gumbel_tau', gumbel_tau),
                          ('score_scale', score_scale)):
            if cfg is None:
                continue
            cfg = dict(cfg)
            unknown = set(cfg) - {'start', 'end', 'schedule'}
            if unknown or not {'start', 'end'} <= set(cfg):
                raise ValueError(
                    f'RouteAnnealingHook {name}: expected dict(start=..., '
                    f'end=..., schedule=...), got {cfg!r}')
            cfg.setdefault('schedule', 'cosine')
            # Checks the schedule (and the signs 'exp' needs) now.
            annealed_value(cfg['start'], cfg['end'], 0.0, cfg['schedule'])
            if name == 'gumbel_tau' and min(cfg['start'], cfg['end']) <= 0:
                raise ValueError('RouteAnnealingHook gumbel_tau: the '
                                 'temperature must stay positive, got '
                                 f'{cfg!r}')
            self.schedules[name] = cfg
        if not self.schedules:
            raise ValueError('RouteAnnealingHook: give gumbel_tau and/or '
                             'score_scale.')
        if end_iter is not None and end_iter <= begin_iter:
            raise ValueError(f'RouteAnnealingHook: end_iter ({end_iter}) '
                             f'must be after begin_iter ({begin_iter}).')
        self.begin_iter = begin_iter
        self.end_iter = end_iter

    def values_at(self, iteration: int, max_iters: int) -> Dict[str, float]:
        """The annealed values at ``iteration`` of a training of
        ``max_iters`` iterations."""
        end = self.end_iter if self.end_iter is not None else max_iters
        span = max(end - self.begin_iter, 1)
        progress = (iteration - self.begin_iter) / span
        return {name: annealed_value(cfg['start'], cfg['end'], progress,
                                     cfg['schedule'])
                for name, cfg in self.schedules.items()}

    def _apply(self, runner) -> Dict[str, float]:
        values = self.values_at(runner.iter, runner.max_iters)
        for encoder in find_routed_encoders(runner.model):
            for name, value in values.items():
                setattr(encoder, name, value)
        return values

    def before_train(self, runner) -> None:
        # Hooks that record the routes before the first iteration see the
        # values of that iteration.
        self._apply(runner)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        for name, value in self._apply(runner).items():
            runner.message_hub.update_scalar(f'train/{name}', value)
