from .route_annealing_hook import RouteAnnealingHook, annealed_value
from .route_history_hook import RouteHistoryHook
from .task_rotation_hook import TaskRotationHook

__all__ = [
    'RouteAnnealingHook', 'RouteHistoryHook', 'TaskRotationHook',
    'annealed_value'
]
