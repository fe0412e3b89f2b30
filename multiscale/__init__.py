"""Assembly and running of multiscale experiments (CLI, HDF5 output, MPI layout)."""

# numba's vector-width tuning for the cable engine must be set before numba builds
# its CPU target, that is before anything compiles (electrical.mechanisms.numerics)
import electrical.mechanisms.numerics  # noqa: F401

__version__ = "0.1.0"
__all__ = ["__version__"]
