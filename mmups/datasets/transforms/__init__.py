from .formatting import PackUPSInputs
from .observation import ObservationRatio
from .uniform_sample_no_loop import UniformSampleFramesNoLoop

__all__ = ['PackUPSInputs', 'ObservationRatio', 'UniformSampleFramesNoLoop']
