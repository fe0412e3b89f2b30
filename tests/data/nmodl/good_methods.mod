TITLE importer test case: each SOLVE method on a gating scheme
COMMENT
x: cnexp, linear in x.  y: cnexp, nonlinear in y (nocmodl solves it as derivimplicit).
z: derivimplicit, two coupled states.  w: euler.  r: SOLVE of a PROCEDURE.
The rates come from a FUNCTION with a TABLE and from a PROCEDURE with a TABLE.
ENDCOMMENT
NEURON {
  SUFFIX tmeth
  NONSPECIFIC_CURRENT i
  RANGE g, e, shift
  GLOBAL k
}
UNITS { (mV) = (millivolt) (mA) = (milliamp) }
PARAMETER {
  g = 0.002 (S/cm2) <0, 1e9>
  e = -80 (mV)
  shift = 0 (mV)
  k = 0.05 (/ms)
}
ASSIGNED { v (mV) i (mA/cm2) xinf xtau (ms) celsius (degC) tadj }
STATE { x y z1 z2 w r }
BREAKPOINT {
  SOLVE sx METHOD cnexp
  SOLVE sy METHOD cnexp
  SOLVE sz METHOD derivimplicit
  SOLVE sw METHOD euler
  SOLVE sr
  i = g*x*x*(0.5 + 0.5*y)*(v - e) + 1e-4*(z1 + z2 + w + r)*(v - e)
}
INITIAL {
  tadj = 3^((celsius - 6.3)/10)
  rates(v)
  x = xinf
  y = 0.1
  z1 = 0.2
  z2 = 0.1
  w = 0
  r = 0
}
DERIVATIVE sx {
  rates(v)
  x' = (xinf - x)/xtau
}
DERIVATIVE sy { y' = k*(1 - y) - 0.2*y*y*alpha(v) }
DERIVATIVE sz {
  z1' = alpha(v)*(1 - z1) - 0.1*z1*z2
  z2' = 0.05*z1 - 0.02*z2*z2*tadj
}
DERIVATIVE sw { w' = 0.1*(x - w) }
PROCEDURE sr() { r = r + 0.01*(y - r) }
PROCEDURE rates(v (mV)) {
  TABLE xinf, xtau DEPEND shift FROM -120 TO 60 WITH 360
  xinf = 1/(1 + exp(-(v + 40 - shift)/8))
  xtau = 0.5 + 4/(exp((v + 50)/15) + exp(-(v + 50)/20))
}
FUNCTION alpha(v (mV)) (/ms) {
  TABLE FROM -120 TO 60 WITH 180
  if (fabs(v + 35) < 1e-6) {
    alpha = 0.1*5
  } else {
    alpha = 0.1*(v + 35)/(1 - exp(-(v + 35)/5))
  }
}
