#!/usr/bin/python3
"""Vogels & Abbott (2005) CUBA network, in Brian2.

Definition: T. P. Vogels and L. F. Abbott, J. Neurosci. 25:10786-10795 (2005), current-based
benchmark of R. Brette et al., J. Comput. Neurosci. 23:349-398 (2007), benchmark 2, as written
in Brian2's own example examples/CUBA.py (also its benchmark suite):
  4000 LIF neurons, 3200 excitatory and 800 inhibitory, each pair connected with p = 0.02
  (autapses allowed), taum = 20 ms, taue = 5 ms, taui = 10 ms, Vt = -50 mV, Vr = -60 mV,
  El = -49 mV, refractory 5 ms,
  dv/dt = (ge + gi - (v - El))/taum (unless refractory), dge/dt = -ge/taue, dgi/dt = -gi/taui,
  a spike adds we = 60*0.27/10 mV = 1.62 mV to ge or wi = -20*4.5/10 mV = -9 mV to gi,
  v(0) uniform in [Vr, Vt], ge(0) = gi(0) = 0. Currents keep decaying and summing input while
  the neuron is refractory (only v is clamped).

Deviation from Brian's example: connections are made from the two subgroups (same
distribution as its `Ce.connect('i<3200', p=0.02)`), and the synaptic delay is one time step,
0.1 ms, instead of Brian's default 0. Brian delivers a spike in the 'synapses' slot of the
step it arrives in, after the state update, so with delay 0 the jump in ge reaches v in the
next step's update; with delay = dt it reaches v two steps after the spike, which is what a
one-tick delay means for an exact-integration CUBA neuron in NEST (iaf_psc_exp) and myelin
(cuba_lif: input at tick t reaches v at t+1).

Usage: /usr/bin/python3 bench/brian2/cuba.py [--duration 1] [--seed 1] [--build-dir DIR]
                                           [--threads 1] [--native] [--json FILE]
"""
import common  # must come first: starts the wall clock, imports brian2
from brian2 import NeuronGroup, SpikeMonitor, Synapses, defaultclock, ms, mV, second, run

args = common.parse_args('Vogels & Abbott 2005 CUBA network (Brian2 examples/CUBA.py)')
common.setup(args)

N, NE = 4000, 3200
taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
we = (60 * 0.27 / 10) * mV  # excitatory synaptic weight (voltage)
wi = (-20 * 4.5 / 10) * mV  # inhibitory synaptic weight
eqs = '''
dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
dge/dt = -ge / taue : volt
dgi/dt = -gi / taui : volt
'''

P = NeuronGroup(N, eqs, threshold='v > Vt', reset='v = Vr', refractory=5 * ms,
                method='exact')
P.v = 'Vr + rand() * (Vt - Vr)'
P.ge = 0 * mV
P.gi = 0 * mV

delay = defaultclock.dt  # one time step, 0.1 ms (see header)
Ce = Synapses(P[:NE], P, on_pre='ge_post += we', delay=delay)
Ce.connect(p=0.02)
Ci = Synapses(P[NE:], P, on_pre='gi_post += wi', delay=delay)
Ci.connect(p=0.02)

spikes = SpikeMonitor(P, record=False)  # spike counts only, no spike times

run(args.duration * second)

common.finish(args, 'cuba_vogels_abbott2005', N, [Ce, Ci], spikes)
