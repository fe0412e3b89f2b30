NEURON { SUFFIX bion USEION zz READ ezz WRITE izz }
ASSIGNED { v ezz izz }
BREAKPOINT { izz = 0.001*(v - ezz) }
