"""Reproduce the real-data comparison: UPS against UPS_separate, UPS without
routing (H = 1) and the MMAction2 / MMPose single-task peers, on Penn Action
(2D) and Human3.6M motion capture (3D), then write the results JSON, the
tables of ``docs/benchmarks.md`` and the plots.

Every run is ``tools/train.py`` then ``tools/test.py`` on a config of
``configs/realbench/`` in its own process, with the same budget: every task
gets ``--iters-per-task`` iterations (UPS, trained on all tasks in rotation,
gets that many per task). The fine-tuning runs (the paper's full UPS)
continue from the joint UPS run's checkpoint for a fifth of that.

The runs are defined in ``realbench_runs.py`` beside this script, their
tables and plots made by ``realbench_report.py``; the data by
:func:`mmups.datasets.converters.realbench.prepare_realbench_data`.

Examples::

    # everything at full budget (see docs/benchmarks.md for the time it takes)
    python tools/benchmarks/realbench.py
    # all runs with tiny budgets on a small part of the data (~10 minutes)
    python tools/benchmarks/realbench.py --quick
    # a subset of the runs
    python tools/benchmarks/realbench.py --runs ups ups_separate_ar2d
    # continue after an interruption, keeping the runs that finished
    python tools/benchmarks/realbench.py --reuse

The full-budget results are saved after every run in
``docs/realbench_results.json`` (committed with the tables): a later
invocation with the same data, budget and seed adds its runs to them, so
the benchmark can be run a few runs at a time, in several sittings or
clones; the main tables are written once every run is there.
"""
import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, Iterator, List, Optional, Tuple

from mmups.datasets.converters.realbench import prepare_realbench_data
from mmups.utils.fileio import atomic_open
from mmups.utils.machine import machine_info, machine_summary

# The helper modules beside this file, also where it is loaded by path.
HERE = osp.dirname(osp.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from realbench_report import (collect_run, is_complete,  # noqa: E402
                              render_ablation_markdown,
                              render_encoder_ablation_markdown,
                              render_fp3d_markdown, render_markdown,
                              write_plots)
from realbench_runs import REALBENCH_TASKS, ROOT, RUNS  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='tiny budgets and a small part of the data: '
                        'checks that every run works end to end')
    parser.add_argument('--runs', nargs='+', choices=sorted(RUNS),
                        help='only these runs (default: all)')
    parser.add_argument('--iters-per-task', type=int,
                        help='training iterations per task (default: 1000, '
                        'or 6 with --quick)')
    parser.add_argument('--shared-root', default=osp.join(ROOT, '..',
                                                          'shared', 'data'),
                        help='where penn_action/ and h36m_mocap/ are')
    parser.add_argument('--data-root',
                        help='where the converted data goes (default: '
                        'data/realbench, or data/realbench_quick)')
    parser.add_argument('--work-dir',
                        help='default: work_dirs/realbench[_quick]')
    parser.add_argument('--docs', action='store_true',
                        help='write docs/benchmarks.md and its plots (the '
                        'default without --quick)')
    parser.add_argument('--reuse', action='store_true',
                        help='keep runs that finished before in the work '
                        'dir with the same data and budget (their work dir '
                        'has run_done.json) instead of training them again')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int,
                        help='torch threads of every run (OMP_NUM_THREADS); '
                        'on a CPU shared with other jobs, 1 keeps timings '
                        'steady')
    return parser.parse_args(argv)


def run_one(name: str, config: str, work_dir: str, env: Dict[str, str],
            seed: int, log: str, reuse: bool = False,
            cfg_options: Optional[List[str]] = None,
            trained_run: Optional[Dict] = None) -> Dict:
    """Train then test one config; returns its metrics and costs.

    Training skips its final validation: ``tools/test.py`` evaluates the
    last checkpoint on the same data right after. With ``reuse``, a run that
    finished before with the same setting is read back, and one whose
    training finished (``train_done.json``) is only tested.
    ``cfg_options`` (``key=value`` strings) go to both tools; with
    ``trained_run`` (the record of another run) nothing is trained and that
    run's checkpoint is tested.
    """
    os.makedirs(work_dir, exist_ok=True)
    done = osp.join(work_dir, 'run_done.json')
    trained = osp.join(work_dir, 'train_done.json')
    options = list(cfg_options or [])
    setting = dict(_setting(env, seed), cfg_options=options)
    if trained_run is not None:
        setting['tests'] = trained_run['checkpoint']
        _write_json(trained, dict(checkpoint=trained_run['checkpoint'],
                                  train_time=trained_run['train_time_s'],
                                  setting=setting))
        reuse = True
    record = _read_record(done, setting) if reuse else None
    if record is not None:
        print(f'[realbench] {name}: reusing the finished run in '
              f'{work_dir}', flush=True)
        return collect_run(name, record['checkpoint'],
                           record['metrics_file'], record['train_time'])
    record = _read_record(trained, setting) if reuse else None
    python = sys.executable
    with open(log, 'a' if record else 'w') as out:
        if record is None:
            start = time.time()
            subprocess.run([python, osp.join(ROOT, 'tools', 'train.py'),
                            config, '--work-dir', work_dir, '--no-validate',
                            '--cfg-options', f'randomness.seed={seed}',
                            *options],
                           check=True, env=env, stdout=out,
                           stderr=subprocess.STDOUT, cwd=ROOT)
            with open(osp.join(work_dir, 'last_checkpoint')) as f:
                record = dict(checkpoint=f.read().strip(),
                              train_time=time.time() - start,
                              setting=setting)
            _write_json(trained, record)
        else:
            print(f'[realbench] {name}: training finished before; testing '
                  f'{record["checkpoint"]}', flush=True)
        metrics_file = osp.join(work_dir, 'test_metrics.json')
        subprocess.run([python, osp.join(ROOT, 'tools', 'test.py'), config,
                        record['checkpoint'], '--work-dir', work_dir,
                        '--metrics-out', metrics_file,
                        *(['--cfg-options', *options] if options else [])],
                       check=True, env=env, stdout=out,
                       stderr=subprocess.STDOUT, cwd=ROOT)
    record = dict(record, metrics_file=metrics_file)
    _write_json(done, record)
    return collect_run(name, record['checkpoint'], metrics_file,
                       record['train_time'])


def _read_record(path: str, setting: Dict) -> Optional[Dict]:
    """A run record written by :func:`run_one`, if it has this setting."""
    if not osp.exists(path):
        return None
    with open(path) as f:
        record = json.load(f)
    return record if record.get('setting') == setting else None


def _write_json(path: str, data: Dict) -> None:
    with atomic_open(path) as f:
        json.dump(data, f)


def _setting(env: Dict[str, str], seed: int) -> Dict:
    """What makes two runs of a config the same experiment."""
    setting = {k: env[k] for k in ('MMUPS_REALBENCH_ROOT',
                                   'MMUPS_REALBENCH_ITERS_PER_TASK',
                                   'MMUPS_REALBENCH_JOINT_CHECKPOINT')
               if k in env}
    return dict(setting, seed=seed)


def ordered_runs(names: List[str]) -> List[str]:
    """``names`` in the order of :data:`RUNS`, with the runs that a
    fine-tuning run starts from added (``--reuse`` keeps them where they
    finished before)."""
    wanted = set(names)
    wanted |= {RUNS[n][key] for n in names
               for key in ('starts_from', 'tests_from') if key in RUNS[n]}
    return [n for n in RUNS if n in wanted]


def run_env(name: str, env: Dict[str, str], iters: int,
            results: Dict) -> Dict[str, str]:
    """The environment of one run: a fine-tuning run gets its share of the
    iterations and the checkpoint of the run it starts from."""
    spec = RUNS[name]
    if 'starts_from' not in spec:
        return env
    start = results['runs'][spec['starts_from']]
    return dict(env, MMUPS_REALBENCH_ITERS_PER_TASK=str(run_iters(name,
                                                                  iters)),
                MMUPS_REALBENCH_JOINT_CHECKPOINT=start['checkpoint'])


def run_iters(name: str, iters: int) -> int:
    """Iterations per task of run ``name`` in a benchmark of ``iters``: a
    fine-tuning run gets its share (at least 2: the schedule warms up for
    one iteration, then decays)."""
    fraction = RUNS[name].get('iters_fraction')
    return iters if fraction is None else max(2, round(iters * fraction))


def main(argv: Optional[List[str]] = None) -> Dict:
    args = parse_args(argv)
    suffix = '_quick' if args.quick else ''
    data_root = args.data_root or osp.join(ROOT, 'data', f'realbench{suffix}')
    work_root = args.work_dir or osp.join(ROOT, 'work_dirs',
                                          f'realbench{suffix}')
    iters = args.iters_per_task or (6 if args.quick else 1000)
    prepare_realbench_data(args.shared_root, data_root, quick=args.quick)

    # The realbench configs read these when they are parsed.
    env = dict(os.environ, MMUPS_REALBENCH_ROOT=data_root,
               MMUPS_REALBENCH_ITERS_PER_TASK=str(iters))
    if args.threads:
        env.update(OMP_NUM_THREADS=str(args.threads),
                   MKL_NUM_THREADS=str(args.threads))
    names = ordered_runs(args.runs or list(RUNS))
    results = dict(
        machine=machine_summary(machine_info()), threads=args.threads,
        seed=args.seed, iters_per_task=iters,
        quick=args.quick, data_root=data_root,
        tasks=REALBENCH_TASKS, runs={})
    docs = args.docs or not args.quick
    out_dir = osp.join(ROOT, 'docs') if docs else work_root
    # The full-budget results live beside the tables they make, committed
    # with them, so that a benchmark run over several sittings (or clones)
    # keeps every run that finished.
    results_file = osp.join(out_dir, RESULTS_NAME) if docs else \
        osp.join(work_root, 'results.json')
    os.makedirs(osp.dirname(results_file), exist_ok=True)
    for name in names:
        config = osp.join(ROOT, RUNS[name]['config'])
        log = osp.join(work_root, f'{name}.log')
        print(f'[realbench] {name}: {RUNS[name]["config"]} '
              f'(log: {log})', flush=True)
        spec = RUNS[name]
        results['runs'][name] = run_one(
            name, config, osp.join(work_root, name),
            run_env(name, env, iters, results), args.seed, log,
            reuse=args.reuse, cfg_options=spec.get('cfg_options'),
            trained_run=(results['runs'][spec['tests_from']]
                         if 'tests_from' in spec else None))
        results['runs'][name]['config_hash'] = config_fingerprint(name,
                                                                  iters)
        print(f'[realbench] {name}: done in '
              f'{results["runs"][name]["train_time_s"]:.0f} s', flush=True)
        # Written after every run: an interrupted benchmark loses nothing
        # that finished.
        save_results(results, results_file)
    results = save_results(results, results_file)
    target = osp.join(out_dir, 'benchmarks.md') if docs else \
        osp.join(work_root, 'realbench.md')
    ablation = render_ablation_markdown(results)
    if ablation:
        write_section(target, ablation, ABLATION_MARKS)
        print(ablation)
    for render, marks in ((render_encoder_ablation_markdown,
                           ENCODER_ABLATION_MARKS),
                          (render_fp3d_markdown, FP3D_MARKS)):
        section = render(results)
        if section:
            write_section(target, section, marks)
            print(section)
    if is_complete(results):
        # The routes figure parses the UPS config here, with the runs' data
        # root.
        with environ(env):
            plots = write_plots(results, osp.join(out_dir, 'images'),
                                work_root)
        markdown = render_markdown(results, plots, relative_to=out_dir)
        write_section(target, markdown)
        print(markdown)
    else:
        missing = sorted(n for n, spec in RUNS.items() if 'ablation' not
                         in spec and n not in results['runs'])
        print(f'[realbench] the main comparison lacks runs {missing}: its '
              f'tables are left as they were (the runs that finished are in '
              f'{results_file})')
    print(f'[realbench] results: {results_file}; tables: {target}')
    return results


#: The results of the full-budget runs, beside docs/benchmarks.md.
RESULTS_NAME = 'realbench_results.json'


def save_results(results: Dict, path: str) -> Dict:
    """Write ``results`` to ``path``, merged with the runs of the same data
    and budget already there (a run done again replaces its old record);
    returns what was written. The merge and the write hold a lock on
    ``path + '.lock'``: two invocations may run at once (each on its own
    runs) without one dropping the other's."""
    with open(path + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = merge_results(results, path)
        with atomic_open(path) as f:
            json.dump(results, f, indent=1, sort_keys=True)
    return results


def merge_results(results: Dict, path: str) -> Dict:
    """``results`` with the runs of an earlier invocation (``path``) that
    this one did not redo, where that one had the same data, budget and
    seed."""
    if not osp.exists(path):
        return results
    with open(path) as f:
        earlier = json.load(f)
    # Not the data root: the converted data depends only on --quick, and
    # two clones keep it in different places.
    same = all(earlier.get(k) == results[k] for k in
               ('iters_per_task', 'quick', 'seed'))
    if not same:
        return results
    iters = results['iters_per_task']
    # A run whose config (or its options) changed since is not kept.
    kept = {n: run for n, run in earlier.get('runs', {}).items()
            if n in RUNS and n not in results['runs']
            and run.get('config_hash') == config_fingerprint(n, iters)}
    runs = {**kept, **results['runs']}
    return dict(results, runs={n: runs[n] for n in RUNS if n in runs})


#: The parts of a resolved config that the Runner reads: the fingerprint
#: leaves out the variables that only build them, so that a variable added
#: to a shared ``_base_`` file changes only the runs whose parts it changes.
RUNNER_KEYS = ('model', 'train_dataloader', 'val_dataloader',
               'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg',
               'optim_wrapper', 'param_scheduler', 'auto_scale_lr',
               'val_evaluator', 'test_evaluator', 'default_hooks',
               'custom_hooks', 'load_from', 'resume', 'randomness',
               'env_cfg', 'default_scope', 'data_preprocessor')


def config_fingerprint(name: str, iters: int) -> str:
    """A hash of what run ``name`` trains and tests at ``iters`` iterations
    per task: the Runner's parts of its config as parsed and resolved (with
    placeholders for the paths that differ between clones and sittings) and
    its ``cfg_options``; for a run that starts from, or tests, another
    run's checkpoint, that run's fingerprint too."""
    from mmengine.config import Config

    from mmups.tasks import resolve_tasks
    spec = RUNS[name]
    env = dict(os.environ, MMUPS_REALBENCH_ROOT='<data root>',
               MMUPS_REALBENCH_ITERS_PER_TASK=str(run_iters(name, iters)),
               MMUPS_REALBENCH_JOINT_CHECKPOINT='<joint checkpoint>')
    with environ(env):
        cfg = resolve_tasks(Config.fromfile(osp.join(ROOT, spec['config'])))
    parts = {k: cfg[k] for k in RUNNER_KEYS if k in cfg}
    parents = [config_fingerprint(spec[k], iters)
               for k in ('starts_from', 'tests_from') if k in spec]
    text = json.dumps([Config(parts).to_dict(), spec.get('cfg_options', []),
                       *parents], sort_keys=True, default=repr)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


@contextlib.contextmanager
def environ(env: Dict[str, str]) -> Iterator[None]:
    """Run a block with ``os.environ`` replaced by ``env``."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


MARK_START = '<!-- realbench:start -->'
MARK_END = '<!-- realbench:end -->'
FP3D_MARKS = ('<!-- realbench-fp3d:start -->',
              '<!-- realbench-fp3d:end -->')
ABLATION_MARKS = ('<!-- realbench-pe-ablation:start -->',
                  '<!-- realbench-pe-ablation:end -->')
ENCODER_ABLATION_MARKS = ('<!-- realbench-encoder-ablation:start -->',
                          '<!-- realbench-encoder-ablation:end -->')


def write_section(path: str, markdown: str,
                  marks: Tuple[str, str] = (MARK_START, MARK_END)) -> None:
    """Put ``markdown`` between the markers ``marks`` of ``path``
    (appended, with the markers, where the file has none)."""
    start_mark, end_mark = marks
    text = ''
    if osp.exists(path):
        with open(path) as f:
            text = f.read()
    block = f'{start_mark}\n{markdown.strip()}\n{end_mark}'
    if start_mark in text and end_mark in text:
        head, rest = text.split(start_mark, 1)
        text = head + block + rest.split(end_mark, 1)[1]
    else:
        text = text.rstrip() + ('\n\n' if text else '') + block + '\n'
    with atomic_open(path) as f:
        f.write(text)


if __name__ == '__main__':
    main()
