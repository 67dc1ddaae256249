from .formatting import PackUPSInputs
from .observation import ObservationRatio

__all__ = ['PackUPSInputs', 'ObservationRatio']
