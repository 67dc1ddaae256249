"""Tests of :mod:`mmups.utils.fileio`."""
import os

import pytest

from mmups.utils import atomic_open


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
