"""Installation of mmups (see README.md for the supported ways)."""
import os.path as osp
from typing import Dict, List

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_text(*parts: str) -> str:
    """Text of a file of the source tree."""
    with open(osp.join(HERE, *parts), encoding='utf-8') as f:
        return f.read()


def read_version() -> str:
    """Version from ``mmups/version.py`` without importing the package."""
    namespace: Dict[str, str] = {}
    exec(read_text('mmups', 'version.py'), namespace)
    return namespace['__version__']


def parse_requirements(name: str) -> List[str]:
    """Requirement lines of ``requirements/<name>.txt``.

    Comments, blank lines and pip options (``-r``, ``--...``) are skipped.
    """
    requirements = []
    for line in read_text('requirements', f'{name}.txt').splitlines():
        line = line.split('#', 1)[0].strip()
        if line and not line.startswith('-'):
            requirements.append(line)
    return requirements


setup(
    name='mmups',
    version=read_version(),
    description='Unified Pose Sequence modeling (UPS) on the OpenMMLab stack',
    long_description=read_text('README.md'),
    long_description_content_type='text/markdown',
    keywords='pose sequence, action recognition, 3D pose estimation, '
    'OpenMMLab',
    packages=find_packages(include=('mmups', 'mmups.*')),
    python_requires='>=3.10',
    install_requires=parse_requirements('runtime'),
    extras_require={
        'tests': parse_requirements('tests'),
        'optional': parse_requirements('optional'),
        # MIM / pip extras for reference only: install these with --no-deps
        # (requirements/mminstall.txt explains why).
        'mim': parse_requirements('mminstall'),
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3.10',
        'Programming Language :: Python :: 3.11',
        'Operating System :: POSIX :: Linux',
    ],
    zip_safe=False,
)
