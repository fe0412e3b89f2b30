TITLE importer test case: euler, and SOLVE without METHOD of a second mechanism-like state
NEURON { SUFFIX teuler NONSPECIFIC_CURRENT i RANGE g }
PARAMETER { g = 0.001 (S/cm2) }
ASSIGNED { v (mV) i (mA/cm2) }
STATE { w }
BREAKPOINT {
  SOLVE sw METHOD euler
  i = g*w*(v + 70)
}
INITIAL { w = 0 }
DERIVATIVE sw { w' = 0.1*(1/(1 + exp(-(v + 50)/5)) - w) }
