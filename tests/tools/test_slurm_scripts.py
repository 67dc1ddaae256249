"""tools/slurm_train.sh and tools/slurm_test.sh hand srun the job's
resources and the entry point's command line (a stand-in srun records
them)."""
import os
import os.path as osp
import stat
import subprocess
import sys

import pytest

TOOLS = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', 'tools'))


@pytest.fixture
def fake_srun(tmp_path):
    """A ``srun`` on PATH that writes its arguments, one per line."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    record = tmp_path / 'srun_args.txt'
    srun.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}',
               GPUS='16', SRUN_ARGS='--quotatype=auto --time=10')
    return env, record


@pytest.mark.skipif(sys.platform == 'win32', reason='bash scripts')
@pytest.mark.parametrize('script,entry,args', [
    ('slurm_train.sh', 'train.py', ['cfg.py', '--resume']),
    ('slurm_test.sh', 'test.py', ['cfg.py', 'ckpt.pth', '--dump', 'p.pkl']),
])
def test_srun_gets_the_resources_and_the_command(fake_srun, script, entry,
                                                 args):
    env, record = fake_srun
    subprocess.run(['bash', osp.join(TOOLS, script), 'gpu', 'ups', *args],
                   env=env, check=True, capture_output=True)
    got = record.read_text().splitlines()
    python = got.index('python')
    assert got[:python] == [
        '-p', 'gpu', '--job-name=ups', '--gres=gpu:8', '--ntasks=16',
        '--ntasks-per-node=8', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        '--quotatype=auto', '--time=10'
    ]
    assert got[python + 1] == '-u'
    assert osp.samefile(got[python + 2], osp.join(TOOLS, entry))
    assert got[python + 3:] == [*args, '--launcher', 'slurm']
