TITLE importer test case: cnexp on an equation nonlinear in its state (nocmodl: derivimplicit)
COMMENT
(state s, not y: nocmodl declares y0, which clashes with C's Bessel function)
ENDCOMMENT
NEURON { SUFFIX tnonlin NONSPECIFIC_CURRENT i RANGE g GLOBAL k }
PARAMETER { g = 0.001 (S/cm2) k = 0.05 (/ms) }
ASSIGNED { v (mV) i (mA/cm2) }
STATE { s }
BREAKPOINT {
  SOLVE sy METHOD cnexp
  i = g*s*(v + 70)
}
INITIAL { s = 0.1 }
DERIVATIVE sy { s' = k*(1 - s) - 0.2*s*s*alpha(v) }
FUNCTION alpha(v (mV)) (/ms) {
  TABLE FROM -120 TO 60 WITH 180
  if (fabs(v + 35) < 1e-6) {
    alpha = 0.1*5
  } else {
    alpha = 0.1*(v + 35)/(1 - exp(-(v + 35)/5))
  }
}
