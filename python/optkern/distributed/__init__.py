"""Data-parallel training over MPI: `DataParallel` (with ZeRO-1 sharded state)
and `shard` (each rank's sample indices for an epoch).

Needs mpi4py and an MPI library (``pip install 'optkern[mpi]'``); importing
``optkern`` never imports them, and this package imports mpi4py only when a
`DataParallel` is created. Run with ``mpiexec -n <ranks> python train.py``.
"""

from ._parallel import DataParallel
from ._shard import shard

__all__ = ["DataParallel", "shard"]
