from .architectures import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .encoders import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .tokenizers import *  # noqa: F401,F403
from .vocabularies import *  # noqa: F401,F403
