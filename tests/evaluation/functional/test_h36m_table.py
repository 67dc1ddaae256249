"""format_h36m_table: the paper's Tables 3-4 layout."""
import pytest

from mmups.datasets.converters.h36m import H36M_ACTIONS
from mmups.evaluation import H36M_TABLE_COLUMNS, format_h36m_table

NAMES = ['Directions', 'Discussion', 'Eating', 'Greeting', 'Phoning',
         'TakingPhoto', 'Posing', 'Purchases', 'Sitting', 'SittingDown',
         'Smoking',
         'Waiting', 'WalkDog', 'Walking', 'WalkTogether']


def test_full_table_from_multi_task_names():
    metrics = {f'pe3d/h36m/MPJPE_{n}': 30. + i for i, n in enumerate(NAMES)}
    metrics['pe3d/h36m/MPJPE'] = 99.
    metrics['ar3d/ntu/top1'] = 0.5
    header, rule, row = format_h36m_table(metrics).splitlines()
    assert header == ('| Method | Dir. | Disc. | Eat | Greet | Phone | '
                      'Photo | Pose | Pur. | Sit | SitD. | Smoke | Wait | '
                      'WalkD. | Walk | WalkT. | Avg |')
    assert rule.count('---') == 17
    cells = [c.strip() for c in row.strip('|').split('|')]
    assert cells[0] == 'pe3d/h36m'
    assert cells[1:16] == [f'{30. + i:.1f}' for i in range(15)]
    assert cells[16] == '37.0'  # mean of the actions
    overall = format_h36m_table(metrics, avg='overall', row_name='UPS')
    assert overall.splitlines()[2].startswith('| UPS |')
    assert overall.endswith('| 99.0 |')


def test_missing_actions_aliases_and_other_metrics():
    metrics = {'P-MPJPE_TakingPhoto': 40.0, 'P-MPJPE_Walking': 20.0,
               'MPJPE_Walking': 25.0, 'P-MPJPE': 31.0}
    row = format_h36m_table(metrics, metric='P-MPJPE',
                            precision=2).splitlines()[2]
    cells = [c.strip() for c in row.strip('|').split('|')]
    columns = list(H36M_TABLE_COLUMNS)
    assert cells[0] == 'P-MPJPE'
    assert cells[1 + columns.index('Photo')] == '40.00'
    assert cells[1 + columns.index('Walk')] == '20.00'
    assert cells[1 + columns.index('Dir.')] == '-'
    assert cells.count('-') == 13
    assert cells[-1] == '30.00'


def test_errors_and_prefix_choice():
    with pytest.raises(ValueError, match='No per-action'):
        format_h36m_table({'MPJPE': 1.0})
    metrics = {'a/MPJPE_Walking': 1.0, 'b/MPJPE_Walking': 2.0}
    with pytest.raises(ValueError, match='prefix='):
        format_h36m_table(metrics)
    assert format_h36m_table(metrics, prefix='b').endswith('| 2.0 | - | 2.0 |')
    with pytest.raises(ValueError, match='avg'):
        format_h36m_table(metrics, prefix='a', avg='frames')


def test_all_tables_of_a_test_run():
    """What tools/test.py prints: one table per prefix and error, with the
    action mean (the MPJPEMetric's ``_avg`` entry is not an action) and the
    frame-weighted error beside it."""
    from mmups.evaluation.functional import format_h36m_tables
    metrics = {f'pe3d/h36m/MPJPE_{n}': 30. + i for i, n in enumerate(NAMES)}
    metrics.update({'pe3d/h36m/MPJPE': 33.25, 'pe3d/h36m/MPJPE_avg': 37.,
                    'pe3d/h36m/P-MPJPE_Walking': 20.,
                    'pe3d/h36m/P-MPJPE': 20., 'ar3d/ntu/top1': 0.5})
    text = format_h36m_tables(metrics)
    blocks = text.split('\n\n')
    assert len(blocks) == 2
    assert blocks[0].startswith('pe3d/h36m MPJPE per action:')
    assert '| pe3d/h36m | 30.0 |' in blocks[0]
    assert blocks[0].splitlines()[3].endswith('| 37.0 |')
    assert blocks[0].endswith('frame-weighted): 33.2')
    assert blocks[1].startswith('pe3d/h36m P-MPJPE per action:')
    assert format_h36m_tables({'ar3d/ntu/top1': 0.5}) == ''
    # Other actions than Human3.6M's: listed, with their mean.
    other = format_h36m_tables({'pe3d/demo/MPJPE_Bow': 10.,
                                'pe3d/demo/MPJPE_Jump': 20.,
                                'pe3d/demo/MPJPE_avg': 15.,
                                'pe3d/demo/MPJPE': 12.})
    assert other == ('pe3d/demo MPJPE per action:\nBow 10.0, Jump 20.0 '
                     '(action mean 15.0)\nMPJPE over all frames '
                     '(frame-weighted): 12.0')


def test_the_columns_are_the_dataset_classes():
    assert sorted(H36M_TABLE_COLUMNS.values()) == sorted(H36M_ACTIONS)


def test_results_under_another_spelling_fill_the_column():
    """Metrics of MMPose's spelling (``Photo``, as older results and
    ``action_aliases={}`` name it) land in the class's column."""
    row = format_h36m_table({'MPJPE_Photo': 40.0, 'MPJPE_Walking': 20.0,
                             'MPJPE': 30.0}).splitlines()[2]
    cells = [c.strip() for c in row.strip('|').split('|')]
    assert cells[1 + list(H36M_TABLE_COLUMNS).index('Photo')] == '40.0'
    assert cells[-1] == '30.0'
