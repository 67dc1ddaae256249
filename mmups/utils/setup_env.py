"""Registration helpers, as MMAction2 / MMPose provide them."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmups module that registers components.

    Args:
        init_default_scope: also make ``mmups`` the current default scope
            (a new instance is created if another scope is current).
    """
    import mmups.models  # noqa: F401,F811
    import mmups.codecs  # noqa: F401,F811

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('mmups'):
        DefaultScope.get_instance('mmups', scope_name='mmups')
    elif current.scope_name != 'mmups':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "mmups"; register_all_modules creates a new one.')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S%f')
        DefaultScope.get_instance(f'mmups-{stamp}', scope_name='mmups')
