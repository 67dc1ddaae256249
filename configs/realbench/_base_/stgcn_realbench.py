# MMAction2's ST-GCN on a realbench action task: the peer of UPS for action
# recognition, with MMAction2's model, pipeline tail and metric. A config
# that inherits this sets the skeleton graph
# (model.backbone.graph_cfg.layout) and the datasets (./realbench_data.py
# has them: *_gcn_train / *_gcn_val, the same clips, normalisation and
# frame sampling as the UPS datasets).
#
# Schedule and batch: ./peer_schedule.py. Otherwise MMAction2's ST-GCN
# recipe: SGD with Nesterov momentum, weight decay 5e-4, cosine decay; its
# lr 0.1 is for a total batch of 128, scaled linearly here.
_base_ = ['./peer_schedule.py']

model = dict(
    type='RecognizerGCN', _scope_='mmaction',
    backbone=dict(type='STGCN', graph_cfg=dict(mode='stgcn_spatial')),
    cls_head=dict(type='GCNHead', num_classes=15, in_channels=256))

lr = 0.0125  # 0.1 * 16 / 128, for the batch of 16
optim_wrapper = dict(optimizer=dict(type='SGD', lr=lr, momentum=0.9,
                                    weight_decay=5e-4, nesterov=True))
val_evaluator = {{_base_.acc_metric}}
test_evaluator = val_evaluator
