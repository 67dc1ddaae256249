# UPS trained on one task only: 3D action recognition on NTU RGB+D 60 (cross-subject).
# See ../_base_/ups_single_task.py for the schedule and batch.
#   bash tools/dist_train.sh configs/ups/ups_separate_ar3d.py 8
_base_ = ['../_base_/ups_single_task.py', '../_base_/datasets/ntu60_xsub_3d.py']

# The one task, declared once (model, loaders and metric follow it).
tasks = dict(ar3d={{_base_.ntu60_xsub_3d}})
