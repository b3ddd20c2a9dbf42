"""Speed of ``predict`` (issue 3).

Target: batch reuse with He_6 target and student, expansion order 6, imax = 12, in under
2 s (cold, in a fresh process: rule derivation + drift + exponent curve + E[psi^2]).
Anchor: the same job for He_3 (order 3, imax 8), measured in the same run.

Run: ``python benchmarks/bench_predict.py``
"""
import subprocess
import sys
import time

JOB = ("import time; t=time.perf_counter(); from theory.rules import make_rule; from theory.predict import predict; "
       "p=predict(make_rule('batch-reuse','He{k}','He{k}',order={k}), imax={imax}); "
       "print(time.perf_counter()-t, [str(x.alpha) for x in p.thresholds])")


def cold(k, imax):
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", JOB.format(k=k, imax=imax)], capture_output=True, text=True,
                         check=True).stdout.split(" ", 1)
    return float(out[0]), time.perf_counter() - t, out[1].strip()


def main():
    t6, wall6, th6 = cold(6, 12)
    t3, wall3, th3 = cold(3, 8)
    print(f"{'job':44s} {'in-process s':>13s} {'with import s':>14s}  thresholds")
    print(f"{'batch reuse He6/He6, order 6, imax 12':44s} {t6:13.3f} {wall6:14.3f}  {th6}")
    print(f"{'batch reuse He3/He3, order 3, imax 8 (anchor)':44s} {t3:13.3f} {wall3:14.3f}  {th3}")
    print(f"ratio He6/He3: {t6 / t3:.1f}x; target He6 < 2 s: {'met' if t6 < 2 else 'MISSED'}")
    return 0 if t6 < 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
