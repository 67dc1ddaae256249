"""Task names and their kinds.

A UPS task name starts with its *kind* and may carry a free suffix that tells
tasks of the same kind apart, e.g. ``ar3d`` / ``ar2d`` (two action recognition
tasks with their own task embeddings), ``eap3d``, ``pe3d``.

Kinds decide the output grammar and the end-of-task (EOT) token:

* ``ar``  -- action recognition: one action token, then EOT_AR.
* ``eap`` -- early action prediction: one action token, then EOT_AP.
* ``pe``  -- 3D pose estimation: X, Y, Z bins per joint per target frame,
  then EOT_PE.
"""
from typing import Dict, Sequence

TASK_KINDS = ('ar', 'eap', 'pe')
#: The four tasks of the paper, in its training rotation order.
PAPER_TASKS = ('pe3d', 'ar2d', 'eap3d', 'ar3d')


def task_kind(task: str) -> str:
    """Return the kind (``'ar'``, ``'eap'`` or ``'pe'``) of a task name.

    Raises:
        ValueError: if the name does not start with a known kind.
    """
    if isinstance(task, str):
        # 'eap' is tested first so that the check does not depend on order.
        for kind in sorted(TASK_KINDS, key=len, reverse=True):
            if task.startswith(kind):
                return kind
    raise ValueError(
        f'Unknown task {task!r}: a task name must start with one of '
        f'{TASK_KINDS} (e.g. "ar3d", "ar2d", "eap3d", "pe3d").')


def task_index(task: str, tasks: Sequence[str]) -> int:
    """Index of ``task`` in the model's configured ``tasks``, with a clear error."""
    task_kind(task)
    if task not in tasks:
        raise ValueError(f'Unknown task {task!r}: this model is configured '
                         f'for tasks {list(tasks)}.')
    return list(tasks).index(task)


def is_action_task(task: str) -> bool:
    """True for tasks whose output is an action class (AR and EAP)."""
    return task_kind(task) in ('ar', 'eap')


EOT_PROMPTS: Dict[str, str] = {
    'ar': 'action recognition ends here',
    'pe': 'pose estimation ends here',
    'eap': 'action prediction ends here',
}
