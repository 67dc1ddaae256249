"""tools/benchmarks/realbench.py, the real-data comparison, and its helper
modules beside it (realbench_runs.py: the runs; realbench_report.py:
metric reading, tables, plots): the docs section, and (where
../shared/data is present) the quick end-to-end run."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
# Beside the script (the folder is on sys.path: conftest.py).
from realbench_report import (goal_checks, render_ablation_markdown,
                              render_fp3d_markdown, render_markdown,
                              task_metrics)
from realbench_runs import (PE_CHANGES, PE_TRAINING_CHANGES, REALBENCH_TASKS,
                            RUNS)

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
SCRIPT = osp.join(ROOT, 'tools', 'benchmarks', 'realbench.py')


@pytest.fixture
def tool(load_script):
    """The script as a module."""
    return load_script('tools/benchmarks/realbench.py')


@pytest.mark.parametrize('cwd', [ROOT, '/'])
def test_help_from_any_directory(cwd):
    out = subprocess.run([sys.executable, SCRIPT, '--help'], cwd=cwd,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert '--reuse' in out.stdout and 'ups_pe_ablation_0' in out.stdout


def test_every_run_has_a_config():
    for name, run in RUNS.items():
        assert osp.isfile(osp.join(ROOT, run['config'])), name
        assert set(run['tasks']) <= {*REALBENCH_TASKS, 'fp3d'}, name
    # Every task has UPS, UPS_separate and H = 1 rows.
    for task in REALBENCH_TASKS:
        models = [r['model'] for r in RUNS.values() if task in r['tasks']]
        assert {'UPS', 'UPS_separate', 'UPS, H = 1'} <= set(models), task


def test_metric_names_of_ups_and_the_peers():
    ups = {'ar2d/penn_action/top1': 0.5, 'pe3d/h36m_mocap/MPJPE': 80.,
           'pe3d/h36m_mocap/MPJPE_Walking': 70., 'eap2d/penn_action/top1@0.2':
           0.3}
    assert task_metrics(ups, 'ar2d', False) == {'top1': 0.5}
    assert task_metrics(ups, 'pe3d', False) == {'MPJPE': 80.}
    assert task_metrics(ups, 'eap2d', False) == {'top1@0.2': 0.3}
    stgcn = {'acc/top1': 0.4, 'acc/top5': 0.9, 'acc/mean1': 0.35}
    assert task_metrics(stgcn, 'ar2d', True) == {
        'top1': 0.4, 'top5': 0.9, 'mean1': 0.35}
    tcn = {'MPJPE': 90., 'P-MPJPE': 60., 'MPJPE_Walking': 85.}
    assert task_metrics(tcn, 'pe3d', True) == {'MPJPE': 90., 'P-MPJPE': 60.}


def test_tables_and_docs_section(tmp_path, tool):
    results = dict(machine='test machine', seed=0, iters_per_task=3,
                   quick=True, runs=dict(
                       ups=dict(model='UPS', params=2e6, train_time_s=120,
                                metrics=dict(ar2d=dict(top1=0.5, top5=0.9,
                                                       mean1=0.45),
                                             eap2d={'top1@0.2': 0.25,
                                                    'top1@1.0': 0.5,
                                                    'top1_mean': 0.4},
                                             pe3d=dict(MPJPE=81.5))),
                       tcn=dict(model='TCN', params=4e6, train_time_s=60,
                                metrics=dict(pe3d={'MPJPE': 90.,
                                                   'P-MPJPE': 60.}))))
    text = render_markdown(results, {'curve': str(tmp_path / 'c.png')},
                           str(tmp_path))
    assert '| UPS | 50.0 | 90.0 | 45.0 | 2.00 | 2.0 |' in text
    assert '| UPS | 25.0 | - | - | - | 50.0 | 40.0 | 2.00 | 2.0 |' in text
    assert '| TCN | 90.0 | 60.0 | 4.00 | 1.0 |' in text
    assert '![curve](c.png)' in text and 'Quick mode' in text

    doc = tmp_path / 'benchmarks.md'
    doc.write_text('# Benchmarks\n\n## Inference speed\n\ntext\n')
    tool.write_section(str(doc), 'first')
    tool.write_section(str(doc), 'second')
    body = doc.read_text()
    assert body.count(tool.MARK_START) == 1 and 'second' in body
    assert 'first' not in body and '## Inference speed' in body


#: One run of each way the runner runs a config: the joint UPS, a fine-tuning
#: run started from its checkpoint, a test-only ablation row of that
#: checkpoint, an ablation row trained with --cfg-options, and the MMAction2
#: and MMPose peers. (Every realbench config is
#: built and fed real data in tests/configs/test_realbench_configs.py;
#: ``tools/benchmarks/realbench.py --quick`` runs them all.)
END_TO_END_RUNS = ('ups', 'ups_finetune_pe3d', 'ups_pe_ablation_3',
                   'ups_pe_ablation_0', 'stgcn_h36m_ar3d', 'tcn_h36m_pe3d')


def test_quick_run_end_to_end(shared_data, tmp_path, monkeypatch, tool):
    """A run of each kind with a 2-iteration budget on the quick data: the
    results JSON has every task's metrics, the ablation section its rows
    and the routes figure is drawn from the joint run's checkpoint."""
    # Nothing may depend on the default data root under the current
    # directory (a fresh clone has none).
    monkeypatch.chdir(tmp_path)
    results = tool.main([
        '--quick', '--iters-per-task', '2', '--threads', '1',
        '--shared-root', shared_data, '--data-root',
        str(tmp_path / 'data'), '--work-dir', str(tmp_path / 'work'),
        '--runs', *END_TO_END_RUNS])
    assert set(results['runs']) == set(END_TO_END_RUNS)
    for name, run in results['runs'].items():
        assert run['params'] > 0 and run['train_time_s'] > 0
        for task in RUNS[name]['tasks']:
            assert run['metrics'][task], (name, task)
    # The test-only row tested the joint run's checkpoint.
    assert results['runs']['ups_pe_ablation_3']['checkpoint'] == \
        results['runs']['ups']['checkpoint']
    with open(tmp_path / 'work' / 'results.json') as f:
        assert set(json.load(f)['runs']) == set(END_TO_END_RUNS)
    text = (tmp_path / 'work' / 'realbench.md').read_text()
    assert '### pe3d ablation' in text
    # The routes figure parses the joint config with the runs' data root.
    monkeypatch.setenv('MMUPS_REALBENCH_ROOT', str(tmp_path / 'data'))
    monkeypatch.setenv('MMUPS_REALBENCH_ITERS_PER_TASK', '2')
    plots = tool.write_plots(results, str(tmp_path / 'images'),
                             str(tmp_path / 'work'))
    assert (tmp_path / 'images' / 'realbench_routes.png').is_file()
    assert any('routes' in p for p in plots.values())
    # --reuse keeps the finished runs instead of training again.
    again = tool.main([
        '--quick', '--iters-per-task', '2', '--reuse', '--shared-root',
        shared_data, '--data-root', str(tmp_path / 'data'), '--work-dir',
        str(tmp_path / 'work'), '--runs', 'tcn_h36m_pe3d'])
    assert again['runs']['tcn_h36m_pe3d'] == results['runs']['tcn_h36m_pe3d']


def test_fine_tuning_runs_start_from_the_joint_run(tool):
    # The joint run is added, and comes first, whatever the order asked.
    assert tool.ordered_runs(['ups_finetune_pe3d', 'tcn_h36m_pe3d']) == [
        'ups', 'ups_finetune_pe3d', 'tcn_h36m_pe3d']
    assert tool.ordered_runs(['ups_separate_ar2d']) == ['ups_separate_ar2d']
    env = dict(MMUPS_REALBENCH_ROOT='/data',
               MMUPS_REALBENCH_ITERS_PER_TASK='1000')
    results = dict(runs=dict(ups=dict(checkpoint='/w/ups/iter_5000.pth')))
    assert tool.run_env('ups_separate_ar2d', env, 1000, results) == env
    tuned = tool.run_env('ups_finetune_ar2d', env, 1000, results)
    assert tuned == dict(
        env, MMUPS_REALBENCH_ITERS_PER_TASK='200',
        MMUPS_REALBENCH_JOINT_CHECKPOINT='/w/ups/iter_5000.pth')
    assert tool.run_env('ups_finetune_ar2d', env, 2, results)[
        'MMUPS_REALBENCH_ITERS_PER_TASK'] == '2'
    # A different starting checkpoint is a different experiment.
    assert tool._setting(tuned, 0) != tool._setting(
        dict(tuned, MMUPS_REALBENCH_JOINT_CHECKPOINT='/other.pth'), 0)
    assert 'MMUPS_REALBENCH_JOINT_CHECKPOINT' not in tool._setting(env, 0)


def test_reuse_tests_a_run_whose_training_finished(tmp_path, monkeypatch,
                                                   tool):
    """An interrupted test does not cost the training again: with --reuse
    only ``tools/test.py`` runs; a changed setting trains anew."""
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(osp.basename(cmd[1]))
        work = cmd[cmd.index('--work-dir') + 1]
        if cmd[1].endswith('train.py'):
            with open(osp.join(work, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(work, 'iter_2.pth'))
        else:
            with open(cmd[cmd.index('--metrics-out') + 1], 'w') as f:
                json.dump({'ar2d/penn_action/top1': 0.5}, f)

    monkeypatch.setattr(tool.subprocess, 'run', fake_run)
    monkeypatch.setattr(tool, 'collect_run', lambda *args: args)
    work = str(tmp_path / 'ups_separate_ar2d')
    env = dict(MMUPS_REALBENCH_ROOT='/data',
               MMUPS_REALBENCH_ITERS_PER_TASK='2')
    log = str(tmp_path / 'run.log')

    def run(env):
        return tool.run_one('ups_separate_ar2d', 'cfg.py', work, env, 0,
                            log, reuse=True)

    first = run(env)
    assert calls == ['train.py', 'test.py']
    os.remove(osp.join(work, 'run_done.json'))  # as if the test was killed
    assert run(env) == first and calls[2:] == ['test.py']
    assert run(env) == first and len(calls) == 3  # finished: read back
    run(dict(env, MMUPS_REALBENCH_ITERS_PER_TASK='3'))
    assert calls[3:] == ['train.py', 'test.py']


def test_goal_checks_per_ups_model_and_direction():
    runs = dict(
        ups=dict(model='UPS', metrics=dict(
            ar2d=dict(top1=0.80), pe3d=dict(MPJPE=120.),
            eap2d=dict(top1_mean=0.5))),
        ups_finetune_ar2d=dict(model='UPS, fine-tuned',
                               metrics=dict(ar2d=dict(top1=0.90))),
        ups_separate_ar2d=dict(model='UPS_separate',
                               metrics=dict(ar2d=dict(top1=0.85))),
        ups_separate_pe3d=dict(model='UPS_separate',
                               metrics=dict(pe3d=dict(MPJPE=100.))),
        ups_h1=dict(model='UPS, H = 1', metrics=dict(
            ar2d=dict(top1=0.82), pe3d=dict(MPJPE=110.))),
        tcn=dict(model='VideoPoseLift TCN (MMPose)',
                 metrics=dict(pe3d=dict(MPJPE=90.))))
    for run in runs.values():
        run.update(params=1e6, train_time_s=60.)
    checks = {(c['goal'], c['task'], c['model']): c
              for c in goal_checks(dict(runs=runs))}
    joint = checks[('UPS >= UPS_separate', 'ar2d', 'UPS')]
    assert joint['margin'] == pytest.approx(-5.) and not joint['met']
    tuned = checks[('UPS >= UPS_separate', 'ar2d', 'UPS, fine-tuned')]
    assert tuned['margin'] == pytest.approx(5.) and tuned['met']
    pe = checks[('UPS >= UPS_separate', 'pe3d', 'UPS')]
    assert pe['margin'] == pytest.approx(-20.) and not pe['met']
    assert ('H = 2 >= H = 1', 'ar2d', 'UPS, fine-tuned') not in checks
    assert checks[('H = 2 >= H = 1', 'pe3d', 'UPS')]['margin'] == \
        pytest.approx(-10.)
    assert not checks[('UPS MPJPE <= TCN', 'pe3d', 'UPS')]['met']
    assert not any(k[0] == 'UPS >= ST-GCN' for k in checks)  # no ST-GCN
    assert not any(k[1] == 'eap2d' for k in checks)  # no other eap2d row
    text = render_markdown(dict(machine='m', seed=0, iters_per_task=1,
                                quick=False, runs=runs), {}, '.')
    assert ('| UPS >= UPS_separate | ar2d | UPS, fine-tuned | 90.0 | 85.0 | '
            '+5.0 | yes |') in text
    assert '| UPS MPJPE <= TCN | pe3d | UPS | 120.0 | 90.0 | -30.0 | no |' \
        in text


def test_pe_ablation_runs_and_section():
    """Row i of the pose-lifting ablation turns the changes after the i-th
    off; rows that differ from 'ups' in test options only test its
    checkpoint; the section shows every row, the gap and the goals."""
    rows = [n for n in RUNS if n.startswith('ups_pe_ablation_')]
    assert len(rows) == len(PE_CHANGES)
    every = [o for _, opts in PE_CHANGES for o in opts]
    assert RUNS[rows[0]]['cfg_options'] == every
    assert RUNS[rows[-1]]['cfg_options'] == PE_CHANGES[-1][1]
    for i, name in enumerate(rows):
        assert ('tests_from' in RUNS[name]) == (i >= PE_TRAINING_CHANGES)
    assert RUNS['tcn_h36m_pe3d_noflip']['tests_from'] == 'tcn_h36m_pe3d'
    # The TCN with UPS' batch trains on its own, in the ablation only.
    assert RUNS['tcn_h36m_pe3d_b16']['cfg_options'] == [
        'train_dataloader.batch_size=16']
    assert 'tests_from' not in RUNS['tcn_h36m_pe3d_b16']
    # The ablation rows stay out of the main tables.
    assert 'ablation' not in RUNS['ups']

    def run(model, mpjpe, pa, **tasks):
        return dict(model=model, params=1e6, train_time_s=60., metrics=dict(
            pe3d={'MPJPE': mpjpe, 'P-MPJPE': pa, 'MPJPE_avg': mpjpe + 1},
            **tasks))
    runs = {rows[0]: run(RUNS[rows[0]]['model'], 200., 110.,
                         ar2d=dict(top1=0.9)),
            'ups': run('UPS', 90., 60., ar2d=dict(top1=0.91)),
            'tcn_h36m_pe3d': run('VideoPoseLift TCN (MMPose)', 86., 67.),
            'tcn_h36m_pe3d_b16': run('TCN, batch 16', 99., 70.),
            'ups_separate_pe3d_b16': run('UPS_separate, batch 16', 95., 75.),
            'ups_separate_pe3d': run('UPS_separate', 85., 66.)}
    text = render_ablation_markdown(dict(machine='m', seed=0,
                                         iters_per_task=1000, runs=runs))
    assert '| UPS, baseline | 200.0 | 110.0 | - | 90.0 | 201.0 | 90.0 |' in text
    assert ('| UPS, + flip test (the shipped configs) | 90.0 | 60.0 | - | '
            '30.0 |') in text
    assert "| UPS MPJPE - P-MPJPE <= TCN's | UPS | 30.0 | 19.0 | -11.0 | no |" \
        in text
    assert '| UPS MPJPE <= TCN | UPS | 90.0 | 86.0 | -4.0 | no |' in text
    # After the shipped UPS: UPS_separate at both batches, then the TCN's
    # rows, the peer before the one at batch 16.
    order = ['| UPS, + flip test (the shipped', '| UPS_separate | 85.0',
             '| UPS_separate, batch 16 | 95.0', '| VideoPoseLift TCN (MMPose) '
             '| 86.0', '| TCN, batch 16 | 99.0 | 70.0 |']
    assert [text.index(o) for o in order] == sorted(
        text.index(o) for o in order)
    assert render_ablation_markdown(dict(runs={'ups': runs['ups']})) == ''
    # Without the step rows: the shipped pose lifters beside the TCN.
    pair = render_ablation_markdown(dict(
        machine='m', seed=0, iters_per_task=1000,
        runs={n: runs[n] for n in ('ups_separate_pe3d', 'tcn_h36m_pe3d')}))
    assert '### pe3d ablation: UPS and the TCN' in pair
    assert '| UPS_separate | 85.0 | 66.0 | - | 19.0 |' in pair
    assert 'one more change' not in pair and 'one more change' in text


def test_reuse_merges_earlier_runs_and_tests_a_trained_run(tmp_path,
                                                           monkeypatch, tool):
    def record(name, model):
        return dict(model=model,
                    config_hash=tool.config_fingerprint(name, 10))

    earlier = dict(iters_per_task=10, quick=False, data_root='/d', seed=0,
                   runs=dict(tcn_h36m_pe3d=record('tcn_h36m_pe3d', 'TCN'),
                             ups=record('ups', 'old UPS')))
    path = tmp_path / 'results.json'
    path.write_text(json.dumps(earlier))
    now = dict(earlier, runs=dict(ups=dict(model='new UPS')))
    merged = tool.merge_results(now, str(path))
    assert list(merged['runs']) == ['ups', 'tcn_h36m_pe3d']
    assert merged['runs']['ups']['model'] == 'new UPS'
    other = dict(now, iters_per_task=20)
    assert tool.merge_results(other, str(path)) == other

    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        with open(cmd[cmd.index('--metrics-out') + 1], 'w') as f:
            json.dump({'pe3d/h36m_mocap/MPJPE': 80.}, f)

    monkeypatch.setattr(tool.subprocess, 'run', fake_run)
    monkeypatch.setattr(tool, 'collect_run', lambda *args: args)
    trained = dict(checkpoint='/w/ups/iter_5.pth', train_time_s=12.)
    out = tool.run_one('ups_pe_ablation_3', 'cfg.py',
                       str(tmp_path / 'abl'), {}, 0, str(tmp_path / 'l'),
                       cfg_options=['model.test_cfg.flip_test=False'],
                       trained_run=trained)
    assert len(calls) == 1 and calls[0][1].endswith('test.py')
    assert calls[0][2:4] == ['cfg.py', '/w/ups/iter_5.pth']
    assert calls[0][-2:] == ['--cfg-options', 'model.test_cfg.flip_test=False']
    assert out[1] == '/w/ups/iter_5.pth' and out[3] == 12.


def test_results_are_kept_after_every_run_and_across_invocations(
        tmp_path, monkeypatch, tool):
    """Each finished run is in the results file at once (an interrupted
    benchmark keeps it), and a later invocation adds its runs to those of
    an earlier one instead of dropping them."""
    monkeypatch.setattr(tool, 'prepare_realbench_data', lambda *a, **k: None)
    done = []

    def fake_run(name, *args, **kwargs):
        if name == 'tcn_h36m_pe3d_noflip':
            raise KeyboardInterrupt  # the benchmark stops here
        done.append(name)
        return dict(model=name, checkpoint=f'/gone/{name}.pth',
                    train_time_s=1., params=1., metrics={})

    monkeypatch.setattr(tool, 'run_one', fake_run)
    work = str(tmp_path / 'work')
    common = ['--quick', '--work-dir', work, '--data-root',
              str(tmp_path / 'data')]
    with pytest.raises(KeyboardInterrupt):
        tool.main(common + ['--runs', 'tcn_h36m_pe3d',
                            'tcn_h36m_pe3d_noflip'])
    with open(osp.join(work, 'results.json')) as f:
        first = json.load(f)
    assert list(first['runs']) == ['tcn_h36m_pe3d']
    # The same data elsewhere (another clone) adds to the same record.
    common[-1] = str(tmp_path / 'elsewhere')
    again = tool.main(common + ['--runs', 'stgcn_penn_ar2d'])
    assert list(again['runs']) == ['stgcn_penn_ar2d', 'tcn_h36m_pe3d']
    with open(osp.join(work, 'results.json')) as f:
        assert json.load(f)['runs'] == again['runs']
    # Another budget starts a new record.
    other = tool.main(common + ['--runs', 'stgcn_penn_ar2d',
                                '--iters-per-task', '3'])
    assert list(other['runs']) == ['stgcn_penn_ar2d']
    # A run whose config changed since is dropped, the others kept.
    tool.main(common + ['--runs', 'tcn_h36m_pe3d', '--iters-per-task', '3'])
    monkeypatch.setitem(RUNS['stgcn_penn_ar2d'], 'cfg_options',
                        ['train_dataloader.batch_size=4'])
    changed = tool.main(common + ['--runs', 'stgcn_h36m_ar3d',
                                  '--iters-per-task', '3'])
    assert list(changed['runs']) == ['stgcn_h36m_ar3d', 'tcn_h36m_pe3d']


def test_config_fingerprint_follows_config_and_options(tool, monkeypatch):
    ups = tool.config_fingerprint('ups', 10)
    assert ups == tool.config_fingerprint('ups', 10)
    assert ups != tool.config_fingerprint('ups', 20)  # schedule changes
    assert ups != tool.config_fingerprint('ups_h1', 10)
    # Not the data root: other clones keep the data elsewhere.
    monkeypatch.setenv('MMUPS_REALBENCH_ROOT', '/somewhere/else')
    assert ups == tool.config_fingerprint('ups', 10)
    finetune = tool.config_fingerprint('ups_finetune_ar2d', 10)
    monkeypatch.setitem(RUNS['ups'], 'cfg_options', ['model.x=1'])
    assert ups != tool.config_fingerprint('ups', 10)
    # A fine-tuning run follows the run it starts from.
    assert finetune != tool.config_fingerprint('ups_finetune_ar2d', 10)


def test_config_fingerprint_reads_what_the_runner_reads(tool, monkeypatch,
                                                        tmp_path):
    # A variable of a shared _base_ file that no part of the run reads
    # leaves the fingerprint as it was; one that a part reads changes it.
    base = osp.join(tool.ROOT, RUNS['ups_separate_ar2d']['config'])
    before = tool.config_fingerprint('ups_separate_ar2d', 10)
    for text, same in (('unread_variable = 1', True),
                       ('train_cfg = dict(val_interval=7)', False)):
        config = tmp_path / f'c{int(same)}.py'
        config.write_text(f"_base_ = [{base!r}]\n{text}\n")
        monkeypatch.setitem(RUNS['ups_separate_ar2d'], 'config',
                            str(config))
        after = tool.config_fingerprint('ups_separate_ar2d', 10)
        assert (after == before) is same, text


def test_fp3d_section_beside_the_five_task_ups():
    raw = {'fp3d/h36m_mocap/MPJPE': 80., 'fp3d/h36m_mocap/MPJPE_Walking':
           70., 'fp3d/h36m_mocap/zero_velocity/MPJPE': 60.,
           'pe3d/h36m_mocap/MPJPE': 100.}
    fp = task_metrics(raw, 'fp3d', False)
    assert fp == {'MPJPE': 80., 'zero_velocity/MPJPE': 60.}
    five = dict(model='UPS', metrics=dict(pe3d={'MPJPE': 105.},
                                          ar2d={'top1': 0.9}))
    six = dict(model='UPS + fp3d (six tasks)', metrics=dict(
        fp3d=fp, pe3d=task_metrics(raw, 'pe3d', False)))
    results = dict(machine='m', seed=0, iters_per_task=10,
                   runs=dict(ups=five))
    assert render_fp3d_markdown(results) == ''
    results['runs']['ups_fp3d'] = six
    text = render_fp3d_markdown(results)
    order = list(REALBENCH_TASKS)
    row = ['-'] * len(order)
    row[order.index('pe3d')] = '100.0'
    assert ('| UPS + fp3d (six tasks) | 80.0 | 60.0 | ' + ' | '.join(row)
            + ' |') in text
    row = ['-'] * len(order)
    row[order.index('pe3d')], row[order.index('ar2d')] = '105.0', '90.0'
    assert '| UPS | - | - | ' + ' | '.join(row) + ' |' in text


def test_route_history_figure_of_the_joint_run(tmp_path):
    """The joint run's route_history.json, beside its checkpoint, becomes a
    figure (the checkpoint itself may be gone); once the work dir is gone
    too, the figure drawn before stays listed until it is deleted."""
    from realbench_report import write_plots
    work = tmp_path / 'work' / 'ups'
    work.mkdir(parents=True)
    (work / 'route_history.json').write_text(json.dumps(dict(
        tasks=['pe3d'], num_layers=1, num_blocks=2,
        records=[dict(iter=i, routes=dict(pe3d=[0]),
                      probs=dict(pe3d=[[0.6, 0.4]])) for i in (0, 5)])))
    results = dict(runs=dict(ups=dict(checkpoint=str(work / 'iter_5.pth'),
                                      metrics={})))
    plots = write_plots(results, str(tmp_path / 'images'),
                        str(tmp_path / 'work'))
    path = str(tmp_path / 'images' / 'realbench_route_history.png')
    assert list(plots.values()) == [path] and osp.isfile(path)
    os.remove(work / 'route_history.json')
    assert list(write_plots(results, str(tmp_path / 'images'),
                            str(tmp_path / 'work')).values()) == [path]
    os.remove(path)
    assert write_plots(results, str(tmp_path / 'images'),
                       str(tmp_path / 'work')) == {}
