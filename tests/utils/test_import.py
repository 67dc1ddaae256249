"""What ``import mmups`` changes: the compatibility shims only. The
behaviour and speed changes are applied by explicit calls, which work the
same after any import order and are idempotent."""
import subprocess
import sys
import textwrap

# Run in a fresh interpreter: the test process has other tests' state.
SCRIPT = textwrap.dedent('''
    import mmups  # noqa: F401
    import mmengine.dist.utils as dist_utils
    import torch
    from mmengine.config import Config

    from mmups.utils import (config_text_cache_enabled,
                             enable_config_text_cache,
                             enable_cpu_dist_launch)

    # A plain import leaves mmengine's config text and launcher alone.
    prop = Config.__dict__['pretty_text']
    assert prop.fget.__module__ == 'mmengine.config.config', prop.fget
    assert prop.fget.__qualname__ == 'Config.pretty_text', prop.fget
    assert not config_text_cache_enabled()
    launcher = dist_utils._init_dist_pytorch
    assert launcher.__module__ == 'mmengine.dist.utils', launcher
    assert not hasattr(launcher, '__wrapped__')

    # The explicit calls apply them, once.
    assert enable_config_text_cache() is True
    cached = Config.__dict__['pretty_text']
    assert cached is not prop and cached.fget.__wrapped__ is prop.fget
    assert config_text_cache_enabled()
    assert enable_config_text_cache() is True
    assert Config.__dict__['pretty_text'] is cached
    cfg = Config(dict(a=1, b=[dict(type='T')]))
    assert cfg.pretty_text == prop.fget(cfg)

    wrapped = enable_cpu_dist_launch()
    assert wrapped is (not torch.cuda.is_available())
    first = dist_utils._init_dist_pytorch
    assert (first is not launcher) is wrapped
    assert enable_cpu_dist_launch() is wrapped
    assert dist_utils._init_dist_pytorch is first
    print('ok')
''')


def test_import_applies_no_behaviour_or_speed_change():
    out = subprocess.run([sys.executable, '-c', SCRIPT],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == 'ok'
