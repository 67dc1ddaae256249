"""Runner components of mmups (hooks, the training loop)."""
from .hooks import *  # noqa: F401,F403
from .runner import *  # noqa: F401,F403
