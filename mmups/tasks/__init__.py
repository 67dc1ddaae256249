"""Task kinds: one registered component per kind of task (see
:mod:`mmups.tasks.base`)."""
from .base import (PAPER_TASKS, TaskKind, get_task_kind, list_task_kinds,
                   task_index, task_kind)
from .config_check import TaskConfigError, check_task_config
from .declaration import resolve_tasks
from .early_prediction import EarlyActionPrediction
from .future_pose import FuturePosePrediction, FuturePoseWindow
from .pose_lifting import PoseLifting
from .recognition import (AVERAGE_CLIPS, ActionRecognition,
                          average_clip_scores)

__all__ = [
    'TaskKind', 'ActionRecognition', 'EarlyActionPrediction', 'PoseLifting',
    'FuturePosePrediction', 'FuturePoseWindow',
    'get_task_kind', 'list_task_kinds', 'task_kind', 'task_index',
    'PAPER_TASKS', 'check_task_config', 'TaskConfigError', 'resolve_tasks',
    'AVERAGE_CLIPS', 'average_clip_scores'
]
