TITLE importer test case: cnexp (linear) with rates from a PROCEDURE with a TABLE, a GLOBAL
NEURON {
  SUFFIX tcnexp
  NONSPECIFIC_CURRENT i
  RANGE g, e, shift
  GLOBAL q10
}
UNITS { (mV) = (millivolt) (mA) = (milliamp) }
PARAMETER {
  g = 0.002 (S/cm2) <0, 1e9>
  e = -80 (mV)
  shift = 0 (mV)
  q10 = 3
}
ASSIGNED { v (mV) i (mA/cm2) xinf xtau (ms) celsius (degC) tadj }
STATE { x }
BREAKPOINT {
  SOLVE sx METHOD cnexp
  i = g*x*x*(v - e)
}
INITIAL {
  tadj = q10^((celsius - 6.3)/10)
  rates(v)
  x = xinf
}
DERIVATIVE sx {
  rates(v)
  x' = (xinf - x)/xtau*tadj
}
PROCEDURE rates(v (mV)) {
  TABLE xinf, xtau DEPEND shift FROM -120 TO 60 WITH 360
  xinf = 1/(1 + exp(-(v + 40 - shift)/8))
  xtau = 0.5 + 4/(exp((v + 50)/15) + exp(-(v + 50)/20))
}
