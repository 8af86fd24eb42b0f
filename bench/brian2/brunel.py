#!/usr/bin/python3
"""Brunel (2000) sparse random network of LIF neurons with delta synapses, in Brian2.

Definition: N. Brunel, J. Comput. Neurosci. 8:183-208 (2000), model A, as set up in NEST's
example pynest/examples/brunel_delta_nest.py (the regime of its default parameters, g = 5,
eta = 2: asynchronous irregular, ~30 Hz):
  NE = 10000 excitatory, NI = 2500 inhibitory iaf_psc_delta neurons,
  tau_m = 20 ms, theta = 20 mV, V_reset = 0 mV, E_L = 0, t_ref = 2 ms, V(0) = 0;
  fixed in-degree CE = 1000 excitatory and CI = 250 inhibitory inputs per neuron, sources
  drawn with replacement, autapses and multapses allowed (NEST's fixed_indegree defaults);
  J = 0.1 mV, J_I = -g*J = -0.5 mV, delay D = 1.5 ms;
  external drive: independent Poisson input of rate CE*nu_ext with weight J per neuron,
  nu_th = theta/(J*CE*tau_m) = 10 Hz, nu_ext = eta*nu_th = 20 Hz.
A spike adds J to V. As in NEST's iaf_psc_delta, V is clamped and input is discarded while
refractory (here: synaptic and Poisson increments are multiplied by int(not_refractory)).

Timing conventions (one 0.1 ms step at most): Brian applies a delivered spike in the
'synapses' slot, after that step's threshold test, so it can trigger a spike one step later
than in NEST, where input is added before the test; Brian's 2 ms refractory period clamps
19 updates after the spike step, NEST's 20.

The external drive uses Brian's PoissonInput: one binomial draw (n = CE, p = nu_ext*dt) per
neuron per step, like NEST's poisson_generator (one Poisson draw per target per step); it is
not counted in `synaptic_events` (its expected count is reported as external_events).

Usage: /usr/bin/python3 bench/brian2/brunel.py [--duration 1] [--seed 1] [--build-dir DIR]
                                             [--threads 1] [--native] [--json FILE]
"""
import common  # must come first: starts the wall clock, imports brian2
from brian2 import (NeuronGroup, PoissonInput, SpikeMonitor, Synapses, Hz, ms, mV,
                    second, run)

args = common.parse_args('Brunel 2000 delta network (NEST brunel_delta_nest) in Brian2')
common.setup(args)

NE, NI = 10000, 2500
CE, CI = 1000, 250
J, g, eta = 0.1 * mV, 5.0, 2.0
D = 1.5 * ms
theta, V_reset, tau_m, t_ref = 20 * mV, 0 * mV, 20 * ms, 2 * ms
nu_th = theta / (J * CE * tau_m)
nu_ext = eta * nu_th
J_E, J_I = J, -g * J

neurons = NeuronGroup(NE + NI, 'dv/dt = -v / tau_m : volt (unless refractory)',
                      threshold='v >= theta', reset='v = V_reset', refractory=t_ref,
                      method='exact')
neurons.v = 0 * mV

# Fixed in-degree with replacement: for every target j, CE (CI) sources drawn uniformly.
exc = Synapses(neurons[:NE], neurons, on_pre='v_post += J_E * int(not_refractory_post)',
               delay=D)
exc.connect(i='int(rand() * N_pre) for _ in range(CE)')
inh = Synapses(neurons[NE:], neurons, on_pre='v_post += J_I * int(not_refractory_post)',
               delay=D)
inh.connect(i='int(rand() * N_pre) for _ in range(CI)')

drive = PoissonInput(neurons, 'v', N=CE, rate=nu_ext, weight='J * int(not_refractory)')
spikes = SpikeMonitor(neurons, record=False)  # spike counts only, no spike times

run(args.duration * second)

common.finish(args, 'brunel2000_delta', NE + NI, [exc, inh], spikes, extra={
    'nu_ext_hz': float(nu_ext / Hz),
    'external_events': int(round((NE + NI) * CE * float(nu_ext / Hz) * args.duration)),
})
