NEURON { SUFFIX barr }
STATE { x[3] }
BREAKPOINT { SOLVE s METHOD cnexp }
DERIVATIVE s { x'[0] = -x[0] }
