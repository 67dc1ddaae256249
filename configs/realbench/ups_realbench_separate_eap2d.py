# UPS trained on one realbench task only: 2D early action prediction on Penn
# Action.
# Schedule: ./_base_/ups_realbench_single_task.py.
#   python tools/train.py configs/realbench/ups_realbench_separate_eap2d.py
_base_ = ['./_base_/ups_realbench_single_task.py']

tasks = dict(eap2d={{_base_.ups_tasks.eap2d}})
