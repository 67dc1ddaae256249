"""mmups: Unified Pose Sequence modeling on the OpenMMLab stack.

Importing the package applies the compatibility shims in
:mod:`mmups.utils.compat` first, so that MMAction2 / MMPose components can be
built from mmups configs on the pinned stack.
"""
from .utils import compat as _compat  # noqa: F401  (applies shims on import)
from .version import __version__

__all__ = ['__version__']
