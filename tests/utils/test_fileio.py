"""Tests of :mod:`mmups.utils.fileio`."""
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest

from mmups.utils import atomic_open, folder_is_prepared, prepare_folder


def test_whole_file_or_the_old_one(tmp_path):
    path = tmp_path / 'new' / 'out.json'
    with atomic_open(str(path)) as f:
        f.write('first')
    assert path.read_text() == 'first'
    with pytest.raises(RuntimeError):
        with atomic_open(str(path)) as f:
            f.write('half')
            raise RuntimeError('crash while writing')
    assert path.read_text() == 'first'  # the old file, untouched
    assert os.listdir(path.parent) == ['out.json']  # no temporary left
    with atomic_open(str(path), 'wb') as f:
        f.write(b'\x00binary')
    assert path.read_bytes() == b'\x00binary'


def _write(folder, text):
    with open(os.path.join(folder, 'data.txt'), 'w') as f:
        f.write(text)


def test_prepare_folder_once_and_again_when_the_options_change(tmp_path):
    folder = str(tmp_path / 'data')
    calls = []

    def make(tmp):
        calls.append(tmp)
        assert os.path.dirname(tmp) == str(tmp_path) and tmp != folder
        _write(tmp, f'made {len(calls)}')

    assert prepare_folder(folder, ['data.txt'], dict(seed=0), make)
    assert not prepare_folder(folder, ['data.txt'], dict(seed=0), make)
    assert folder_is_prepared(folder, ['data.txt'], dict(seed=0))
    assert len(calls) == 1 and open(folder + '/data.txt').read() == 'made 1'
    # Tuples and lists are the same options once recorded.
    prepare_folder(folder, ['data.txt'], dict(seed=(1, 2)), make)
    assert not prepare_folder(folder, ['data.txt'], dict(seed=[1, 2]), make)
    assert prepare_folder(folder, ['data.txt'], dict(seed=1), make)
    assert open(folder + '/data.txt').read() == 'made 3'
    # A make that misses a file fails and leaves the folder as it was.
    with pytest.raises(RuntimeError, match='other.txt'):
        prepare_folder(folder, ['other.txt'], dict(seed=2), make)
    assert open(folder + '/data.txt').read() == 'made 3'
    assert sorted(os.listdir(tmp_path)) == ['.data.lock', 'data']


# Run in a child process: remakes the folder with other options and is
# killed (SIGKILL) half way through, as a lost machine would stop it.
KILLED_PREPARE = """
import os, signal, sys
from mmups.utils import prepare_folder

def make(tmp):
    with open(os.path.join(tmp, 'data.txt'), 'w') as f:
        f.write('half')
    os.kill(os.getpid(), signal.SIGKILL)

prepare_folder(sys.argv[1], ['data.txt', 'more.txt'], dict(seed=1), make)
"""


def test_a_kill_while_preparing_keeps_the_previous_folder(tmp_path):
    folder = str(tmp_path / 'data')
    prepare_folder(folder, ['data.txt'], dict(seed=0),
                   lambda tmp: _write(tmp, 'old'))
    child = subprocess.run([sys.executable, '-c', KILLED_PREPARE, folder])
    assert child.returncode == -signal.SIGKILL
    assert open(folder + '/data.txt').read() == 'old'
    assert any(n.startswith('.data.tmp') for n in os.listdir(tmp_path))
    # The next preparation (lock free again) removes what the kill left.
    assert prepare_folder(folder, ['data.txt'], dict(seed=1),
                          lambda tmp: _write(tmp, 'new'))
    assert open(folder + '/data.txt').read() == 'new'
    assert sorted(os.listdir(tmp_path)) == ['.data.lock', 'data']


def _prepare_as_a_rank(folder, log):
    def make(tmp):
        with open(log, 'a') as f:
            f.write(f'{os.getpid()}\n')
        time.sleep(0.3)  # long enough for the other ranks to arrive
        _write(tmp, 'shared')

    prepare_folder(folder, ['data.txt'], dict(seed=0), make)
    assert open(os.path.join(folder, 'data.txt')).read() == 'shared'


def test_concurrent_ranks_prepare_once(tmp_path):
    folder, log = str(tmp_path / 'data'), str(tmp_path / 'makers.log')
    ctx = multiprocessing.get_context('fork')
    ranks = [ctx.Process(target=_prepare_as_a_rank, args=(folder, log))
             for _ in range(4)]
    for p in ranks:
        p.start()
    for p in ranks:
        p.join(60)
    assert [p.exitcode for p in ranks] == [0] * 4
    assert len(open(log).read().split()) == 1  # one rank made it
