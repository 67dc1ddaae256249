from .formatting import PackUPSInputs
from .observation import ObservationRatio
from .uniform_sample_no_loop import UniformSampleFramesNoLoop
from .zero_missing_joints import ZeroMissingJoints

__all__ = [
    'PackUPSInputs', 'ObservationRatio', 'UniformSampleFramesNoLoop',
    'ZeroMissingJoints'
]
