NEURON { SUFFIX bown USEION ca READ cai WRITE ica }
ASSIGNED { v ica }
STATE { c }
BREAKPOINT {
  SOLVE st METHOD cnexp
  ica = 0.001*(v - 100)
}
DERIVATIVE st { c' = -ica - c }
