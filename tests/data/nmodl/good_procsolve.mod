TITLE importer test case: SOLVE of a PROCEDURE (Destexhe's exponential update)
NEURON { SUFFIX tproc NONSPECIFIC_CURRENT i RANGE g }
PARAMETER { g = 0.001 (S/cm2) }
ASSIGNED { v (mV) i (mA/cm2) dt (ms) rinf rexp }
STATE { r }
BREAKPOINT {
  SOLVE upd
  i = g*r*(v + 70)
}
INITIAL { r = 0 }
PROCEDURE upd() {
  rinf = 1/(1 + exp(-(v + 50)/5))
  rexp = 1 - exp(-dt/4)
  r = r + rexp*(rinf - r)
}
