# UPS trained on one realbench task only: 3D early action prediction on
# Human3.6M mocap.
# Schedule: ./_base_/ups_realbench_single_task.py.
#   python tools/train.py configs/realbench/ups_realbench_separate_eap3d.py
_base_ = ['./_base_/ups_realbench_single_task.py']

tasks = dict(eap3d={{_base_.ups_tasks.eap3d}})
