from .inference import CheckpointMismatchError, init_model
from .inputs import (SkeletonInput, SkeletonInputError, infer_input_layout,
                     load_skeletons)
from .ups_inferencer import UPSInferencer

__all__ = [
    'init_model', 'CheckpointMismatchError', 'UPSInferencer', 'SkeletonInput',
    'SkeletonInputError', 'load_skeletons', 'infer_input_layout'
]
