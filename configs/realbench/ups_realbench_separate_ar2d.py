# UPS trained on one realbench task only: 2D action recognition on Penn Action.
# Schedule: ./_base_/ups_realbench_single_task.py.
#   python tools/train.py configs/realbench/ups_realbench_separate_ar2d.py
_base_ = ['./_base_/ups_realbench_single_task.py']

tasks = dict(ar2d={{_base_.ups_tasks.ar2d}})
