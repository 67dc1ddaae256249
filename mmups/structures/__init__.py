from .tasks import (EOT_PROMPTS, PAPER_TASKS, TASK_KINDS, is_action_task,
                    task_index, task_kind)
from .ups_data_sample import UPSDataSample

__all__ = [
    'UPSDataSample', 'TASK_KINDS', 'PAPER_TASKS', 'EOT_PROMPTS', 'task_kind',
    'task_index', 'is_action_task'
]
