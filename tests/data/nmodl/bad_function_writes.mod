NEURON { SUFFIX bfw NONSPECIFIC_CURRENT i RANGE a }
ASSIGNED { v i a }
BREAKPOINT { i = 0.001*f(v) }
FUNCTION f(x) {
  a = x
  f = x
}
