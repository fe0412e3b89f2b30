NEURON { SUFFIX bunit NONSPECIFIC_CURRENT i }
UNITS { X = (parsec) (furlong) }
ASSIGNED { v i }
BREAKPOINT { i = 1e-9*X*v }
