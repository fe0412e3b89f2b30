TITLE importer test case: a leak with bounds, a GLOBAL and a FUNCTION with if/else
NEURON {
  SUFFIX tleak
  NONSPECIFIC_CURRENT i
  RANGE g, e
  GLOBAL q
}
PARAMETER {
  g = 0.001 (S/cm2) <0, 1e9>
  e = -70 (mV)
  q = 1
}
ASSIGNED { v (mV) i (mA/cm2) }
BREAKPOINT { i = g*q*clip(v - e) }
FUNCTION clip(x (mV)) (mV) {
  if (x > 100) {
    clip = 100
  } else if (x < -100) {
    clip = -100
  } else {
    clip = x
  }
}
