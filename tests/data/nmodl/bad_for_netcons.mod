NEURON { POINT_PROCESS bfornc }
NET_RECEIVE (w, tlast) {
  FOR_NETCONS (w1, t1) { t1 = t }
}
