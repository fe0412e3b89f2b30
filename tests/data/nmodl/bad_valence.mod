NEURON { SUFFIX bval USEION na READ ena WRITE ina VALENCE 2 }
ASSIGNED { v ena ina }
BREAKPOINT { ina = 0.001*(v - ena) }
