TITLE importer test case: derivimplicit on two coupled nonlinear states
NEURON { SUFFIX tdimp NONSPECIFIC_CURRENT i RANGE g }
PARAMETER { g = 0.001 (S/cm2) }
ASSIGNED { v (mV) i (mA/cm2) }
STATE { z1 z2 }
BREAKPOINT {
  SOLVE sz METHOD derivimplicit
  i = g*(z1 + z2)*(v + 70)
}
INITIAL { z1 = 0.2 z2 = 0.1 }
DERIVATIVE sz {
  z1' = 0.1*exp((v + 40)/20)*(1 - z1) - 0.1*z1*z2
  z2' = 0.05*z1 - 0.02*z2*z2
}
