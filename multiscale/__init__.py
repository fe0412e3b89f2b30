"""Assembly and running of multiscale experiments (CLI, HDF5 output, MPI layout)."""

__version__ = "0.1.0"
__all__ = ["__version__"]
