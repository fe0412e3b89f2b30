NEURON { SUFFIX bnonlin }
STATE { x }
BREAKPOINT { SOLVE eq }
NONLINEAR eq {
  ~ x*x = 2
}
