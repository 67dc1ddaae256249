"""Test-wide settings: offline text models, few threads, fixtures."""
import importlib.util
import os
import os.path as osp
import socket

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


@pytest.fixture
def free_port() -> int:
    """A free TCP port on this host, for a process group's rendezvous."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


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


#: The demo config and the test-size model config.
DEMO_CONFIG = osp.abspath(osp.join(osp.dirname(__file__), '..', 'configs',
                                   'ups', 'ups_demo.py'))
TINY_CONFIG = osp.abspath(osp.join(osp.dirname(__file__), '..', 'configs',
                                   '_base_', 'models', 'ups_tiny.py'))


@pytest.fixture(scope='session')
def demo_model(tmp_path_factory):
    """The demo config (its tasks and test pipelines) with a small random
    model and an inline label set, saved as config file + checkpoint."""
    from mmengine.config import Config

    from mmups.apis import init_model
    from mmups.datasets.demo_data import DEMO_ACTIONS
    folder = tmp_path_factory.mktemp('demo_model')
    cfg = Config.fromfile(DEMO_CONFIG)
    tiny = Config.fromfile(TINY_CONFIG)
    cfg.model.vocabulary.label_sets = dict(demo=list(DEMO_ACTIONS))
    cfg.model.vocabulary.text_model = tiny.model.vocabulary.text_model
    cfg.model.vocabulary.num_bins = 32
    cfg.model.vocabulary.cache_dir = str(folder / 'cache')
    config = str(folder / 'ups_demo_small.py')
    cfg.dump(config)
    torch.manual_seed(0)
    model = init_model(config)
    checkpoint = str(folder / 'random.pth')
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    return config, checkpoint


@pytest.fixture(scope='session')
def demo_onnx(demo_model, tmp_path_factory):
    """ONNX exports of every task of :func:`demo_model`: task -> export
    directory (skips where the onnx package is absent)."""
    pytest.importorskip('onnx', reason='ONNX export needs the onnx package '
                        '(requirements/optional.txt)')
    from mmups.apis import init_model
    from mmups.deployment import export_onnx
    model = init_model(*demo_model)
    root = tmp_path_factory.mktemp('demo_onnx')
    dirs = {}
    for task in model.tasks:
        dirs[task] = str(root / task)
        export_onnx(model, task, dirs[task], checkpoint=demo_model[1])
    return dirs


@pytest.fixture
def onnx():
    """The onnx module; skips where it is not installed."""
    return pytest.importorskip(
        'onnx', reason='ONNX export needs the onnx package '
        '(requirements/optional.txt)')


@pytest.fixture
def onnxruntime():
    """The onnxruntime module; skips where it is not installed."""
    return pytest.importorskip(
        'onnxruntime', reason='ONNX Runtime inference needs the '
        'onnxruntime package (requirements/optional.txt)')
