# UPS trained on one realbench task only: 3D pose estimation (2D-to-3D lifting)
# on Human3.6M mocap.
# Schedule: ./_base_/ups_realbench_single_task.py.
#   python tools/train.py configs/realbench/ups_realbench_separate_pe3d.py
_base_ = ['./_base_/ups_realbench_single_task.py']

tasks = dict(pe3d={{_base_.ups_tasks.pe3d}})
