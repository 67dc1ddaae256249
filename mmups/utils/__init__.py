# compat first: its shims must precede any MMAction2 / MMPose model import.
from . import compat  # noqa: F401,I001
from .fileio import atomic_open
from .memory import limit_heap_fragmentation
from .setup_env import (apply_launch_options, parse_launch_args,
                        register_all_modules, setup_cpu_launch)

__all__ = [
    'register_all_modules', 'setup_cpu_launch', 'apply_launch_options',
    'parse_launch_args', 'limit_heap_fragmentation', 'atomic_open'
]
