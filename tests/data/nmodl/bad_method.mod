NEURON { SUFFIX bmeth }
STATE { x }
BREAKPOINT { SOLVE s METHOD runge }
DERIVATIVE s { x' = -x }
