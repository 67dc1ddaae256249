"""The real-data comparison (``tools/benchmarks/realbench.py``): its runs,
how their metrics are read, and the tables and plots of the results."""
import json
import os
import os.path as osp
import re
from typing import Dict, List, Optional

import numpy as np
import torch

#: The tasks of the comparison: name -> (what, dataset).
REALBENCH_TASKS = {
    'ar2d': '2D action recognition, Penn Action (15 classes, 13 joints)',
    'eap2d': '2D early action prediction, Penn Action',
    'pe3d': '3D pose estimation from 2D, Human3.6M mocap (4 real cameras)',
    'ar3d': '3D action recognition, Human3.6M mocap (15 actions)',
    'eap3d': '3D early action prediction, Human3.6M mocap',
}


def _separate(task: str) -> dict:
    return dict(config=f'configs/realbench/ups_realbench_separate_{task}.py',
                model='UPS_separate', tasks=[task])


def _finetune(task: str) -> dict:
    return dict(config=f'configs/realbench/ups_realbench_finetune_{task}.py',
                model='UPS, fine-tuned', tasks=[task], starts_from='ups',
                iters_fraction=FINETUNE_FRACTION)


#: Fine-tuning runs get this share of the per-task iterations.
FINETUNE_FRACTION = 0.2

#: ``--cfg-options`` that turn the pose-lifting changes of the realbench
#: UPS configs off, one group per ablation step (in the order they are
#: added back): the input moved to its root and the grammar-masked
#: training softmax; the ordinal coordinate targets and codes, the L1 term
#: and the hidden coordinate inputs (with their positional embeddings);
#: the expectation read-out (and the root at 0); the flip test.
PE_CHANGES = (
    ('root-relative input, masked softmax',
     ['model.root_relative_lifting=False',
      'model.train_cfg.masked_softmax=False']),
    ('ordinal targets and codes, L1, hidden coordinate inputs',
     ['model.train_cfg.coord_target.mode=hard',
      'model.train_cfg.coord_l1_weight=0.0',
      'model.train_cfg.coord_input_dropout=0.0',
      'model.vocabulary.ordinal_dims=0',
      'model.head.pos_embed_std=0.02']),
    ('expectation read-out, root at 0',
     ['model.test_cfg.coord_readout=argmax',
      'model.test_cfg.zero_root=False']),
    ('flip test', ['model.test_cfg.flip_test=False']),
)
#: Which of :data:`PE_CHANGES` act in training (the others only in
#: testing, so their rows test a checkpoint of another row).
PE_TRAINING_CHANGES = 2


def _pe_ablation() -> Dict[str, dict]:
    """The pose-lifting ablation of the joint UPS: row i has the first i
    groups of :data:`PE_CHANGES` (row 0, the baseline, none of them); the
    last row is the ``ups`` run itself. Rows that differ from the next
    trained row only in test options test that row's checkpoint.

    Each spec's ``cfg_options`` go to its training and its test; a spec with
    ``tests_from`` only tests the last checkpoint of that run."""
    runs = {}
    n = len(PE_CHANGES)
    for i in range(n):
        off = [o for _, opts in PE_CHANGES[i:] for o in opts]
        name = f'ups_pe_ablation_{i}'
        row = 'baseline' if i == 0 else '+ ' + PE_CHANGES[i - 1][0]
        spec = dict(config='configs/realbench/ups_realbench_all.py',
                    model=f'UPS, {row}', tasks=list(REALBENCH_TASKS),
                    ablation='pe3d', cfg_options=off)
        if i >= PE_TRAINING_CHANGES:
            # Trained as the shipped UPS: test its checkpoint.
            spec.update(tests_from='ups')
        runs[name] = spec
    return runs


#: Every run: its config, the row name in the tables, the tasks it does;
#: fine-tuning runs also name the run whose last checkpoint they start from
#: (``starts_from``) and their share of the per-task iterations.
RUNS: Dict[str, dict] = {
    'ups': dict(config='configs/realbench/ups_realbench_all.py',
                model='UPS', tasks=list(REALBENCH_TASKS)),
    **{f'ups_finetune_{t}': _finetune(t) for t in REALBENCH_TASKS},
    **{f'ups_separate_{t}': _separate(t) for t in REALBENCH_TASKS},
    'ups_h1': dict(config='configs/realbench/ups_realbench_h1.py',
                   model='UPS, H = 1', tasks=list(REALBENCH_TASKS)),
    'stgcn_penn_ar2d': dict(
        config='configs/realbench/stgcn_realbench_penn_ar2d.py',
        model='ST-GCN (MMAction2)', tasks=['ar2d']),
    'stgcn_h36m_ar3d': dict(
        config='configs/realbench/stgcn_realbench_h36m_ar3d.py',
        model='ST-GCN (MMAction2)', tasks=['ar3d']),
    'tcn_h36m_pe3d': dict(
        config='configs/realbench/tcn_realbench_h36m_pe3d.py',
        model='VideoPoseLift TCN (MMPose)', tasks=['pe3d']),
    'tcn_h36m_pe3d_noflip': dict(
        config='configs/realbench/tcn_realbench_h36m_pe3d.py',
        model='VideoPoseLift TCN (MMPose), no flip test', tasks=['pe3d'],
        ablation='pe3d', tests_from='tcn_h36m_pe3d',
        cfg_options=['model.test_cfg.flip_test=False']),
    # UPS' batches hold 16 samples, the TCN's 64: at equal updates the TCN
    # sees four times the pose windows. This row sees as many as UPS.
    'tcn_h36m_pe3d_b16': dict(
        config='configs/realbench/tcn_realbench_h36m_pe3d.py',
        model='VideoPoseLift TCN (MMPose), batch 16 (as many windows as '
        'UPS)', tasks=['pe3d'], ablation='pe3d',
        cfg_options=['train_dataloader.batch_size=16']),
    **_pe_ablation(),
}

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
        if len(parts) == 3 and parts[0] == task:
            name = parts[2]
        elif len(parts) == 3 or not single_task:
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
        f'(`--iters-per-task {results["iters_per_task"]}`). Data and '
        'splits: data/README.md, section "Realbench".', '']
    for task, what in REALBENCH_TASKS.items():
        rows = rows_for(results, task)
        if not rows:
            continue
        lines += [f'### {task}: {what}', '']
        if task.startswith('eap'):
            head = ['model'] + [f'{r:.0%}' for r in TABLE_RATIOS] + [
                'mean (10-100%)', 'params (M)', 'train time (min)']
        elif task.startswith('pe'):
            head = ['model', 'MPJPE (mm)', 'P-MPJPE (mm)', 'params (M)',
                    'train time (min)']
        else:
            head = ['model', 'top-1 (%)', 'top-5 (%)', 'mean class (%)',
                    'params (M)', 'train time (min)']
        lines += ['| ' + ' | '.join(head) + ' |',
                  '|' + '---|' * len(head)]
        for _, run in rows:
            m = run['metrics'][task]
            cost = [_fmt(run['params'], 1e-6, 2),
                    _fmt(run['train_time_s'], 1 / 60)]
            if task.startswith('eap'):
                cells = [_fmt(_eap_at(m, r), 100) for r in TABLE_RATIOS]
                cells.append(_fmt(m.get('top1_mean'), 100))
            elif task.startswith('pe'):
                cells = [_fmt(m.get('MPJPE')), _fmt(m.get('P-MPJPE'))]
            else:
                cells = [_fmt(m.get('top1'), 100), _fmt(m.get('top5'), 100),
                         _fmt(m.get('mean1'), 100)]
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
    """Markdown lines of the pose-lifting ablation (none without its
    runs): the joint UPS with the changes added one at a time, its action
    tasks beside, then UPS fine-tuned on pe3d, UPS_separate and the TCN
    with and without flip test, where they ran."""
    names = [n for n in RUNS if RUNS[n].get('ablation') == 'pe3d'
             and n.startswith('ups')]
    rows = [(n, results['runs'][n]) for n in names if n in results['runs']]
    if not rows:
        return []
    if 'ups' in results['runs']:
        rows.append(('ups', dict(results['runs']['ups'],
                                 model='UPS, + ' + PE_CHANGES[-1][0] +
                                 ' (the shipped configs)')))
    for name in ('ups_finetune_pe3d', 'ups_separate_pe3d',
                 'tcn_h36m_pe3d_noflip', 'tcn_h36m_pe3d',
                 'tcn_h36m_pe3d_b16'):
        if name in results['runs']:
            rows.append((name, results['runs'][name]))
    actions = [t for t in REALBENCH_TASKS if not t.startswith('pe')]
    head = ['model', 'MPJPE (mm)', 'P-MPJPE (mm)', 'N-MPJPE (mm)',
            'MPJPE - P-MPJPE', 'MPJPE, action mean (mm)'] + [
                f'{t} ({"mean top-1" if t.startswith("eap") else "top-1"}, %)'
                for t in actions]
    lines = ['### pe3d ablation: the pose-lifting changes one at a time', '',
             'The joint UPS (all five tasks, same budget and seed), each row '
             'with one more change than the row before; rows that add a '
             'test-time change test the checkpoint of the row before. The '
             'action columns show that the changes leave the other tasks '
             'as they were.', '',
             '| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
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
    """A task's main figure, in table units (% or mm)."""
    key = {'pe': 'MPJPE', 'eap': 'top1_mean'}.get(
        re.sub(r'\d.*', '', task), 'top1')
    value = metrics.get(key)
    if value is None:
        return None
    return value if key == 'MPJPE' else value * 100


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
                margin = other - ups if task.startswith('pe') else \
                    ups - other
                checks.append(dict(goal=goal, task=task, model=ups_row,
                                   ups=ups, other=other, margin=margin,
                                   met=margin >= 0))
    return checks


def write_plots(results: dict, out_dir: str, work_root: str
                ) -> Dict[str, str]:
    """Early-prediction curves (UPS vs UPS_separate) and the UPS routes
    figure; returns title -> file."""
    from mmups.visualization.routes import draw_routes
    os.makedirs(out_dir, exist_ok=True)
    plots: Dict[str, str] = {}
    for task in [t for t in REALBENCH_TASKS if t.startswith('eap')]:
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
    if ups is not None:
        from mmups.apis import init_model
        model = init_model(osp.join(_root(), ups['config']),
                           ups['checkpoint'])
        path = osp.join(out_dir, 'realbench_routes.png')
        draw_routes(model.get_routes(), path,
                    num_blocks=model.encoder.num_blocks,
                    title='UPS routes (realbench)')
        plots['UPS: selected encoder block per layer and task'] = path
    return plots


def _root() -> str:
    return osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


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
