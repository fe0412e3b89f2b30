TITLE importer test case: a pool that writes cai from ica (FARADAY factor), and a GHK-like current
NEURON {
  SUFFIX tcapool
  USEION ca READ ica, cao WRITE cai
  RANGE depth, taur
}
UNITS {
  (mV) = (millivolt) (mA) = (milliamp) (mM) = (milli/liter)
  FARADAY = (faraday) (coulomb)
}
PARAMETER {
  depth = 0.1 (um)
  taur = 20 (ms)
  cainf = 1e-4 (mM)
}
ASSIGNED { v (mV) ica (mA/cm2) cao (mM) }
STATE { cai (mM) }
BREAKPOINT { SOLVE st METHOD cnexp }
INITIAL { cai = 20*cainf }
DERIVATIVE st { cai' = -(1e4)*ica/(2*FARADAY*depth) + (cainf - cai)/taur }
