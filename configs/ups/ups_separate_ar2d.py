# UPS trained on one task only: 2D action recognition on Kinetics-400 (OpenPose 18 joints).
# See ../_base_/ups_single_task.py for the schedule and batch.
#   bash tools/dist_train.sh configs/ups/ups_separate_ar2d.py 8
_base_ = ['../_base_/ups_single_task.py', '../_base_/datasets/kinetics400_openpose18_2d.py']

# The one task, declared once (model, loaders and metric follow it).
tasks = dict(ar2d={{_base_.kinetics400_openpose18_2d}})
