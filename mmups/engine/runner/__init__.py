from .resumable_train_loop import (EpochIterator, ResumableIterBasedTrainLoop,
                                   iteration_seed)

__all__ = ['EpochIterator', 'ResumableIterBasedTrainLoop', 'iteration_seed']
