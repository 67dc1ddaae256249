"""Runner components of mmups (hooks)."""
from .hooks import *  # noqa: F401,F403
