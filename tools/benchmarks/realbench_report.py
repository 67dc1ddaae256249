"""The results of the real-data comparison (``realbench.py`` beside this
file): how the metrics of a run are read, the tables of
``docs/benchmarks.md`` and the plots."""
import json
import os
import os.path as osp
import re
from typing import Callable, Dict, List, NamedTuple, Optional

import numpy as np
import torch

from mmups.tasks import get_task_kind
# Beside this file (realbench.py puts this folder on sys.path).
from realbench_runs import (ENCODER_CHANGES, FINETUNE_FRACTION, PE_CHANGES,
                            REALBENCH_TASKS,
                            ROOT, RUNS)

#: Observation ratios reported in the early-prediction tables.
TABLE_RATIOS = (0.2, 0.4, 0.6, 0.8, 1.0)


def count_parameters(checkpoint: str) -> int:
    """Trained parameters in a checkpoint: every tensor of its state dict
    except normalisation statistics and UPS' vocabulary table (fixed text
    embeddings, not trained)."""
    state = torch.load(checkpoint, map_location='cpu')
    state = state.get('state_dict', state)
    skip = re.compile(r'(running_mean|running_var|num_batches_tracked|'
                      r'vocabulary\.embeddings)$')
    return sum(v.numel() for k, v in state.items()
               if torch.is_tensor(v) and not skip.search(k))


def task_metrics(raw: Dict[str, float], task: str,
                 single_task: bool) -> Dict[str, float]:
    """The metrics of one task, under common names.

    UPS runs name metrics ``<task>/<dataset>/<metric>``; the peers use
    MMAction2's ``acc/top1`` and MMPose's ``MPJPE`` names.
    """
    out: Dict[str, float] = {}
    for key, value in raw.items():
        parts = key.split('/')
        if len(parts) >= 3 and parts[0] == task:
            # A metric's own prefix stays: 'zero_velocity/MPJPE'.
            name = '/'.join(parts[2:])
        elif len(parts) >= 3 or not single_task:
            continue
        else:
            name = parts[-1]
        if ('_' in name
                and name.split('_')[0] in ('MPJPE', 'P-MPJPE', 'N-MPJPE')
                and not name.endswith('_avg')):
            continue  # per-action entries (their mean, ``_avg``, is kept)
        out[name] = float(value)
    return out


def collect_run(name: str, checkpoint: str, metrics_file: str,
                train_time: float) -> dict:
    """The record of one finished run."""
    with open(metrics_file) as f:
        raw = json.load(f)
    run = RUNS[name]
    single = len(run['tasks']) == 1
    return dict(
        model=run['model'], config=run['config'], checkpoint=checkpoint,
        params=count_parameters(checkpoint), train_time_s=train_time,
        metrics={t: task_metrics(raw, t, single) for t in run['tasks']},
        raw_metrics=raw)


def rows_for(results: dict, task: str,
             ablation: Optional[str] = None) -> List[tuple]:
    """(run name, run record) of every run that did ``task``, UPS first:
    the main comparison's runs, or with ``ablation`` those of that
    ablation."""
    return [(name, run) for name, run in results['runs'].items()
            if task in run['metrics'] and run['metrics'][task]
            and RUNS.get(name, {}).get('ablation') == ablation]


def _fmt(value: Optional[float], scale: float = 1., digits: int = 1) -> str:
    return '-' if value is None else f'{value * scale:.{digits}f}'


def _eap_at(metrics: Dict[str, float], ratio: float) -> Optional[float]:
    for key, value in metrics.items():
        match = re.fullmatch(r'top1@([0-9.]+)', key)
        if match and abs(float(match.group(1)) - ratio) < 1e-6:
            return value
    return None


class _Columns(NamedTuple):
    """The metric columns of a task kind's table: their heads, and the
    cells of a run's metrics."""
    head: List[str]
    cells: Callable[[Dict[str, float]], List[str]]


_COLUMNS = dict(
    recognition=_Columns(
        ['top-1 (%)', 'top-5 (%)', 'mean class (%)'],
        lambda m: [_fmt(m.get('top1'), 100), _fmt(m.get('top5'), 100),
                   _fmt(m.get('mean1'), 100)]),
    early_prediction=_Columns(
        [f'{r:.0%}' for r in TABLE_RATIOS] + ['mean (10-100%)'],
        lambda m: [_fmt(_eap_at(m, r), 100) for r in TABLE_RATIOS] +
        [_fmt(m.get('top1_mean'), 100)]),
    pose_lifting=_Columns(
        ['MPJPE (mm)', 'P-MPJPE (mm)'],
        lambda m: [_fmt(m.get('MPJPE')), _fmt(m.get('P-MPJPE'))]),
)


def render_markdown(results: dict, plots: Dict[str, str],
                    relative_to: str) -> str:
    """The results section of ``docs/benchmarks.md``."""
    lines = ['## Real data: UPS, UPS_separate, H = 1 and the peers', '']
    lines += [
        f'Machine: {results["machine"]}. Seed {results["seed"]}; '
        f'{results["iters_per_task"]} training iterations per task '
        '(UPS and UPS with H = 1 train all tasks in rotation, so they get '
        'that many per task; "UPS, fine-tuned" continues from the UPS run '
        f'for {FINETUNE_FRACTION:.0%} of them on one task, with a fifth of '
        'the learning rate); every run trains then tests in its own '
        'process. ' + ('**Quick mode: tiny budgets on a small part of the '
                       'data; the numbers only show that the runs work.**'
                       if results['quick'] else ''), '',
        'Reproduce: `python tools/benchmarks/realbench.py` '
        f'(`--iters-per-task {results["iters_per_task"]}`; every run\'s '
        'record, metrics included: `docs/realbench_results.json`). Data '
        'and splits: data/README.md, section "Realbench".', '']
    for task, what in REALBENCH_TASKS.items():
        rows = rows_for(results, task)
        if not rows:
            continue
        lines += [f'### {task}: {what}', '']
        columns = _COLUMNS[get_task_kind(task).name]
        head = ['model'] + columns.head + ['params (M)', 'train time (min)']
        lines += ['| ' + ' | '.join(head) + ' |',
                  '|' + '---|' * len(head)]
        for _, run in rows:
            m = run['metrics'][task]
            cost = [_fmt(run['params'], 1e-6, 2),
                    _fmt(run['train_time_s'], 1 / 60)]
            cells = columns.cells(m)
            lines.append('| ' + ' | '.join([run['model']] + cells + cost) +
                         ' |')
        lines.append('')
    for title, path in plots.items():
        lines += [f'![{title}]({osp.relpath(path, relative_to)})', '']
    lines.append('Train time is the wall time of `tools/train.py` '
                 '(without validation; `tools/test.py` then evaluates the '
                 'last checkpoint); for "UPS, fine-tuned" it is that of '
                 'the fine-tuning alone. UPS and UPS with H = 1 '
                 'are one model for all five tasks: their parameters and '
                 'train time appear in every table.')
    checks = goal_checks(results)
    if checks:
        lines += ['', '### Goals', '',
                  'Each task\'s main figure: top-1 (%) for recognition, mean '
                  'top-1 over the observation ratios (%) for early '
                  'prediction, MPJPE (mm, lower is better) for pose '
                  'estimation. Difference: UPS minus the other model, signed '
                  'so that positive is in UPS\' favour.', '',
                  '| goal | task | UPS model | UPS | other | difference | '
                  'met |', '|---|---|---|---|---|---|---|']
        for c in checks:
            lines.append(
                f'| {c["goal"]} | {c["task"]} | {c["model"]} | '
                f'{c["ups"]:.1f} | {c["other"]:.1f} | {c["margin"]:+.1f} | '
                f'{"yes" if c["met"] else "no"} |')
    return '\n'.join(lines) + '\n'


def is_complete(results: dict) -> bool:
    """Whether ``results`` hold every run of the main comparison (the
    tables of :func:`render_markdown` are written only then)."""
    return all(name in results['runs'] for name, spec in RUNS.items()
               if 'ablation' not in spec)


def render_ablation_markdown(results: dict) -> str:
    """The pose-lifting ablation section of ``docs/benchmarks.md`` (empty
    without its runs), with the pe3d goals."""
    lines = pe_ablation_table(results)
    if not lines:
        return ''
    head = ['## Real data: pose lifting, step by step', '',
            f'Machine: {results["machine"]}. Seed {results["seed"]}; '
            f'{results["iters_per_task"]} training iterations per task. '
            'Reproduce: `python tools/benchmarks/realbench.py --runs '
            + ' '.join(n for n in RUNS if RUNS[n].get('ablation') == 'pe3d')
            + ' ups tcn_h36m_pe3d ups_finetune_pe3d ups_separate_pe3d '
            '--reuse`.', '']
    lines = head + lines
    checks = [c for c in goal_checks(results) if c['task'] == 'pe3d']
    gap = _pe_gap_check(results)
    if checks or gap:
        lines += ['| goal | UPS model | UPS | other | difference | met |',
                  '|---|---|---|---|---|---|']
        for c in checks + gap:
            lines.append(f'| {c["goal"]} | {c["model"]} | {c["ups"]:.1f} | '
                         f'{c["other"]:.1f} | {c["margin"]:+.1f} | '
                         f'{"yes" if c["met"] else "no"} |')
        lines.append('')
    return '\n'.join(lines) + '\n'


def render_encoder_ablation_markdown(results: dict) -> str:
    """The section of ``docs/benchmarks.md`` with the encoder and routing
    ablation of the joint UPS (empty without a run of it): the changes of
    :data:`ENCODER_CHANGES` added one at a time, every task's main figure,
    and ST-GCN on the tasks it has a run of."""
    runs = results['runs']
    names = [n for n in RUNS if RUNS[n].get('ablation') == 'encoder']
    rows = [runs[n] for n in names if n in runs]
    if not rows:
        return ''
    if 'ups' in runs:
        rows.append(dict(runs['ups'], model='UPS, + ' +
                         ENCODER_CHANGES[-1][0] + ' (the shipped configs)'))
    rows += [runs[n] for n in ('stgcn_penn_ar2d', 'stgcn_h36m_ar3d')
             if n in runs]
    head = ['model'] + [f'{t} ({get_task_kind(t).main_metric_name})'
                        for t in REALBENCH_TASKS]
    lines = ['## Real data: the encoder and routing, step by step', '',
             f'Machine: {results["machine"]}. Seed {results["seed"]}; '
             f'{results["iters_per_task"]} training iterations per task. '
             'The joint UPS (all five tasks, same budget and seed), each '
             'row with one more change than the row before, the last one '
             'the shipped configs; ST-GCN beside it. Reproduce: `python '
             'tools/benchmarks/realbench.py --runs ' + ' '.join(names) +
             ' ups stgcn_penn_ar2d stgcn_h36m_ar3d --reuse`.', '',
             '| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for run in rows:
        cells = [_fmt(main_figure(run['metrics'].get(t, {}), t))
                 for t in REALBENCH_TASKS]
        lines.append('| ' + ' | '.join([run['model']] + cells) + ' |')
    return '\n'.join(lines) + '\n'


def render_fp3d_markdown(results: dict) -> str:
    """The section of the six-task UPS (future pose prediction added) in
    ``docs/benchmarks.md``, beside the five-task UPS; empty without it."""
    six = results['runs'].get('ups_fp3d')
    if six is None:
        return ''
    rows = [r for r in (results['runs'].get('ups'), six) if r is not None]
    head = ['model', 'fp3d MPJPE (mm)', 'zero velocity (mm)'] + [
        f'{t} ({get_task_kind(t).main_metric_name})'
        for t in REALBENCH_TASKS]
    lines = ['## Real data: a sixth task, future pose prediction', '',
             f'Machine: {results["machine"]}. Seed {results["seed"]}; '
             f'{results["iters_per_task"]} training iterations per task. '
             'fp3d (not a task of the paper, `mmups/tasks/future_pose.py`): '
             'the camera-frame 3D pose 5 frames (0.5 s) after 9 observed '
             'frames of the Human3.6M mocap, root-relative; "zero '
             'velocity" repeats the last observed pose. Reproduce: '
             '`python tools/benchmarks/realbench.py --runs ups ups_fp3d '
             '--reuse`.', '',
             '| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for run in rows:
        fp = run['metrics'].get('fp3d', {})
        cells = [_fmt(fp.get('MPJPE')), _fmt(fp.get('zero_velocity/MPJPE'))]
        cells += [_fmt(main_figure(run['metrics'].get(t, {}), t))
                  for t in REALBENCH_TASKS]
        lines.append('| ' + ' | '.join([run['model']] + cells) + ' |')
    return '\n'.join(lines) + '\n'


def _pe_gap_check(results: dict) -> List[dict]:
    """The goal "UPS MPJPE - P-MPJPE <= the TCN's" (mm)."""
    def gap(name):
        m = results['runs'].get(name, {}).get('metrics', {}).get('pe3d', {})
        if m.get('MPJPE') is None or m.get('P-MPJPE') is None:
            return None
        return m['MPJPE'] - m['P-MPJPE']
    tcn = gap('tcn_h36m_pe3d')
    out = []
    for name in ('ups', 'ups_finetune_pe3d'):
        ups = gap(name)
        if ups is not None and tcn is not None:
            out.append(dict(goal='UPS MPJPE - P-MPJPE <= TCN\'s',
                            model=results['runs'][name]['model'], ups=ups,
                            other=tcn, margin=tcn - ups, met=ups <= tcn))
    return out


def pe_ablation_table(results: dict) -> List[str]:
    """Markdown lines of the pose-lifting ablation (none without a run of
    it, or a UPS pose lifter and the TCN): the joint UPS with the changes
    added one at a time, its action tasks beside, then UPS fine-tuned on
    pe3d, UPS_separate and the TCN (with and without flip test, and both
    at batch 16), where they ran."""
    runs = results['runs']
    ablation = any(RUNS[n].get('ablation') == 'pe3d' for n in runs
                   if n in RUNS)
    pair = 'tcn_h36m_pe3d' in runs and any(
        n in runs for n in ('ups', 'ups_finetune_pe3d', 'ups_separate_pe3d'))
    if not (ablation or pair):
        return []
    names = [n for n in RUNS if n.startswith('ups_pe_ablation')]
    rows = [(n, results['runs'][n]) for n in names if n in results['runs']]
    steps = bool(rows)
    if 'ups' in results['runs']:
        rows.append(('ups', dict(results['runs']['ups'],
                                 model='UPS, + ' + PE_CHANGES[-1][0] +
                                 ' (the shipped configs)')))
    for name in ('ups_finetune_pe3d', 'ups_separate_pe3d',
                 'ups_separate_pe3d_b16', 'tcn_h36m_pe3d_noflip',
                 'tcn_h36m_pe3d', 'tcn_h36m_pe3d_b16'):
        if name in results['runs']:
            rows.append((name, results['runs'][name]))
    actions = [t for t in REALBENCH_TASKS
               if not get_task_kind(t).emits_coordinates]
    head = ['model', 'MPJPE (mm)', 'P-MPJPE (mm)', 'N-MPJPE (mm)',
            'MPJPE - P-MPJPE', 'MPJPE, action mean (mm)'] + [
                f'{t} ({get_task_kind(t).main_metric_name}, %)'
                for t in actions]
    if steps:
        lines = ['### pe3d ablation: the pose-lifting changes one at a time',
                 '', 'The joint UPS (all five tasks, same budget and seed), '
                 'each row with one more change than the row before; rows '
                 'that add a test-time change test the checkpoint of the row '
                 'before. The action columns show that the changes leave the '
                 'other tasks as they were.', '']
    else:
        lines = ['### pe3d ablation: UPS and the TCN', '',
                 'The pose lifters of the shipped configs (same budget and '
                 'seed), beside the runs of the ablation that ran (the rows '
                 'with a change of the configs in their name).', '']
    lines += ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for _, run in rows:
        m = run['metrics'].get('pe3d', {})
        mpjpe, pa = m.get('MPJPE'), m.get('P-MPJPE')
        gap = None if mpjpe is None or pa is None else mpjpe - pa
        cells = [_fmt(mpjpe), _fmt(pa), _fmt(m.get('N-MPJPE')), _fmt(gap),
                 _fmt(m.get('MPJPE_avg'))]
        for task in actions:
            cells.append(_fmt(main_figure(run['metrics'].get(task, {}), task)))
        lines.append('| ' + ' | '.join([run['model']] + cells) + ' |')
    return lines + ['']


def main_figure(metrics: Dict[str, float], task: str) -> Optional[float]:
    """A task's main figure (its kind's ``main_metric``), in table units
    (% or mm)."""
    kind = get_task_kind(task)
    value = metrics.get(kind.main_metric)
    if value is None:
        return None
    return value * kind.main_metric_scale


#: Goals of the comparison: (name, other row, tasks or None for all). Each
#: is checked for the joint UPS and for UPS fine-tuned per task (the
#: paper's full UPS); H = 2 against H = 1 compares the joint models only.
GOALS = (
    ('UPS >= UPS_separate', 'UPS_separate', None),
    ('H = 2 >= H = 1', 'UPS, H = 1', None),
    ('UPS >= ST-GCN', 'ST-GCN (MMAction2)', ('ar2d', 'ar3d')),
    ('UPS MPJPE <= TCN', 'VideoPoseLift TCN (MMPose)', ('pe3d', )),
)


def goal_checks(results: dict) -> List[dict]:
    """Every goal on every task where both models have a result."""
    checks = []
    for goal, other_row, tasks in GOALS:
        ups_rows = ('UPS', ) if other_row == 'UPS, H = 1' else (
            'UPS', 'UPS, fine-tuned')
        for task in tasks or REALBENCH_TASKS:
            figures = {
                run['model']: main_figure(run['metrics'][task], task)
                for _, run in rows_for(results, task)
            }
            other = figures.get(other_row)
            for ups_row in ups_rows:
                ups = figures.get(ups_row)
                if ups is None or other is None:
                    continue
                # Positive: in UPS' favour (MPJPE: lower is better).
                margin = other - ups if get_task_kind(task).lower_is_better \
                    else ups - other
                checks.append(dict(goal=goal, task=task, model=ups_row,
                                   ups=ups, other=other, margin=margin,
                                   met=margin >= 0))
    return checks


def write_plots(results: dict, out_dir: str, work_root: str
                ) -> Dict[str, str]:
    """Early-prediction curves (UPS vs UPS_separate), the UPS routes
    figure and, where the UPS run recorded one, its route history; returns
    title -> file."""
    from mmups.visualization.routes import draw_routes
    os.makedirs(out_dir, exist_ok=True)
    plots: Dict[str, str] = {}
    for task in [t for t in REALBENCH_TASKS
                 if get_task_kind(t).reports_per_ratio]:
        curves = {}
        for _, run in rows_for(results, task):
            points = sorted(
                (float(k.split('@')[1]), v)
                for k, v in run['metrics'][task].items()
                if k.startswith('top1@'))
            if points and run['model'] in ('UPS', 'UPS, fine-tuned',
                                           'UPS_separate'):
                curves[run['model']] = np.array(points)
        if curves:
            path = osp.join(out_dir, f'realbench_{task}_curve.png')
            _draw_curves(curves, path, REALBENCH_TASKS[task])
            plots[f'{task}: top-1 against observed fraction'] = path
    ups = results['runs'].get('ups')
    path = osp.join(out_dir, 'realbench_routes.png')
    title = 'UPS: selected encoder block per layer and task'
    if ups is not None and osp.exists(ups['checkpoint']):
        from mmups.apis import init_model
        model = init_model(osp.join(ROOT, ups['config']),
                           ups['checkpoint'])
        draw_routes(model.get_routes(), path,
                    num_blocks=model.encoder.num_blocks,
                    title='UPS routes (realbench)')
        plots[title] = path
    elif ups is not None and osp.exists(path):
        # A run merged from an earlier sitting: its figure stays as drawn.
        print(f'[realbench] routes figure kept as it was: the UPS '
              f'checkpoint {ups["checkpoint"]} is gone')
        plots[title] = path
    # The routes over training, where the run recorded them
    # (RouteHistoryHook in its config).
    history = None if ups is None else osp.join(
        osp.dirname(ups['checkpoint']), 'route_history.json')
    path = osp.join(out_dir, 'realbench_route_history.png')
    title = ('UPS: probability of drawing each encoder block over '
             'training (shade: selected block)')
    if history is not None and osp.exists(history):
        from mmups.visualization import draw_route_history
        draw_route_history(history, path,
                           title='UPS routes over training (realbench)')
        plots[title] = path
    elif ups is not None and osp.exists(path):
        # As the routes figure: drawn in an earlier sitting, it stays.
        plots[title] = path
    return plots


def _draw_curves(curves: Dict[str, 'np.ndarray'], path: str,
                 title: str) -> None:
    """Top-1 (%) against observed fraction, one line per model."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(5, 3.2))
    ax = fig.add_subplot(1, 1, 1)
    for name, points in curves.items():
        ax.plot(points[:, 0] * 100, points[:, 1] * 100, marker='o',
                label=name)
    ax.set_xlabel('observed part of the sequence (%)')
    ax.set_ylabel('top-1 (%)')
    ax.set_title(title, fontsize=9)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
