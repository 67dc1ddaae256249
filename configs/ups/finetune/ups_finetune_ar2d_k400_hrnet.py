# Fine-tuning of the jointly trained UPS of configs/ups/ups_all_k400_hrnet.py
# on 2D action recognition (Kinetics-400, MMAction2's HRNet skeletons (COCO 17
# joints)); everything else is ups_finetune_ar2d.py's.
#   bash tools/dist_train.sh configs/ups/finetune/ups_finetune_ar2d_k400_hrnet.py 8
_base_ = [
    './ups_finetune_ar2d.py',
    '../../_base_/datasets/kinetics400_hrnet_coco17_2d.py'
]

# _delete_: this declaration replaces the base's instead of merging into it.
tasks = dict(_delete_=True, ar2d={{_base_.kinetics400_hrnet_coco17_2d}})
joint_checkpoint = 'work_dirs/ups_all_k400_hrnet/iter_60000.pth'
load_from = joint_checkpoint
# As in ups_all_k400_hrnet.py, so that its checkpoint's vocabulary loads.
model = dict(vocabulary=dict(label_sets=dict(
    kinetics400_mmaction='data/label_maps/kinetics400_mmaction.txt')))
label_set_sizes = dict(kinetics400_mmaction=400)
