# The jointly trained UPS (./ups_realbench_all.py) fine-tuned on one task,
# as the paper's full UPS: 3D action recognition on Human3.6M mocap.
# Data, loaders and schedule shape of ./ups_realbench_separate_ar3d.py;
# tools/benchmarks/realbench.py runs it for a fifth of the per-task
# iterations (MMUPS_REALBENCH_ITERS_PER_TASK), from the joint run's checkpoint:
#   MMUPS_REALBENCH_ITERS_PER_TASK=200 python tools/train.py \
#       configs/realbench/ups_realbench_finetune_ar3d.py \
#       --cfg-options load_from=work_dirs/realbench/ups/iter_5000.pth
_base_ = ['./ups_realbench_separate_ar3d.py']

# All tasks of the joint model, so that its checkpoint loads as it is; only
# this task's data is used.
model = dict(tasks={{_base_.joint_tasks}})
load_from = {{_base_.joint_checkpoint}}
optim_wrapper = dict(optimizer=dict(lr={{_base_.finetune_lr}}))
