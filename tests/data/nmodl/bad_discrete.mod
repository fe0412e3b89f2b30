NEURON { SUFFIX bdisc }
STATE { x }
BREAKPOINT { SOLVE d }
DISCRETE d {
  x = x@1 + 1
}
