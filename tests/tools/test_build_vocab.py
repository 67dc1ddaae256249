import os
import os.path as osp
import runpy
import sys

import numpy as np
import pytest

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SCRIPT = osp.join(REPO, 'tools', 'misc', 'build_vocab.py')

CONFIG = """
model = dict(
    type='UPS',
    vocabulary=dict(
        type='UnifiedVocabulary',
        label_sets=dict(ntu='maps/ntu.txt', h36m=['walking', 'eating']),
        num_bins=4,
        text_model=dict(type='random', hidden_size=16, num_layers=1,
                        num_heads=2, intermediate_size=32, seed=0)))
"""


class Result:

    def __init__(self, returncode, stdout, stderr):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


@pytest.fixture
def run_tool(monkeypatch, capsys):
    """Runs the script as ``__main__`` in this process (a subprocess would
    spend seconds re-importing the stack)."""

    def run(cwd, *args):
        capsys.readouterr()
        with monkeypatch.context() as m:
            m.chdir(cwd)
            m.setattr(sys, 'argv', [SCRIPT, *args])
            try:
                runpy.run_path(SCRIPT, run_name='__main__')
                code = 0
            except SystemExit as e:
                code = e.code
            except Exception as e:  # an uncaught error of the script
                code = 1
                print(f'{type(e).__name__}: {e}', file=sys.stderr)
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return run


def test_build_vocab_script(tmp_path, run_tool):
    (tmp_path / 'maps').mkdir()
    (tmp_path / 'maps' / 'ntu.txt').write_text('walking\nsitting_down\n')
    (tmp_path / 'cfg.py').write_text(CONFIG)
    cache_dir = tmp_path / 'vocab_cache'

    # relative config and label map paths, taken from the working directory
    result = run_tool(tmp_path, 'cfg.py', '--cache-dir', str(cache_dir))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # 3 actions (walking is shared) + 3 * 4 bins + 3 EOT
    assert 'vocabulary size: 18 tokens x 16 dims' in out
    assert 'action tokens:     3' in out
    assert 'coordinate tokens: 12 (3 x 4 bins)' in out
    assert 'EOT tokens:        3' in out
    assert "'type': 'random'" in out
    assert 'cache: built' in out
    files = os.listdir(cache_dir)
    assert len(files) == 1 and files[0].endswith('.npz')
    assert f'cache file: {cache_dir / files[0]}' in out
    with np.load(cache_dir / files[0], allow_pickle=False) as data:
        assert data['embeddings'].shape == (18, 16)
        assert data['prompts'][1] == 'sitting down'

    # --cfg-options changes the vocabulary; --reuse keeps a valid cache
    result = run_tool(tmp_path, 'cfg.py', '--cache-dir', str(cache_dir),
                      '--cfg-options', 'model.vocabulary.num_bins=2')
    assert result.returncode == 0, result.stderr
    assert 'vocabulary size: 12 tokens' in result.stdout
    result = run_tool(tmp_path, 'cfg.py', '--cache-dir', str(cache_dir),
                      '--reuse')
    assert result.returncode == 0, result.stderr
    assert 'cache: reused' in result.stdout
    assert len(os.listdir(cache_dir)) == 2


def test_build_vocab_missing_label_map(tmp_path, run_tool):
    (tmp_path / 'cfg.py').write_text(CONFIG)
    result = run_tool(tmp_path, 'cfg.py', '--cache-dir',
                      str(tmp_path / 'c'))
    assert result.returncode != 0
    assert 'maps/ntu.txt' in result.stderr
    assert 'data/README.md' in result.stderr
