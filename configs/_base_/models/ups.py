# UPS at the paper's size (Foo et al., CVPR 2023, section 4).
#
# Fixed by the paper: L_enc = L_dec = 3, H = 2 parallel SEM-TEM blocks per
# encoder layer, q = 256 for task and block embeddings, RoBERTa-base text
# embeddings for the unified vocabulary, three TCN-GCN tokenizer layers.
#
# Left open by the paper, chosen here:
# * d = 32 channels per joint token. The TEM attends over frame-level tokens
#   of size V_c * d = 30 * 32 = 960 (V_c: the canonical joint set), which
#   keeps each TEM at ~7.4M parameters; d = 64 would quadruple that.
# * TEM: 8 heads (120 channels each), MLP hidden size 2 * 960 = 1920.
# * Tokenizer hidden width 64 (CTR-GCN's first stage width).
# * Decoder width 256, 8 heads, MLP 4 * 256 = 1024, dropout 0.1.
# * 256 bins per axis over [-1.2, 1.2] m of root-relative camera-frame
#   coordinates: bins of 9.4 mm, worst-case quantisation error 4.7 mm.
# * Target of pose estimation: the centre frame of the input window.
# * Normalisation in the tokenizer and SEM: GroupNorm with one group (per
#   sample, over channels, frames and joints) instead of CTR-GCN's
#   BatchNorm. Tasks rotate per batch and their inputs differ greatly (2D
#   pixels with a zero Z, 3D metres): BatchNorm's running statistics mix
#   them, and at evaluation the demo's 2D recognition collapsed to one
#   class. A per-position LayerNorm over channels avoided that but threw
#   away the coordinates' magnitude in the first layer (it failed the
#   overfitting test); GroupNorm(1) has neither problem. BN2d / SyncBN
#   remain available through norm_cfg.
#
# * Routing scores B . tau start with standard deviation 4 (score_std):
#   hard Gumbel-Softmax then draws each task's initial route with ~99%
#   probability, and routes change only as the embeddings learn. With unit
#   scores every batch took a random route, so each block saw about half of
#   its task's batches and the decoder eight different encoders: on the demo
#   the action tasks stayed near chance (25% top-1 after 300 iterations vs
#   77% with score_std=4, 92% without routing, H = 1).
#
# Pose estimation (2D-to-3D lifting) learns like a regressor only with the
# following; each is an option of UPS (train_cfg / test_cfg, off by default)
# or of its parts, measured by fitting the realbench pe3d UPS on 512 real
# training windows (1000 updates of 16; the windows' mean pose scores
# 220 mm on them, a linear read-out of the untrained encoder 85 mm):
# * root_relative_lifting: the 2D input moved to the pelvis frame by frame
#   (209 -> 187 mm): image-normalised joints are dominated by the person's
#   place in the image.
# * train_cfg.masked_softmax: the training softmax runs over the tokens the
#   grammar allows at each step, as decoding does (every task).
# * Ordinal coordinates: Gaussian targets of sigma 2 bins over the axis's
#   bins (train_cfg.coord_target), a sine/cosine code of each bin's place
#   on its axis appended to the text embeddings (vocabulary.ordinal_dims),
#   an L1 term on the expectation read-out (train_cfg.coord_l1_weight) and
#   the expectation read-out itself (test_cfg.coord_readout): 187 -> 161 mm.
# * train_cfg.coord_input_dropout=1: the coordinate tokens fed back to the
#   decoder are hidden (zero embeddings), in training and decoding. With
#   teacher forcing the decoder had learnt to place each joint from the
#   true coordinates of the joints before it, which greedy decoding does
#   not have: 122 mm teacher-forced but 205 mm decoded. Hidden, every
#   coordinate is read from the encoder memory: 161 -> 94 mm (109 mm on
#   unseen subjects' windows). Hiding only some of them (0.7) broke
#   decoding, which then sees inputs training rarely did (475 mm).
# * head.pos_embed_std=1: with the coordinate inputs hidden, the positional
#   embedding is what tells the decoder which joint and axis comes next;
#   started at unit scale instead of 0.02: 94 -> 85 mm (104 mm unseen).
#   (An L1 weight of 20 instead of 5: 100 mm.)
# * test_cfg.zero_root: the pelvis of the root-relative target decodes to 0
#   (with 256 bins over a symmetric range it sat on a bin edge, +4.7 mm).
# * test_cfg.flip_test: the prediction of the mirrored input, mirrored back,
#   averaged with the plain one (MMPose's PoseLifter flip_test); the
#   training pipelines flip at random (RandomFlipAroundRoot).
# The action tasks' single token is unaffected by all but the masked
# softmax.
ups_train_cfg = dict(masked_softmax=True,
                     coord_target=dict(mode='gaussian', sigma=2.0),
                     coord_l1_weight=5.0,
                     coord_input_dropout=1.0)
ups_test_cfg = dict(coord_readout='expectation', readout_window=None,
                    zero_root=True, flip_test=True)

# The encoder sees every skeleton whole and routing learns:
# * connect_layouts: each layout's SEM graph links its filled slots across
#   the canonical slots it lacks. Over the canonical graph OpenPose-18 fell
#   into 4 pieces, COCO-17 and Penn-13 into 5, bridged only by a learnt
#   offset that starts at zero.
# * mask_empty_slots: empty slots add nothing to filled ones (adjacency
#   over filled slots, biases masked, GroupNorm / LayerNorm statistics over
#   filled slots only); before, the value convolution's bias of an empty
#   slot reached real joints through the graph.
# * start_token='own': the decoder's start token has its own embedding per
#   task, so the decoder's loss no longer moves the routing embedding tau.
# * full_straight_through: the unselected blocks run forward without a
#   graph, so the scores get the full straight-through gradient (about 2x
#   that of the selected block's term alone, at a cosine of 0.34 to it).
# * custom_hooks below: the score scale is annealed from 0.5 to 2 over
#   training (RouteAnnealingHook): with score_std=4 the first draws are
#   exploratory (a task's other block is drawn in a few % of its batches)
#   and the last ones close to the evaluation route; at a fixed scale of 1
#   every task kept the route of its first draw. RouteHistoryHook records
#   the routes as they change.
# Each is an option (RoutedEncoder, UPS, the hooks): off, the encoder
# trains as before (docs/benchmarks.md has the ablation).
#
# Only the selected encoder block runs per layer, so unselected blocks get
# no gradient: DDP needs find_unused_parameters=True (or set
# compute_unselected=True in the encoder and drop it, at 2x encoder cost).
model = dict(
    type='UPS',
    num_pose_frames=1,
    use_kv_cache=True,
    start_token='own',
    root_relative_lifting=True,
    train_cfg=ups_train_cfg,
    test_cfg=ups_test_cfg,
    data_preprocessor=dict(type='UPSDataPreprocessor'),
    tokenizer=dict(
        type='JointTokenizer',
        in_channels=3,
        hidden_channels=64,
        embed_dims=32,
        num_layers=3,
        # The joint layouts the model reads, each with its own graph
        # parameters: stated here so that the checkpoints of this config
        # do not depend on what else is registered.
        layouts=('coco', 'h36m', 'nturgb+d', 'openpose', 'penn_action'),
        norm_cfg=dict(type='GN', num_groups=1)),
    encoder=dict(
        type='RoutedEncoder',
        embed_dims=32,
        num_layers=3,
        num_blocks=2,
        task_dims=256,
        num_heads=8,
        mlp_ratio=2.0,
        drop=0.1,
        gumbel_tau=1.0,
        score_std=4.0,
        compute_unselected=False,
        full_straight_through=True,
        norm_cfg=dict(type='GN', num_groups=1),
        connect_layouts=True,
        mask_empty_slots=True),
    vocabulary=dict(
        type='UnifiedVocabulary',
        # Class names, one per line in label order: see data/README.md,
        # section "Label maps".
        label_sets=dict(
            ntu60='data/label_maps/ntu60.txt',
            ntu120='data/label_maps/ntu120.txt',
            kinetics400='data/label_maps/kinetics400_openpose18.txt'),
        num_bins=256,
        coord_ranges=(-1.2, 1.2),
        ordinal_dims=16,
        text_model='roberta-base'),
    head=dict(
        type='SequenceHead',
        embed_dims=256,
        num_layers=3,
        num_heads=8,
        mlp_ratio=4.0,
        dropout=0.1,
        max_length=160,
        pos_embed_std=1.0))

model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

# Number of classes of each label set, used to check label map files and
# (tools/misc/ups_random_batch.py --placeholder-labels) to stand in for
# missing ones.
label_set_sizes = dict(ntu60=60, ntu120=120, kinetics400=400)

# The training hooks of every UPS config: TaskRotationHook logs the task of
# every rank's batch (and fails if ranks ever disagree); the routing hooks
# of the comment above.
custom_hooks = [
    dict(type='TaskRotationHook', interval=20),
    dict(type='RouteAnnealingHook',
         score_scale=dict(start=0.5, end=2.0, schedule='cosine')),
    dict(type='RouteHistoryHook', interval=250),
]
