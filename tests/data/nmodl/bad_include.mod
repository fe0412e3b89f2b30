INCLUDE "other.inc"
NEURON { SUFFIX binc }
