"""Utilities of mmups.

Importing it applies the compatibility shims of :mod:`.compat` (and nothing
else); the changes of behaviour or speed that the ``tools/`` entry points
want are explicit calls: :func:`enable_config_text_cache`,
:func:`setup_cpu_launch` / :func:`enable_cpu_dist_launch` and
:func:`limit_heap_fragmentation` (datasets call :func:`release_free_memory`
once built).
"""
# compat first: its shims must precede any MMAction2 / MMPose model import.
from . import compat  # noqa: F401,I001
from .config_cache import config_text_cache_enabled, enable_config_text_cache
from .fileio import (atomic_open, file_lock, folder_is_prepared,
                     prepare_folder, replace_folder)
from .memory import limit_heap_fragmentation, release_free_memory
from .setup_env import (apply_launch_options, enable_cpu_dist_launch,
                        parse_launch_args, register_all_modules,
                        setup_cpu_launch)

__all__ = [
    'register_all_modules', 'setup_cpu_launch', 'enable_cpu_dist_launch',
    'apply_launch_options', 'parse_launch_args', 'limit_heap_fragmentation',
    'release_free_memory',
    'enable_config_text_cache', 'config_text_cache_enabled', 'atomic_open',
    'file_lock', 'folder_is_prepared', 'prepare_folder', 'replace_folder'
]
