# compat first: its shims must precede any MMAction2 / MMPose model import.
from . import compat  # noqa: F401,I001
from .setup_env import register_all_modules

__all__ = ['register_all_modules']
