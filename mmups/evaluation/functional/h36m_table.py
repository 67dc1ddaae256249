"""Per-action Human3.6M tables in the layout of the paper's Tables 3 and 4."""
from collections import OrderedDict
from typing import Dict, Optional, Tuple

import numpy as np

from mmups.datasets.converters.h36m import H36M_ACTION_ALIASES

__all__ = ['H36M_TABLE_COLUMNS', 'format_h36m_table',
           'format_h36m_tables']

#: Column of the paper's Tables 3-4 -> the Human3.6M action class it shows
#: (a name of ``mmups.datasets.converters.h36m.H36M_ACTIONS``, as
#: ``MPJPEMetric`` names its per-action results).
H36M_TABLE_COLUMNS: 'OrderedDict[str, str]' = OrderedDict([
    ('Dir.', 'Directions'), ('Disc.', 'Discussion'), ('Eat', 'Eating'),
    ('Greet', 'Greeting'), ('Phone', 'Phoning'), ('Photo', 'TakingPhoto'),
    ('Pose', 'Posing'), ('Pur.', 'Purchases'), ('Sit', 'Sitting'),
    ('SitD.', 'SittingDown'), ('Smoke', 'Smoking'), ('Wait', 'Waiting'),
    ('WalkD.', 'WalkDog'), ('Walk', 'Walking'), ('WalkT.', 'WalkTogether'),
])


def _split_key(key: str) -> Tuple[str, str]:
    """Split ``'a/b/MPJPE_Walking'`` into ``('a/b', 'MPJPE_Walking')``."""
    prefix, _, name = key.rpartition('/')
    return prefix, name


def format_h36m_table(metrics: Dict[str, float],
                      metric: str = 'MPJPE',
                      prefix: Optional[str] = None,
                      row_name: Optional[str] = None,
                      avg: str = 'actions',
                      precision: int = 1) -> str:
    """Render per-action Human3.6M errors as a Markdown table.

    The columns are those of the paper's Tables 3 (MPJPE) and 4 (P-MPJPE):
    Dir., Disc., Eat, Greet, Phone, Photo, Pose, Pur., Sit, SitD., Smoke,
    Wait, WalkD., Walk, WalkT., Avg. Values are printed as they are in
    ``metrics`` (the project's ``MPJPEMetric`` reports millimetres); a
    missing action is shown as ``-``.

    Args:
        metrics: evaluation results holding per-action keys
            ``'{metric}_{Action}'`` (MMPose's ``MPJPE`` names, e.g.
            ``MPJPE_Walking``), optionally under a prefix such as
            ``'pe3d/h36m_cpn/MPJPE_Walking'`` (``MultiTaskMetric`` names).
        metric: error name: ``'MPJPE'``, ``'P-MPJPE'`` or ``'N-MPJPE'``.
        prefix: the key prefix to read (e.g. ``'pe3d/h36m_cpn'``). When
            None, it is detected; results of more than one prefix are an
            error.
        row_name: label of the table row; defaults to the prefix (or the
            metric name without one).
        avg: ``'actions'``: Avg is the mean of the shown per-action values
            (the usual Human3.6M protocol, every action weighted equally);
            ``'overall'``: Avg is the ``metric`` key itself (mean over all
            frames).
        precision: decimals printed.

    Returns:
        str: a Markdown table (header, separator and one row).

    Raises:
        ValueError: no per-action key of ``metric`` is found, several prefixes
            match, or ``avg`` is unknown.
    """
    if avg not in ('actions', 'overall'):
        raise ValueError(f"avg must be 'actions' or 'overall', got {avg!r}.")
    # Per-action values by prefix, e.g. {'pe3d/h36m': {'Walking': 30.1}}.
    found: Dict[str, Dict[str, float]] = {}
    head = f'{metric}_'
    for key, value in metrics.items():
        key_prefix, name = _split_key(key)
        if (name.startswith(head) and len(name) > len(head)
                and name != head + 'avg'):
            found.setdefault(key_prefix, {})[name[len(head):]] = float(value)
    if prefix is None:
        if not found:
            raise ValueError(
                f'No per-action "{metric}_<Action>" key in the metrics '
                f'(keys: {sorted(metrics)}).')
        if len(found) > 1:
            raise ValueError(
                f'Per-action {metric} results of several prefixes '
                f'{sorted(found)}: pass prefix= to choose one.')
        prefix = next(iter(found))
    actions = found.get(prefix.rstrip('/'), {})

    cells = []
    values = []
    for name in H36M_TABLE_COLUMNS.values():
        # Results written under another spelling (MMPose's names, or
        # metrics with action_aliases={}) fill the class's column too.
        spellings = [name] + [a for a, c in H36M_ACTION_ALIASES.items()
                              if c == name]
        present = [actions[n] for n in spellings if n in actions]
        if present:
            value = float(np.mean(present))
            values.append(value)
            cells.append(f'{value:.{precision}f}')
        else:
            cells.append('-')
    if avg == 'actions':
        average = float(np.mean(values)) if values else None
    else:
        overall_key = f'{prefix}/{metric}' if prefix else metric
        average = (float(metrics[overall_key])
                   if overall_key in metrics else None)
    cells.append('-' if average is None else f'{average:.{precision}f}')

    if row_name is None:
        row_name = prefix or metric
    columns = ['Method'] + list(H36M_TABLE_COLUMNS) + ['Avg']
    lines = [
        '| ' + ' | '.join(columns) + ' |',
        '|' + '|'.join(['---'] + ['---:'] * (len(columns) - 1)) + '|',
        '| ' + ' | '.join([row_name] + cells) + ' |',
    ]
    return '\n'.join(lines)


def format_h36m_tables(metrics: Dict[str, float],
                       precision: int = 1) -> str:
    """Every per-action Human3.6M table that ``metrics`` holds: one per
    result prefix (e.g. ``pe3d/h36m``) and error (``MPJPE``, ``P-MPJPE``,
    ``N-MPJPE``), each with the action-averaged Avg of the protocol, followed
    by a line with the frame-weighted error beside it. An empty string when
    there is none (no pose estimation results)."""
    blocks = []
    for metric in ('MPJPE', 'P-MPJPE', 'N-MPJPE'):
        head = f'{metric}_'
        prefixes = sorted({
            _split_key(key)[0] for key in metrics
            if _split_key(key)[1].startswith(head)
            and not _split_key(key)[1].endswith('_avg')})
        known = set(H36M_TABLE_COLUMNS.values()) | set(H36M_ACTION_ALIASES)
        for prefix in prefixes:
            at = f'{prefix}/' if prefix else ''
            actions = {
                k[len(at) + len(head):]: float(v) for k, v in metrics.items()
                if k.startswith(at + head) and '/' not in k[len(at):]
                and k != f'{at}{head}avg'}
            if set(actions) & known:
                table = format_h36m_table(metrics, metric, prefix=prefix,
                                          row_name=prefix or None,
                                          precision=precision)
            else:  # not Human3.6M's actions (e.g. the demo's): a list
                table = ', '.join(f'{a} {v:.{precision}f}'
                                  for a, v in sorted(actions.items()))
                table += (f' (action mean '
                          f'{np.mean(list(actions.values())):.{precision}f})')
            overall = metrics.get(f'{at}{metric}')
            note = '' if overall is None else (
                f'\n{metric} over all frames (frame-weighted): '
                f'{float(overall):.{precision}f}')
            blocks.append(f'{prefix or metric} {metric} per action:\n'
                          f'{table}{note}')
    return '\n\n'.join(blocks)
