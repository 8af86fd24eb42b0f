"""Shared harness for the Brian2 reference benchmarks (brunel.py, cuba.py).

Runs a network in Brian2's C++ standalone mode, single-threaded, and reports:
  codegen_s    Python-side code generation (device.build minus `make`)
  compile_s    `make` of the generated project (Brian runs `make -j`, so it uses all cores);
               incremental when --build-dir is reused, so time it on a fresh directory
  main_wall_s  wall time of the compiled `main` binary: loading, synapse creation,
               the simulation, and writing every array to results/
  sim_run_s    Brian's own timing of the simulation loop (Network::run). Single-threaded
               builds measure it with std::clock(), i.e. CPU time of the process; with
               OpenMP (--threads > 1) it is omp_get_wtime() wall time.
  peak_rss_mb  max RSS of `main`, from GNU time (/usr/bin/time -f %M) wrapped round it.
               The wrapper forks from a ~1 MB process, so the floor is ~1 MB; measuring
               from this Python process instead (RUSAGE_CHILDREN) would be polluted by
               the compiler and by Python's own RSS.
  total_wall_s whole script, imports included.

Compile flags: Brian's defaults on x86_64 (prefs.codegen.cpp.extra_compile_args_gcc) are
  -w -O3 -ffast-math -fno-finite-math-only -march=native -std=c++11
i.e. already more aggressive than a myelin debugoptimized (-O2) or release (-O3) build:
-ffast-math lets g++ reorder float arithmetic. --native replaces them with
  -w -O3 -march=native -std=c++11
(prefs.codegen.cpp.extra_compile_args), the flags of `meson -Dbuildtype=release` plus
-march=native. Brian's makefile has no rule for its one C file (randomkit.c, the RNG behind
rand()/binomial draws), so make's builtin rule compiles it with $CFLAGS, unset by default,
i.e. -O0; --native also exports CFLAGS='-O3 -march=native' so that file is optimised too.
"""
import argparse
import json
import os
import platform
import shutil
import tempfile
import time
import warnings

T_START = time.perf_counter()
warnings.filterwarnings('ignore', category=FutureWarning)  # numpy deprecations in pythran

from brian2 import (defaultclock, device, ms, prefs, seed, set_device)  # noqa: E402
import numpy as np  # noqa: E402

NATIVE_FLAGS = ['-w', '-O3', '-march=native', '-std=c++11']


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--duration', type=float, default=1.0, help='biological time, s (default 1)')
    p.add_argument('--seed', type=int, default=1, help='seed of the C++ RNG (default 1)')
    p.add_argument('--build-dir', default=None,
                   help='C++ standalone project directory, kept (default: a temp dir, '
                        'removed at the end)')
    p.add_argument('--threads', type=int, default=1,
                   help='1 (default) = no OpenMP; N > 1 = N OpenMP threads')
    p.add_argument('--native', action='store_true',
                   help="compile with '-O3 -march=native' instead of Brian's defaults")
    p.add_argument('--json', default=None, help='write the figures to this file')
    return p.parse_args()


def setup(args):
    """Select the standalone device; call before creating any Brian object."""
    args.temp_build = args.build_dir is None
    if args.temp_build:
        args.build_dir = tempfile.mkdtemp(prefix='brian2_bench_')
    args.build_dir = os.path.abspath(args.build_dir)
    set_device('cpp_standalone', directory=args.build_dir, build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = 0 if args.threads <= 1 else args.threads
    if args.native:
        prefs.codegen.cpp.extra_compile_args = NATIVE_FLAGS
        os.environ['CFLAGS'] = '-O3 -march=native'
    # Run `main` under GNU time to get its peak RSS (KiB) and wall time (s).
    if os.path.exists('/usr/bin/time'):
        prefs.devices.cpp_standalone.run_cmd_unix = [
            '/usr/bin/time', '-f', '%M %e', '-o', 'results/gnu_time.txt', './main']
    defaultclock.dt = 0.1 * ms
    seed(args.seed)


def finish(args, name, n_neurons, synapses, spike_mon, extra=None):
    """Build, compile and run the project (after the script's run() call), then report.

    synapses: the recurrent Synapses objects; events = sum over source neurons of
    (spikes x out-degree), i.e. the number of synapse activations.
    """
    from brian2.codegen.cpp_prefs import get_compiler_and_args

    t0 = time.perf_counter()
    device.build(directory=args.build_dir, compile=True, run=False, with_output=False)
    build_s = time.perf_counter() - t0
    compile_s = device.timers['compile']['make']

    t0 = time.perf_counter()
    device.run(args.build_dir, False, [])
    run_binary_s = time.perf_counter() - t0
    sim_run_s = device._last_run_time

    rss_mb, main_wall_s = None, run_binary_s
    tfile = os.path.join(args.build_dir, 'results', 'gnu_time.txt')
    if os.path.exists(tfile):
        kib, wall = open(tfile).read().split()[-2:]
        rss_mb, main_wall_s = int(kib) / 1024.0, float(wall)

    counts = np.asarray(spike_mon.count[:], dtype=np.int64)
    spikes = int(counts.sum())
    n_syn, events = 0, 0
    for S in synapses:
        src = S.source
        off = getattr(src, 'start', 0)  # Subgroup offset into the spike counts
        i = np.asarray(S.i[:])
        n_syn += len(i)
        events += int(np.dot(counts[off:off + len(src)], np.bincount(i, minlength=len(src))))

    r = {
        'benchmark': name,
        'simulator': 'brian2 %s cpp_standalone' % __import__('brian2').__version__,
        'neurons': n_neurons,
        'synapses': n_syn,
        'duration_s': args.duration,
        'dt_ms': 0.1,
        'seed': args.seed,
        'threads': max(1, args.threads),
        'spikes': spikes,
        'rate_hz': spikes / (n_neurons * args.duration),
        'synaptic_events': events,
        'codegen_s': build_s - compile_s,
        'compile_s': compile_s,
        'main_wall_s': main_wall_s,
        'sim_run_s': sim_run_s,
        'sim_s_per_bio_s': sim_run_s / args.duration,
        'events_per_s': events / sim_run_s if sim_run_s else None,
        'peak_rss_mb': rss_mb,
        'total_wall_s': time.perf_counter() - T_START,
        'compile_flags': ' '.join(get_compiler_and_args()[1]),
        'cflags_env': os.environ.get('CFLAGS', ''),
        'build_dir': args.build_dir,
        'host': platform.node(),
        'cpus': os.cpu_count(),
    }
    r.update(extra or {})
    if args.temp_build:
        shutil.rmtree(args.build_dir, ignore_errors=True)
        r['build_dir'] = None

    w = max(len(k) for k in r)
    for k, v in r.items():
        print('%-*s  %s' % (w, k, '%.6g' % v if isinstance(v, float) else v))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(r, f, indent=2)
            f.write('\n')
    return r
