TITLE importer test case: cnexp on an equation non-polynomial in its state (nocmodl: derivimplicit)
NEURON { SUFFIX tnonlin2 NONSPECIFIC_CURRENT i RANGE g GLOBAL k }
PARAMETER { g = 0.001 (S/cm2) k = 0.05 (/ms) }
ASSIGNED { v (mV) i (mA/cm2) }
STATE { s }
BREAKPOINT {
  SOLVE sy METHOD cnexp
  i = g*s*(v + 70)
}
INITIAL { s = 0.1 }
DERIVATIVE sy { s' = k*(1 - s) - 0.01*exp(-s)*(1 + 0.5/(1 + exp(-(v + 40)/5))) }
