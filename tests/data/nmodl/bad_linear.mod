NEURON { SUFFIX blin }
STATE { x y }
BREAKPOINT { SOLVE eq }
LINEAR eq {
  ~ x + y = 1
  ~ x - y = 0
}
