NEURON { SUFFIX bsolve }
STATE { x }
BREAKPOINT { SOLVE nothere METHOD cnexp }
DERIVATIVE s { x' = -x }
