from .task_rotation_hook import TaskRotationHook

__all__ = ['TaskRotationHook']
