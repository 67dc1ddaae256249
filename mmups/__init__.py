"""mmups: Unified Pose Sequence modeling on the OpenMMLab stack.

Importing the package applies the compatibility shims in
:mod:`mmups.utils.compat` first, so that MMAction2 / MMPose components can be
built from mmups configs on the pinned stack (each shim acts only where the
installation needs it), then registers the mmups components
(``mmups.models``, ``mmups.codecs``, ``mmups.datasets``) in the mmups
registries. Nothing else is changed: what changes the behaviour or speed of
other packages is an explicit call, made by ``tools/train.py`` and
``tools/test.py``: :func:`mmups.utils.enable_config_text_cache`,
:func:`mmups.utils.setup_cpu_launch` and
:func:`mmups.utils.limit_heap_fragmentation`.
"""
from .utils import compat as _compat  # noqa: F401,I001  (shims first)
from . import codecs, datasets, engine, models  # noqa: F401,E402
from .version import __version__  # noqa: E402

__all__ = ['__version__']
