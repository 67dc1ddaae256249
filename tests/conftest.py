"""Test-wide settings: offline text models, few threads, fixtures."""
import importlib.util
import os
import os.path as osp

import pytest

# Text models must never be fetched from a hub during tests.
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')

import torch  # noqa: E402

import mmups  # noqa: E402,F401  (applies the compatibility shims)

# Test tensors are tiny: one thread avoids threading overhead, which
# dominates on a loaded 2-core machine.
torch.set_num_threads(1)

#: Real third-party data beside the project (absent in a user's clone).
SHARED_DATA = osp.abspath(
    osp.join(osp.dirname(__file__), '..', '..', 'shared', 'data'))


@pytest.fixture
def shared_data() -> str:
    """Path of ../shared/data; skips the test where it is absent."""
    if not osp.isdir(SHARED_DATA):
        pytest.skip(f'real data folder {SHARED_DATA} is absent '
                    '(only present on the development machines)')
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _vocab_cache_dir(tmp_path, monkeypatch):
    """Keep vocabulary embedding caches of tests out of the user's cache."""
    monkeypatch.setenv('MMUPS_CACHE_DIR', str(tmp_path / 'mmups_cache'))


@pytest.fixture
def load_script():
    """``load_script('tools/analysis/coord_range.py')``: import a script of
    the repository by its path from the root (tools/ is not a package)."""
    root = osp.abspath(osp.join(osp.dirname(__file__), '..'))

    def load(path: str):
        name = 'mmups_script_' + path.replace('/', '_').replace('.', '_')
        spec = importlib.util.spec_from_file_location(name,
                                                      osp.join(root, path))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
