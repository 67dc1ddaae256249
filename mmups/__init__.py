"""mmups: Unified Pose Sequence modeling on the OpenMMLab stack.

Importing the package applies the compatibility shims in
:mod:`mmups.utils.compat` first, so that MMAction2 / MMPose components can be
built from mmups configs on the pinned stack, then registers the mmups
components (``mmups.models``, ``mmups.codecs``, ``mmups.datasets``) in the mmups registries.
"""
from .utils import compat as _compat  # noqa: F401,I001  (shims first)
from . import codecs, datasets, engine, models  # noqa: F401,E402
from .version import __version__  # noqa: E402

__all__ = ['__version__']
